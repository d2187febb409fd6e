/**
 * Per-blogger statistics over video_history, in SQL. "Latest" means each video's most recent
 * fetch (as of a moment); totals and growth are sums over those, so a video fetched ten times
 * counts once. Run inside withTenant(): row-level security scopes every query to the owner.
 */
import type { Knex } from 'knex';
import { latestHistoryPerVideo, type VideoHistoryRow } from './videoHistory';

const latestAsOf = (trx: Knex, bloggerId: number, asOf: Date) => latestHistoryPerVideo(trx, bloggerId, { asOf });

async function totalsAsOf(trx: Knex, bloggerId: number, asOf: Date) {
  const row = (await trx
    .from(latestAsOf(trx, bloggerId, asOf).as('latest'))
    .select(
      trx.raw('count(*) as videos'),
      trx.raw('coalesce(sum(views), 0)::bigint as views'),
      trx.raw('coalesce(sum(likes), 0)::bigint as likes'),
      trx.raw('coalesce(sum(comments), 0)::bigint as comments'),
      trx.raw('coalesce(sum(shares), 0)::bigint as shares'),
      trx.raw('avg(engagement_rate) as avg_engagement'),
      trx.raw('percentile_cont(0.5) within group (order by views) as median_views'),
    )
    .first()) as {
    videos: number;
    views: number;
    likes: number;
    comments: number;
    shares: number;
    avgEngagement: number | null;
    medianViews: number | null;
  };
  return {
    videos: row.videos,
    views: row.views,
    likes: row.likes,
    comments: row.comments,
    shares: row.shares,
    averageEngagementRate: row.avgEngagement,
    medianViews: row.medianViews,
  };
}

const WINDOWS = { '24h': 1, '7d': 7, '30d': 30 } as const;

/** `now` is data time (lib/clock.ts): growth windows count back from it. */
export async function bloggerStats(trx: Knex, bloggerId: number, now: Date) {
  const current = await totalsAsOf(trx, bloggerId, now);
  const growth: Record<string, { views: number; likes: number; comments: number; shares: number }> = {};
  for (const [label, days] of Object.entries(WINDOWS)) {
    const then = await totalsAsOf(trx, bloggerId, new Date(now.getTime() - days * 86_400_000));
    growth[label] = {
      views: current.views - then.views,
      likes: current.likes - then.likes,
      comments: current.comments - then.comments,
      shares: current.shares - then.shares,
    };
  }
  const top = (await trx
    .from(latestAsOf(trx, bloggerId, now).as('latest'))
    .whereNotNull('viralScore')
    .orderBy('viralScore', 'desc')
    .limit(5)) as VideoHistoryRow[];
  return {
    totals: { videos: current.videos, views: current.views, likes: current.likes, comments: current.comments, shares: current.shares },
    growth,
    averageEngagementRate: current.averageEngagementRate,
    medianViews: current.medianViews,
    topVideos: top.map((v) => ({
      platform: v.platform,
      videoId: v.platformVideoId,
      title: v.title ?? null,
      url: v.videoUrl ?? null,
      publishedAt: v.publishedAt ?? null,
      views: v.views,
      viralScore: v.viralScore ?? null,
      engagementRate: v.engagementRate ?? null,
    })),
    daily: await dailySeries(trx, bloggerId, now),
  };
}

export interface DailyPoint {
  day: string;
  views: number;
  likes: number;
  comments: number;
  shares: number;
}

/** End-of-day totals for the last 90 days that have data (latest fetch of each video by then). */
export async function dailySeries(trx: Knex, bloggerId: number, now: Date): Promise<DailyPoint[]> {
  const { rows } = await trx.raw<{ rows: DailyPoint[] }>(
    `with days as (
       select generate_series(greatest(date_trunc('day', min(fetched_at)), date_trunc('day', ?::timestamptz) - interval '89 days'),
                              date_trunc('day', ?::timestamptz), interval '1 day') as day
       from video_history where blogger_id = ?
     )
     select to_char(days.day, 'YYYY-MM-DD') as day,
            coalesce(sum(l.views), 0)::bigint as views, coalesce(sum(l.likes), 0)::bigint as likes,
            coalesce(sum(l.comments), 0)::bigint as comments, coalesce(sum(l.shares), 0)::bigint as shares
     from days
     cross join lateral (
       select distinct on (platform, platform_video_id) views, likes, comments, shares
       from video_history
       where blogger_id = ? and fetched_at < days.day + interval '1 day'
       order by platform, platform_video_id, fetched_at desc
     ) l
     group by days.day order by days.day`,
    [now.toISOString(), now.toISOString(), bloggerId, bloggerId],
  );
  return rows;
}

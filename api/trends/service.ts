/**
 * Trend Watch data for API users. Trend tables are global (one spy service for all tenants);
 * the plan decides who may read them. Series are loaded with one query per page, never per row.
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { QueryBuilder } from 'objection';
import { recordAudit, type RequestMeta } from '../../db/queries/audit';
import { latestTrendPoints, namesInWindow, videosCarrying, whereTrendStatus } from '../../db/queries/trendEvidence';
import { DetectedTrend, TrendSnapshot, TrendVideo, UserLimit } from '../../db/models';
import type { Config } from '../../lib/config';
import { PLANS } from '../../lib/domain/plans';
import { PLATFORMS } from '../../lib/domain/platforms';
import type { TrendLifecycleStatus } from '../../lib/domain/trendLifecycle';
import { trendSettings } from '../../lib/domain/trendSettings';
import { ForbiddenError, NotFoundError } from '../../lib/errors';
import { WORKFLOW_TYPES, workflowsOfType } from '../../temporal/contract';
import { startManualTrendDiscovery, trendDiscoveryInput } from '../../temporal/starters';
import type { AuthUser } from '../middleware/auth';
import { toPage } from '../pagination';
import type {
  DiscoveredQuery,
  TopicsQuery,
  TrendingQuery,
  TrendStatusFilter,
  TrendVideosQuery,
  VideoSort,
  VideosQuery,
  VideoSortField,
} from './schema';

/** How long GET /discover waits for Temporal's visibility before answering without the last run. */
const LAST_RUN_TIMEOUT_MS = 2000;

/** 403 plan_required unless the user's plan has Trend Watch; the message names the plans that do. */
export async function assertTrendWatch(db: Knex, user: AuthUser): Promise<void> {
  if (user.limits.trendWatchEnabled) return;
  // Read from user_limits (not hard-coded), so the message follows the operator's plan table.
  const rows = await UserLimit.query(db).select('plan').where('trendWatchEnabled', true);
  const plans = PLANS.filter((p) => rows.some((r) => r.plan === p));
  const which =
    plans.length === 0 ? 'not part of any plan right now' : `part of the ${plans.join(' and ')} plan${plans.length === 1 ? '' : 's'}`;
  throw new ForbiddenError(`Trend Watch is ${which}; your plan is ${user.plan}.`, 'plan_required');
}

function publicVideo(v: TrendVideo) {
  return {
    id: v.id,
    platform: v.platform,
    videoId: v.platformVideoId,
    url: v.videoUrl ?? null,
    title: v.title ?? null,
    creator: { id: v.creatorId, name: v.creatorName ?? null },
    publishedAt: v.publishedAt,
    discoveredAt: v.discoveredAt,
    hashtags: v.hashtags,
    topics: v.topics,
    soundId: v.soundId ?? null,
    format: v.format ?? null,
    views: v.currentViews ?? null,
    likes: v.currentLikes ?? null,
    comments: v.currentComments ?? null,
    shares: v.currentShares ?? null,
    initialViews: v.initialViews ?? null,
    velocity: v.velocity ?? null,
    acceleration: v.acceleration ?? null,
    status: v.status,
    snapshotCount: v.snapshotCount,
    lastSnapshotAt: v.lastSnapshotAt ?? null,
  };
}

function publicSnapshot(s: TrendSnapshot) {
  return {
    slot: s.slot,
    takenAt: s.takenAt,
    views: s.views ?? null,
    likes: s.likes ?? null,
    comments: s.comments ?? null,
    shares: s.shares ?? null,
    velocity: s.velocity ?? null,
    acceleration: s.acceleration ?? null,
  };
}

/** Groups rows by a key, keeping their order (the query orders them). */
function groupBy<T, V>(rows: T[], key: (row: T) => number, map: (row: T) => V): Map<number, V[]> {
  const groups = new Map<number, V[]>();
  for (const row of rows) {
    const list = groups.get(key(row)) ?? [];
    list.push(map(row));
    groups.set(key(row), list);
  }
  return groups;
}

/**
 * The newest discovery run (running, or else the latest closed one), or null when Temporal does
 * not answer in time: the list of videos matters more than this footnote.
 */
async function lastDiscoveryRun(client: Client) {
  try {
    return await client.withDeadline(Date.now() + LAST_RUN_TIMEOUT_MS, async () => {
      for await (const run of client.workflow.list({ query: workflowsOfType(WORKFLOW_TYPES.trendDiscovery), pageSize: 1 })) {
        return {
          workflowId: run.workflowId,
          runId: run.runId,
          status: run.status.name,
          startTime: run.startTime,
          closeTime: run.closeTime ?? null,
        };
      }
      return null;
    });
  } catch {
    return null;
  }
}

/** GET /discover, as the original design names it: the latest discovered videos and the last run. */
export async function latestDiscovered(deps: { db: Knex; temporal: { client: Client } }, q: DiscoveredQuery) {
  const query = TrendVideo.query(deps.db).orderBy('discoveredAt', 'desc').orderBy('id', 'desc');
  if (q.platform) query.where('platform', q.platform);
  const [{ results, total }, lastRun] = await Promise.all([query.page(q.page - 1, q.limit), lastDiscoveryRun(deps.temporal.client)]);
  return { ...toPage(results.map(publicVideo), total, q.page, q.limit), lastRun };
}

const SORT_COLUMNS: Record<VideoSortField, string> = {
  velocity: 'velocity',
  acceleration: 'acceleration',
  views: 'currentViews',
  published: 'publishedAt',
};

/** Orders videos by a sort; videos without a value yet (no second snapshot) come last in either direction. */
function sortVideos(query: QueryBuilder<TrendVideo>, sort: VideoSort) {
  return query.orderByRaw(`?? ${sort.descending ? 'desc' : 'asc'} nulls last`, [SORT_COLUMNS[sort.field]]).orderBy('id');
}

export async function monitoredVideos(db: Knex, q: VideosQuery) {
  const query = TrendVideo.query(db);
  if (q.platform) query.where('platform', q.platform);
  if (q.status) query.where('status', q.status);
  if (q.hashtag) query.whereRaw('hashtags @> ARRAY[?]::text[]', [q.hashtag]);
  const { results, total } = await sortVideos(query, q.sort).page(q.page - 1, q.limit);
  const videos = results.map(publicVideo);
  if (q.include !== 'snapshots' || results.length === 0) return toPage(videos, total, q.page, q.limit);

  const snapshots = await TrendSnapshot.query(db)
    .whereIn(
      'videoId',
      results.map((v) => v.id),
    )
    .orderBy(['videoId', 'slot']);
  const byVideo = groupBy(snapshots, (s) => s.videoId, publicSnapshot);
  return toPage(
    videos.map((v) => ({ ...v, snapshots: byVideo.get(v.id) ?? [] })),
    total,
    q.page,
    q.limit,
  );
}

/**
 * Trends of a status filter, the strongest first; an ended trend only when asked for (`ended` or
 * `all`), and within the list rising and peaking trends come before fading, then ended ones.
 */
function trendsByStatus(db: Knex, status: TrendStatusFilter) {
  const query = DetectedTrend.query(db)
    .orderByRaw('case status when ? then 1 when ? then 2 else 0 end', ['fading', 'ended'] satisfies TrendLifecycleStatus[])
    .orderBy('score', 'desc')
    .orderBy('id');
  whereTrendStatus(query, status);
  return query;
}

/**
 * A baseline under one creator per window counts as one: a name nobody used before has a baseline
 * near 0, and "3 creators against 0.01" would read as a 300-fold growth where "3 against 1" is 3.
 */
const GROWTH_BASELINE_FLOOR = 1;

/**
 * Distinct creators of the latest window over the creators the trend's own history leads one to
 * expect: creatorCount ÷ max(baseline, 1). Null while the trend has no baseline (detected before
 * baselines existed).
 */
export function growthAgainstBaseline(creatorCount: number, baseline: number | null | undefined): number | null {
  if (baseline === null || baseline === undefined) return null;
  return creatorCount / Math.max(baseline, GROWTH_BASELINE_FLOOR);
}

/**
 * GET /trending: each trend with its evidence (first seen, baseline, burst score, growth) and the
 * latest `points` points of its series of creators and videos, loaded in one query per page.
 */
export async function detectedTrends(db: Knex, q: TrendingQuery) {
  const query = trendsByStatus(db, q.status);
  if (q.kind) query.where('kind', q.kind);
  const { results, total } = await query.page(q.page - 1, q.limit);
  const points = await latestTrendPoints(
    db,
    results.map((t) => t.id),
    q.points,
  );
  const series = groupBy(
    points,
    (p) => p.trendId,
    ({ trendId: _, ...point }) => point,
  );
  const data = results.map((t) => ({
    id: t.id,
    kind: t.kind,
    name: t.name,
    platforms: t.platforms,
    status: t.status,
    score: t.score,
    previousScore: t.previousScore ?? null,
    videoCount: t.videoCount,
    creatorCount: t.creatorCount,
    totalVelocity: t.totalVelocity,
    totalAcceleration: t.totalAcceleration,
    baseline: t.baseline ?? null,
    burstScore: t.burstScore ?? null,
    growth: growthAgainstBaseline(t.creatorCount, t.baseline),
    windowStart: t.windowStart,
    windowEnd: t.windowEnd,
    firstSeenAt: t.firstSeenAt ?? null,
    firstDetectedAt: t.firstDetectedAt,
    lastDetectedAt: t.lastDetectedAt,
    missedRuns: t.missedRuns,
    endedAt: t.endedAt ?? null,
    series: series.get(t.id) ?? [],
  }));
  return toPage(data, total, q.page, q.limit);
}

/** GET /trending/:id/videos: the videos whose hashtags, keywords, topics, sound or format carry the trend's name. */
export async function trendVideos(db: Knex, trendId: number, q: TrendVideosQuery) {
  const trend = await DetectedTrend.query(db).findById(trendId).select('id', 'kind', 'name', 'status');
  if (!trend) throw new NotFoundError('Trend');
  const { results, total } = await sortVideos(videosCarrying(db, trend), q.sort).page(q.page - 1, q.limit);
  return {
    trend: { id: trend.id, kind: trend.kind, name: trend.name, status: trend.status },
    ...toPage(results.map(publicVideo), total, q.page, q.limit),
  };
}

const HOUR_MS = 3_600_000;

/**
 * GET /topics: the names of one kind (YouTube topic categories by default, or sounds, keywords,
 * hashtags, formats) that videos published in the recent window carry, the most creators first,
 * with their videos, creators and summed velocity in the window and their detected trend, if any.
 * `now` is data time (lib/clock.ts); the window defaults to the analysis window.
 */
export async function trendingTopics(db: Knex, q: TopicsQuery, { now, windowHours }: { now: Date; windowHours: number }) {
  const hours = q.windowHours ?? windowHours;
  const window = { start: new Date(now.getTime() - hours * HOUR_MS), end: now };
  const names = await namesInWindow(db, { kind: q.kind, since: window.start, until: window.end, status: q.status, limit: q.limit });
  return {
    kind: q.kind,
    window,
    data: names.map((n) => ({
      name: n.name,
      videoCount: n.videoCount,
      creatorCount: n.creatorCount,
      totalVelocity: n.totalVelocity,
      platforms: n.platforms,
      trend:
        n.trendId === null
          ? null
          : {
              id: n.trendId,
              status: n.status,
              score: n.score,
              baseline: n.baseline,
              burstScore: n.burstScore,
              firstSeenAt: n.firstSeenAt,
              lastDetectedAt: n.lastDetectedAt,
            },
    })),
  };
}

/**
 * Starts a discovery run now. Two requests in the same minute share one run: the workflow id is
 * the minute, with "use existing" on conflict. Only platforms whose API can discover are asked
 * (lib/domain/platforms.ts: not Instagram): the API process builds no platform clients to ask
 * their capabilities.
 */
export async function triggerDiscovery(
  deps: { db: Knex; config: Config; temporal: { client: Client } },
  user: AuthUser,
  meta: RequestMeta,
) {
  const settings = trendSettings(deps.config);
  const platforms = deps.config.PLATFORMS_ENABLED.filter((p) => PLATFORMS[p].discovers);
  const handle = await startManualTrendDiscovery(
    deps.temporal.client,
    { taskQueue: deps.config.TEMPORAL_TASK_QUEUE, at: new Date() },
    trendDiscoveryInput(settings, platforms, { manual: true }),
  );
  await recordAudit(deps.db, {
    action: 'trends.discover_triggered',
    actorId: user.id,
    actorEmail: user.email,
    targetType: 'workflow',
    targetId: handle.workflowId,
    meta: { runId: handle.firstExecutionRunId, platforms },
    ip: meta.ip,
    requestId: meta.requestId,
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, platforms };
}

/**
 * Trend Watch data for API users. Trend tables are global (one spy service for all tenants);
 * the plan decides who may read them. Series are loaded with one query per page, never per row.
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { recordAudit, type RequestMeta } from '../../db/queries/audit';
import { DetectedTrend, TrendSnapshot, TrendVideo, UserLimit } from '../../db/models';
import type { Config } from '../../lib/config';
import { PLANS } from '../../lib/domain/plans';
import { PLATFORMS } from '../../lib/domain/platforms';
import { LIVE_TREND_STATUSES, type TrendLifecycleStatus } from '../../lib/domain/trendLifecycle';
import { trendSettings } from '../../lib/domain/trendSettings';
import { ForbiddenError } from '../../lib/errors';
import { WORKFLOW_TYPES, workflowsOfType } from '../../temporal/contract';
import { startManualTrendDiscovery, trendDiscoveryInput } from '../../temporal/starters';
import type { AuthUser } from '../middleware/auth';
import { toPage } from '../pagination';
import type { DiscoveredQuery, TopicsQuery, TrendingQuery, TrendStatusFilter, VideosQuery, VideoSortField } from './schema';

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

export async function monitoredVideos(db: Knex, q: VideosQuery) {
  const query = TrendVideo.query(db);
  if (q.platform) query.where('platform', q.platform);
  if (q.status) query.where('status', q.status);
  if (q.hashtag) query.whereRaw('hashtags @> ARRAY[?]::text[]', [q.hashtag]);
  // Videos without a value yet (no second snapshot) come last in either direction.
  query.orderByRaw(`?? ${q.sort.descending ? 'desc' : 'asc'} nulls last`, [SORT_COLUMNS[q.sort.field]]).orderBy('id');
  const { results, total } = await query.page(q.page - 1, q.limit);
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

interface TrendPointRow {
  trendId: number;
  at: Date;
  score: number;
  totalVelocity: number;
  totalAcceleration: number;
  videoCount: number;
  creatorCount: number;
  status: string;
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
  if (status === 'live') query.whereIn('status', LIVE_TREND_STATUSES);
  else if (status !== 'all') query.where('status', status);
  return query;
}

export async function detectedTrends(db: Knex, q: TrendingQuery) {
  const query = trendsByStatus(db, q.status);
  if (q.kind) query.where('kind', q.kind);
  const { results, total } = await query.page(q.page - 1, q.limit);
  const points: TrendPointRow[] = results.length
    ? await db('detected_trend_points')
        .whereIn(
          'trendId',
          results.map((t) => t.id),
        )
        .orderBy(['trendId', 'at'])
    : [];
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
    windowStart: t.windowStart,
    windowEnd: t.windowEnd,
    firstDetectedAt: t.firstDetectedAt,
    lastDetectedAt: t.lastDetectedAt,
    missedRuns: t.missedRuns,
    endedAt: t.endedAt ?? null,
    series: series.get(t.id) ?? [],
  }));
  return toPage(data, total, q.page, q.limit);
}

/**
 * Topics: the strongest topic trends, one short list without series (charts use /trending,
 * which also has hashtags, sounds and formats and pages through everything). Kept simple on
 * purpose: topics are what a newcomer to Trend Watch looks at first.
 */
export async function trendingTopics(db: Knex, q: TopicsQuery) {
  const query = trendsByStatus(db, q.status).where('kind', 'topic').limit(q.limit);
  const topics = await query;
  return {
    data: topics.map((t) => ({
      name: t.name,
      status: t.status,
      score: t.score,
      videoCount: t.videoCount,
      creatorCount: t.creatorCount,
      platforms: t.platforms,
      lastDetectedAt: t.lastDetectedAt,
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

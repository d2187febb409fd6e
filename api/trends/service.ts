/**
 * Trend Watch data for API users. Trend tables are global (one spy service for all tenants);
 * the plan decides who may read them. Series are loaded with one query per page, never per row.
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { recordAudit, type RequestMeta } from '../../db/queries/audit';
import { DetectedTrend, TrendSnapshot, TrendVideo } from '../../db/models';
import type { Config } from '../../lib/config';
import { trendSettings } from '../../lib/domain/trendSettings';
import { ForbiddenError } from '../../lib/errors';
import type { PlatformName } from '../../platforms/types';
import type { AuthUser } from '../middleware/auth';
import { toPage } from '../pagination';
import type { DiscoveredQuery, TrendingQuery, VideosQuery } from './schema';

export function assertTrendWatch(user: AuthUser): void {
  if (!user.limits.trendWatchEnabled) {
    throw new ForbiddenError(`Trend Watch is part of the pro and enterprise plans; your plan is ${user.plan}.`, 'plan_required');
  }
}

const count = (v: string | number | null | undefined) => (v === null || v === undefined ? null : Number(v));

function publicVideo(v: TrendVideo) {
  return {
    id: Number(v.id), platform: v.platform, videoId: v.platformVideoId, url: v.videoUrl ?? null, title: v.title ?? null,
    creator: { id: v.creatorId, name: v.creatorName ?? null },
    publishedAt: v.publishedAt, discoveredAt: v.discoveredAt,
    hashtags: v.hashtags, topics: v.topics, soundId: v.soundId ?? null, format: v.format ?? null,
    views: count(v.currentViews), likes: count(v.currentLikes), comments: count(v.currentComments), shares: count(v.currentShares),
    initialViews: count(v.initialViews),
    velocity: v.velocity ?? null, acceleration: v.acceleration ?? null,
    status: v.status, snapshotCount: v.snapshotCount, lastSnapshotAt: v.lastSnapshotAt ?? null,
  };
}

export async function latestDiscovered(db: Knex, q: DiscoveredQuery) {
  const query = TrendVideo.query(db).orderBy('discoveredAt', 'desc').orderBy('id', 'desc');
  if (q.platform) query.where('platform', q.platform);
  const { results, total } = await query.page(q.page - 1, q.limit);
  return toPage(results.map(publicVideo), total, q.page, q.limit);
}

const SORT_COLUMNS = { velocity: 'velocity', acceleration: 'acceleration', views: 'currentViews', published: 'publishedAt' } as const;

export async function monitoredVideos(db: Knex, q: VideosQuery) {
  const query = TrendVideo.query(db);
  if (q.platform) query.where('platform', q.platform);
  if (q.status) query.where('status', q.status);
  if (q.hashtag) query.whereRaw('hashtags @> ARRAY[?]::text[]', [q.hashtag]);
  const ascending = q.sort.startsWith('-');
  const column = SORT_COLUMNS[q.sort.replace(/^-/, '') as keyof typeof SORT_COLUMNS];
  query.orderByRaw(`?? ${ascending ? 'asc' : 'desc'} nulls last`, [column]).orderBy('id');
  const { results, total } = await query.page(q.page - 1, q.limit);
  const videos = results.map(publicVideo);
  if (q.include === 'snapshots' && results.length > 0) {
    const snapshots = await TrendSnapshot.query(db).whereIn('videoId', results.map((v) => v.id)).orderBy(['videoId', 'slot']);
    const byVideo = new Map<number, unknown[]>();
    for (const s of snapshots) {
      const list = byVideo.get(Number(s.videoId)) ?? [];
      list.push({ slot: s.slot, takenAt: s.takenAt, views: count(s.views), likes: count(s.likes), comments: count(s.comments), shares: count(s.shares), velocity: s.velocity ?? null, acceleration: s.acceleration ?? null });
      byVideo.set(Number(s.videoId), list);
    }
    return toPage(videos.map((v) => ({ ...v, snapshots: byVideo.get(v.id) ?? [] })), total, q.page, q.limit);
  }
  return toPage(videos, total, q.page, q.limit);
}

export async function detectedTrends(db: Knex, q: TrendingQuery) {
  const query = DetectedTrend.query(db).orderBy('score', 'desc').orderBy('id');
  if (q.kind) query.where('kind', q.kind);
  if (q.status) query.where('status', q.status);
  const { results, total } = await query.page(q.page - 1, q.limit);
  const points = results.length
    ? await db('detected_trend_points').whereIn('trendId', results.map((t) => t.id)).orderBy(['trendId', 'at'])
    : [];
  const series = new Map<number, unknown[]>();
  for (const p of points) {
    const list = series.get(Number(p.trendId)) ?? [];
    list.push({ at: p.at, score: p.score, totalVelocity: p.totalVelocity, totalAcceleration: p.totalAcceleration, videoCount: p.videoCount, creatorCount: p.creatorCount, status: p.status });
    series.set(Number(p.trendId), list);
  }
  const data = results.map((t) => ({
    id: Number(t.id), kind: t.kind, name: t.name, platforms: t.platforms, status: t.status, score: t.score, previousScore: t.previousScore ?? null,
    videoCount: t.videoCount, creatorCount: t.creatorCount, totalVelocity: t.totalVelocity, totalAcceleration: t.totalAcceleration,
    firstDetectedAt: t.firstDetectedAt, lastDetectedAt: t.lastDetectedAt, series: series.get(Number(t.id)) ?? [],
  }));
  return toPage(data, total, q.page, q.limit);
}

/** Topics: the detected topic trends, strongest first (hashtags, sounds and formats live under /trending). */
export async function trendingTopics(db: Knex) {
  const topics = await DetectedTrend.query(db).where('kind', 'topic').orderBy('score', 'desc').limit(50);
  return { data: topics.map((t) => ({ name: t.name, status: t.status, score: t.score, videoCount: t.videoCount, creatorCount: t.creatorCount, platforms: t.platforms, lastDetectedAt: t.lastDetectedAt })) };
}

/**
 * Starts a discovery run now. Two requests in the same minute share one run: the workflow id is
 * the minute, with "use existing" on conflict. Instagram is left out: its API cannot discover.
 */
export async function triggerDiscovery(deps: { db: Knex; config: Config; temporal: { client: Client } }, user: AuthUser, meta: RequestMeta) {
  const settings = trendSettings(deps.config);
  const platforms = deps.config.PLATFORMS_ENABLED.filter((p): p is PlatformName => p !== 'instagram');
  const minute = new Date().toISOString().slice(0, 16);
  const handle = await deps.temporal.client.workflow.start('trendDiscovery', {
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    workflowId: `trend-discovery-manual-${minute}`,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [{ platforms, freshWindowMs: settings.freshWindowMs, cap: settings.discoveryCap }],
  });
  await recordAudit(deps.db, { action: 'trends.discover_triggered', actorId: user.id, actorEmail: user.email, targetType: 'workflow', targetId: handle.workflowId, ip: meta.ip, requestId: meta.requestId });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
}

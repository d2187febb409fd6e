/**
 * Trend Watch activities: monitor starts, snapshots, analysis and cleanup (discovery itself is in
 * trendDiscovery.ts). Every one is idempotent, because Temporal may run an activity again after a
 * crash or a timeout:
 *  - discovery inserts with ON CONFLICT DO NOTHING and starts monitors with a fixed workflow id;
 *  - a snapshot's (video, slot) is unique, so a retry finds its row instead of adding one;
 *  - analysis writes one point per (trend, run time) and counts a missed run once per run time;
 *  - cleanup only moves rows forward (live → archived/dropped), and stopping an ended monitor is fine.
 * Statuses are the words of lib/domain/trendVideoStatus.ts and lib/domain/trendLifecycle.ts.
 */
import type { Knex } from 'knex';
import type { DetectedTrend } from '../db/models';
import type { RecordedFiring } from '../db/queries/alerts';
import { withTenant } from '../db/tenant';
import { publishEvent } from '../events/publish';
import { knownTrends, saveTrendRun, trendEvidence, trendKey, type TrendGroup, type TrendRunWrite } from '../db/queries/detectedTrends';
import {
  archiveLiveVideosPublishedBefore,
  dropSlowVideos,
  endLiveVideo,
  markTrendingVideos,
  pruneDroppedSnapshots as pruneDropped,
  recordMonitorWorkflow,
  setVideoPaused,
  trendVideoRef,
  trendVideoStatus,
  videosAwaitingMonitor,
} from '../db/queries/trendVideos';
import type { ProductEventInput, TrendEventData } from '../lib/domain/events';
import { trendScore } from '../lib/domain/metrics';
import { adoptionOf, nextTrendStanding } from '../lib/domain/trendLifecycle';
import type { EndedTrendVideoStatus, TrendVideoStatus } from '../lib/domain/trendVideoStatus';
import { trendMonitorWorkflowId } from '../temporal/contract';
import { startTrendMonitor, stopTrendMonitor, trendMonitorInput } from '../temporal/starters';
import { dispatchCommittedFirings, recordTrendMatches, VelocityAlerts, type NewTrend } from './alerts';
import type { ActivityDeps } from './deps';
import { platformCall } from './failures';
import { SnapshotBatcher, type SnapshotRequest } from './snapshotBatch';

/**
 * Starts a monitor for every live video that has none yet (including any whose start was
 * interrupted by a crash). Fixed workflow ids with "use existing" make a second start attach
 * to the running monitor, and "reject duplicate" keeps an ended monitor from coming back.
 */
export async function startPendingMonitors(
  { db, temporal, taskQueue, settings }: Pick<ActivityDeps, 'db' | 'temporal' | 'taskQueue' | 'settings'>,
  { limit }: { limit: number },
) {
  const pending = await videosAwaitingMonitor(db, limit);
  let started = 0;
  for (const video of pending) {
    const workflowId = trendMonitorWorkflowId(video.platform, video.platformVideoId);
    if (await startTrendMonitor(temporal, { taskQueue }, trendMonitorInput(settings, video))) started++;
    await recordMonitorWorkflow(db, video.id, workflowId);
  }
  return { started, pending: pending.length };
}

/**
 * One snapshot of one video, written once for slot `slot`; it joins the batch of the monitors
 * waking with it (activities/snapshotBatch.ts): one platform call and one write for them all.
 */
export async function takeTrendSnapshot(
  { clock, snapshots }: Pick<ActivityDeps, 'clock'> & { snapshots: SnapshotBatcher },
  request: SnapshotRequest,
) {
  return platformCall(clock, () => snapshots.take(request));
}

/**
 * Records how a monitor ended: archived after its window, gone (deleted/private), or dropped.
 * A row that ended already (cleanup archived it first) keeps its status; either way the answer
 * is the status the database holds now, which the monitor shows as its TrendStatus.
 */
export async function finishTrendMonitor(
  deps: Pick<ActivityDeps, 'db' | 'logger' | 'redis' | 'sseReplayEvents'>,
  { trendVideoId, status, reason }: { trendVideoId: number; status: EndedTrendVideoStatus; reason: string | null },
) {
  const { db, logger } = deps;
  const changed = await endLiveVideo(db, trendVideoId, status);
  if (changed) logger.info({ trendVideoId, status, reason }, 'trend monitor finished');
  const video = await trendVideoRef(db, trendVideoId);
  // A monitor that ends by itself (its window is over, the video gone) is news for the admins;
  // one that cleanup ended already was not changed here and says nothing.
  if (changed && video) {
    await publishEvent(deps, {
      type: 'admin.monitor_changed',
      audience: { admins: true },
      key: `admin.monitor_changed:ended:${trendVideoId}`,
      data: {
        workflowId: video.workflowId ?? trendMonitorWorkflowId(video.platform, video.platformVideoId),
        platform: video.platform,
        videoId: video.platformVideoId,
        action: 'ended',
        status: video.status,
        reason,
        by: null,
      },
    });
  }
  return { changed, status: video?.status ?? (await trendVideoStatus(db, trendVideoId)) };
}

/**
 * A monitor was paused or resumed (admin signal): `paused` while paused, `monitoring` again
 * on resume (analysis marks it trending anew if it still is). Only a live row moves; the
 * answer is the status the database holds now.
 */
export async function recordTrendMonitorPause(
  { db }: Pick<ActivityDeps, 'db'>,
  { trendVideoId, paused }: { trendVideoId: number; paused: boolean },
): Promise<{ status: TrendVideoStatus }> {
  await setVideoPaused(db, trendVideoId, paused);
  return { status: await trendVideoStatus(db, trendVideoId) };
}

/**
 * Decides which names are trends at `runAt` (data time): every hashtag, topic, sound, format and
 * title keyword used in the recent window is tested against its own trailing history
 * (lib/domain/trendBurst.ts); a trend's status follows its adoption and, once it no longer
 * qualifies, fades and ends by missed runs (lib/domain/trendLifecycle.ts). Every trend's word is
 * written in one statement; then the fastest videos are marked trending and, once that is
 * committed, Trend Watch's live events go out: a trend detected (a new wave), peaking or fading.
 *
 * An incremental run (after a discovery) announces new trends and refreshes qualifying ones
 * only: it never counts a miss, so only the scheduled full run fades and ends trends.
 */
export async function analyzeTrends(
  deps: Pick<ActivityDeps, 'db' | 'logger' | 'redis' | 'settings' | 'clock' | 'sseReplayEvents'>,
  { runAt, incremental = false }: { runAt: string; incremental?: boolean },
  hooks: { inTransaction?: (trx: Knex.Transaction, newTrends: NewTrend[], at: Date) => Promise<void> } = {},
) {
  const { db, settings, clock } = deps;
  // The workflow fixes the run's real instant (a retry writes the same point); in data time here.
  const at = new Date(clock.at(Date.parse(runAt)));
  const since = new Date(at.getTime() - settings.analysisWindowMs);
  const groups = await trendEvidence(
    db,
    {
      at,
      windowMs: settings.analysisWindowMs,
      windows: settings.baselineWindows,
      minCreators: settings.minCreators,
      includeKnown: !incremental,
      explainAway: true,
    },
    settings,
  );
  // The admin scope lets the hook record tenants' alert firings in this same transaction.
  const { outcome, announcements } = await withTenant(db, { admin: true }, async (trx) => {
    const known = new Map((await knownTrends(trx)).map((t) => [trendKey(t), t]));
    const runs = groups.map((group) => ({ group, previous: known.get(trendKey(group)) }));
    // Live trends without a single video left in any window: seen by nobody, totals zero.
    const seen = new Set(groups.map(trendKey));
    if (!incremental)
      for (const [key, t] of known) if (!seen.has(key) && t.status !== 'ended') runs.push({ group: unseenGroup(t), previous: t });
    const decided = runs
      .map(({ group, previous }) => {
        const run = trendRun(group, previous, { since, at, incremental });
        return run && { ...run, previousStatus: previous?.status ?? null };
      })
      .filter((r) => r !== null);
    const ids = await saveTrendRun(
      trx,
      decided.map((r) => r.write),
    );
    if (!incremental) await markTrendingVideos(trx, { since, at, percentile: settings.trendingPercentile });
    const newTrends: NewTrend[] = decided
      .filter((r) => r.isNew)
      .map((r) => ({ kind: r.write.kind, name: r.write.name, score: r.write.point.score }));
    await hooks.inTransaction?.(trx, newTrends, at);
    return {
      outcome: {
        trends: decided.filter((r) => r.qualifies).length,
        newTrends,
        fading: decided.filter((r) => r.write.point.status === 'fading' && !r.qualifies).length,
        ended: decided.filter((r) => r.write.point.status === 'ended').length,
      },
      announcements: trendAnnouncements(decided, ids, at),
    };
  });
  // After the commit; a retried run finds its rows written and announces nothing again (and keys dedupe).
  for (const event of announcements) await publishEvent(deps, event);
  return outcome;
}

/**
 * Trend Watch's events of one run: a new wave is `trend.detected`; a known trend that reaches
 * peaking or fading (from another status) is `trend.peaking` / `trend.fading`. Only a run that is
 * the trend's latest speaks (a backfilled older run does not).
 */
function trendAnnouncements(
  decided: { write: TrendRunWrite; isNew: boolean; previousStatus: DetectedTrend['status'] | null }[],
  ids: Map<string, number>,
  at: Date,
): ProductEventInput[] {
  const events: ProductEventInput[] = [];
  for (const { write, isNew, previousStatus } of decided) {
    const id = ids.get(trendKey(write));
    if (!write.row || id === undefined) continue;
    const status = write.row.status;
    const type = isNew
      ? 'trend.detected'
      : status !== previousStatus && status === 'peaking'
        ? 'trend.peaking'
        : status !== previousStatus && status === 'fading'
          ? 'trend.fading'
          : null;
    if (!type) continue;
    const data: TrendEventData = {
      trendId: id,
      kind: write.kind,
      name: write.name,
      status,
      previousStatus: isNew ? null : previousStatus,
      score: write.row.score,
      creatorCount: write.row.creatorCount,
      videoCount: write.row.videoCount,
      baseline: write.row.baseline ?? null,
      burstScore: write.row.burstScore ?? null,
      platforms: write.row.platforms,
      detectedAt: at.toISOString(),
    };
    events.push({ type, audience: { trendWatch: true }, key: `${type}:${write.kind}:${write.name}:${data.detectedAt}`, data });
  }
  return events;
}

/**
 * Archives live videos published before the cut-off (past the monitoring window) and returns
 * their monitors, which cleanup then stops: an archived video is watched no more.
 */
export async function archiveExpiredTrendVideos(
  { db, clock, settings }: Pick<ActivityDeps, 'db' | 'clock' | 'settings'>,
  input: { runAt: string } | { publishedBefore: string },
): Promise<{ archived: number; workflowIds: string[]; cutoff: string }> {
  // The run's real instant (fixed by the workflow, so a retry archives the same set) in data time;
  // runs started before data time existed passed their cut-off itself.
  const cutoff =
    'runAt' in input ? new Date(clock.at(Date.parse(input.runAt)) - settings.monitorWindowMs).toISOString() : input.publishedBefore;
  return { ...(await archiveLiveVideosPublishedBefore(db, cutoff)), cutoff };
}

/** Marks videos that stayed slow after enough snapshots as dropped; returns their monitors. */
export async function dropSlowTrendVideos({ db, settings }: Pick<ActivityDeps, 'db' | 'settings'>): Promise<{ workflowIds: string[] }> {
  return { workflowIds: await dropSlowVideos(db, { minSnapshots: settings.dropMinSnapshots, velocity: settings.dropVelocity }) };
}

/**
 * Signals monitors to stop; a monitor that has ended already, or never existed, is fine (so a
 * retry after a partial run is too). Each monitor then records the status its row holds.
 */
export async function stopTrendMonitors(
  { temporal }: Pick<ActivityDeps, 'temporal'>,
  { workflowIds, reason }: { workflowIds: string[]; reason: string },
) {
  let stopped = 0;
  for (const id of workflowIds) if (await stopTrendMonitor(temporal, id, reason)) stopped++;
  return { stopped };
}

/** Deletes the snapshots of dropped videos: nobody charts an uninteresting video. */
export async function pruneDroppedSnapshots({ db }: Pick<ActivityDeps, 'db'>): Promise<{ pruned: number }> {
  return { pruned: await pruneDropped(db) };
}

export function createTrendActivities(deps: ActivityDeps) {
  // One batcher per worker: every monitor waking on this worker joins its batches.
  // Written snapshots go past the velocity_threshold rules (cached per minute, activities/alerts.ts)
  // before their activities answer: a firing is never lost between a snapshot and its answer.
  const velocityAlerts = new VelocityAlerts(deps);
  const snapshots = new SnapshotBatcher(deps, {
    windowMs: deps.settings.snapshotBatchWindowMs,
    onSnapshots: (snapshots) => velocityAlerts.check(snapshots),
  });
  return {
    startPendingMonitors: (input: Parameters<typeof startPendingMonitors>[1]) => startPendingMonitors(deps, input),
    takeTrendSnapshot: (input: SnapshotRequest) => takeTrendSnapshot({ ...deps, snapshots }, input),
    finishTrendMonitor: (input: Parameters<typeof finishTrendMonitor>[1]) => finishTrendMonitor(deps, input),
    recordTrendMonitorPause: (input: Parameters<typeof recordTrendMonitorPause>[1]) => recordTrendMonitorPause(deps, input),
    analyzeTrends: async (input: Parameters<typeof analyzeTrends>[1]) => {
      let firings: RecordedFiring[] = [];
      const outcome = await analyzeTrends(deps, input, {
        // New trends fire the trend_match rules in the analysis's own transaction: a trend and its
        // firings commit together (a retried run finds nothing new, so nothing may be left to it).
        inTransaction: async (trx, newTrends, at) => {
          firings = await recordTrendMatches(trx, newTrends, { at: input.runAt, now: at });
        },
      });
      await dispatchCommittedFirings(deps, firings);
      return outcome;
    },
    archiveExpiredTrendVideos: (input: Parameters<typeof archiveExpiredTrendVideos>[1]) => archiveExpiredTrendVideos(deps, input),
    dropSlowTrendVideos: () => dropSlowTrendVideos(deps),
    stopTrendMonitors: (input: Parameters<typeof stopTrendMonitors>[1]) => stopTrendMonitors(deps, input),
    pruneDroppedSnapshots: () => pruneDroppedSnapshots(deps),
  };
}

/**
 * One analysis run's word on one trend: its row (status, figures, missed runs, end) and one point
 * of its series, or null when the run has nothing to say. A retried run (the row already speaks
 * for this run time) changes nothing, and a backfilled older run only adds its point: the row
 * always shows the latest run.
 */
function trendRun(
  g: TrendGroup,
  previous: DetectedTrend | undefined,
  { since, at, incremental }: { since: Date; at: Date; incremental: boolean },
): { write: TrendRunWrite; isNew: boolean; qualifies: boolean } | null {
  const { baseline, burstScore, previousWindow } = g.burst;
  // A new wave must burst; a live trend stays one while it clears half the bar (trendBurst.ts).
  const live = previous !== undefined && previous.status !== 'ended';
  const qualifies = live ? g.burst.sustains : g.burst.qualifies;
  if (!previous && !qualifies) return null;
  if (previous && previous.windowEnd.getTime() === at.getTime()) return null;
  // An older run (a backfill) has no say on misses: the row has moved on since.
  if (previous && previous.windowEnd.getTime() > at.getTime() && !qualifies) return null;
  const standing = nextTrendStanding(
    previous ? { status: previous.status, score: previous.score, missedRuns: previous.missedRuns } : null,
    { adoption: adoptionOf(g.creatorCount, previousWindow) },
    qualifies,
    { incremental },
  );
  if (!standing) return null;
  const score = trendScore(g);
  const figures = {
    score,
    videoCount: g.videoCount,
    creatorCount: g.creatorCount,
    totalVelocity: g.totalVelocity,
    totalAcceleration: g.totalAcceleration,
    baseline,
    burstScore,
    status: standing.status,
  };
  const latest = !previous || previous.windowEnd.getTime() < at.getTime();
  const row = latest
    ? {
        ...figures,
        previousScore: standing.previousScore,
        missedRuns: standing.missedRuns,
        windowStart: since,
        windowEnd: at,
        platforms: qualifies || !previous ? g.platforms : previous.platforms,
        lastDetectedAt: qualifies || !previous ? at : previous.lastDetectedAt,
        endedAt: standing.status === 'ended' ? at : qualifies || !previous ? null : (previous.endedAt ?? null),
        firstSeenAt: g.firstSeenAt,
      }
    : undefined;
  return {
    write: { kind: g.kind, name: g.name, ...(previous ? { id: previous.id } : {}), ...(row ? { row } : {}), point: { ...figures, at } },
    isNew: standing.isNew && latest,
    qualifies,
  };
}

/** A live trend that no window holds a video of any more: seen by nobody, totals zero. */
function unseenGroup(t: DetectedTrend): TrendGroup {
  return {
    kind: t.kind,
    name: t.name,
    platforms: t.platforms,
    videoCount: 0,
    creatorCount: 0,
    totalVelocity: 0,
    totalAcceleration: 0,
    firstSeenAt: null,
    historyCreators: 0,
    burst: { baseline: 0, burstScore: 0, knownWindows: 0, previousWindow: null, qualifies: false, sustains: false, candidate: false },
  };
}

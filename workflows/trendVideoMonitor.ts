/**
 * trendVideoMonitor: one durable workflow per discovered video (id trend-video:{platform}:{id}).
 * Takes a snapshot right away, then one per interval on the video's own grid point for the whole
 * monitoring window (84 snapshots for 7 days every 2 h), and ends archived. Each snapshot has a
 * slot number, and the table's UNIQUE (video, slot) makes a retried write a no-op.
 *
 * Signals: pause, resume, stop. Query: state (definitions and types: temporal/contract). Search
 * attributes Platform and TrendStatus stay current, so the Web UI can filter monitors. Statuses
 * are the database's words (lib/domain/trendVideoStatus): a pause or resume is written to the row
 * at once, a stop ends the monitor `dropped` (or as the row already says, e.g. `archived` by
 * cleanup), and a row that has ended behind the monitor's back ends it at its next wake-up
 * without a snapshot.
 */
import { condition, patched, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { firstWakeAt, slotOffsetMs } from '../lib/domain/trendSettings';
import { isEndedTrendVideoStatus, monitorEndStatus, TrendVideoState, type EndedTrendVideoStatus } from '../lib/domain/trendVideoStatus';
import {
  FAILURE_TYPES,
  failureType,
  monitorState,
  pauseMonitor,
  PLATFORM,
  quotaResetAt,
  resumeMonitor,
  stopMonitor,
  TREND_STATUS,
  type TrendMonitorInput,
  type TrendMonitorState,
} from '../temporal/contract';

const ACTIVITY_OPTIONS = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
} as const;
const { takeTrendSnapshot, finishTrendMonitor, recordTrendMonitorPause } = proxyActivities<Activities>(ACTIVITY_OPTIONS);
/**
 * The snapshot as a local activity: it runs in the worker that holds the workflow, inside the
 * wake-up's own workflow task, so a wake-up costs the server one workflow task instead of two plus
 * an activity task (the grid point's burst drains about twice as fast). The snapshots of monitors
 * waking together still share their batch (activities/snapshotBatch.ts), as they run in one
 * process. A worker that dies mid-snapshot loses the task; the next worker takes it again, and
 * the slot's row makes that idempotent. Retries wait in the worker up to a minute, then by timer.
 */
const localSnapshot = proxyLocalActivities<Activities>(ACTIVITY_OPTIONS);

/**
 * Monitors started before this patch keep their recorded behaviour on replay. With it: a pause or
 * resume is written to the database and the search attribute at once, a video the database says
 * has ended ends its monitor, and the final status is the one the database holds.
 */
export const STATUS_IN_DB_PATCH = 'trend-monitor-status-in-db';
/** Slots whose moment passed while waiting for a quota reset are recorded as gaps instead of taken back to back. */
export const QUOTA_GAPS_PATCH = 'trend-monitor-quota-gaps';
/** Snapshots as local activities (monitors started before it keep their activity tasks on replay). */
export const LOCAL_SNAPSHOT_PATCH = 'trend-monitor-local-snapshot';

export async function trendVideoMonitor(input: TrendMonitorInput): Promise<TrendMonitorState> {
  const statusInDb = patched(STATUS_IN_DB_PATCH);
  const snapshot = patched(LOCAL_SNAPSHOT_PATCH) ? localSnapshot.takeTrendSnapshot : takeTrendSnapshot;
  const state: TrendMonitorState = {
    status: TrendVideoState.monitoring,
    snapshotsTaken: 0,
    nextSlot: 0,
    totalSlots: input.totalSlots,
    nextWakeAt: null,
    lastVelocity: null,
    lastAcceleration: null,
    skippedSlots: [],
  };
  let paused = false;
  /** Whether the database (and search attribute) say paused: follows `paused` through an activity. */
  let pauseRecorded = false;
  let stopReason: string | undefined;
  /** Set when the database says the video has ended (cleanup archived or dropped it). */
  let endedInDb: EndedTrendVideoStatus | undefined;

  setHandler(pauseMonitor, () => {
    paused = true;
  });
  setHandler(resumeMonitor, () => {
    paused = false;
  });
  setHandler(stopMonitor, (args) => {
    stopReason = args?.reason ?? 'stop signal without a reason';
  });
  setHandler(monitorState, () => ({
    ...state,
    status: paused && !stopReason && !isEndedTrendVideoStatus(state.status) ? TrendVideoState.paused : state.status,
  }));

  let shownStatus = '';
  const showStatus = (status: string) => {
    if (status === shownStatus) return;
    shownStatus = status;
    upsertSearchAttributes([
      { key: PLATFORM, value: input.platform },
      { key: TREND_STATUS, value: status },
    ]);
  };
  showStatus(TrendVideoState.monitoring);

  const pauseChanged = () => statusInDb && paused !== pauseRecorded;
  const ending = () => Boolean(stopReason) || endedInDb !== undefined;
  /** Writes a pause or resume to the database, then shows the status the database answers. */
  const recordPause = async () => {
    const want = paused;
    const { status } = await recordTrendMonitorPause({ trendVideoId: input.trendVideoId, paused: want });
    pauseRecorded = want;
    if (isEndedTrendVideoStatus(status)) endedInDb = status;
    else state.status = status;
    showStatus(status);
  };
  /** Sleeps until `at`, recording each pause or resume as it comes; returns early on stop. */
  const sleepUntil = async (at: number) => {
    for (;;) {
      while (pauseChanged() && !ending()) await recordPause();
      const wait = at - Date.now();
      if (ending() || wait <= 0) return;
      await condition(() => ending() || pauseChanged(), wait);
      if (!statusInDb) return; // the recorded behaviour: one wait per slot
    }
  };

  const offset = slotOffsetMs(input.platform, input.platformVideoId, input.snapshotIntervalMs, input.gridPoints);
  // Slot 0 right away (fresh data at discovery); then the video's grid point every interval.
  const anchor = firstWakeAt(Date.now() + 1, input.snapshotIntervalMs, offset);
  const slotTime = (slot: number) => (slot === 0 ? Date.now() : anchor + (slot - 1) * input.snapshotIntervalMs);

  let vanished = false;
  for (let slot = 0; slot < input.totalSlots && !ending(); slot++) {
    state.nextSlot = slot;
    const wakeAt = slotTime(slot);
    // The real next wake-up: a slot whose moment has passed (after a wait) is taken now.
    state.nextWakeAt = new Date(Math.max(wakeAt, Date.now())).toISOString();
    await sleepUntil(wakeAt);
    if (ending()) break;
    if (paused) {
      if (!statusInDb) showStatus(TrendVideoState.paused);
      state.skippedSlots.push(slot);
      state.nextWakeAt = new Date(Math.max(slotTime(slot + 1), Date.now())).toISOString();
      await condition(() => !paused || ending(), Math.max(1, slotTime(slot + 1) - Date.now()));
      continue; // the slot's moment has passed; the next one is taken on its own grid point
    }
    try {
      const result = await snapshot({
        trendVideoId: input.trendVideoId,
        platform: input.platform,
        platformVideoId: input.platformVideoId,
        slot,
        dueAt: wakeAt, // the grid instant (real ms): how late the snapshot came is measured against it
      });
      if (statusInDb && isEndedTrendVideoStatus(result.status)) {
        endedInDb = result.status; // archived or dropped behind the monitor's back: nothing was written
        break;
      }
      state.snapshotsTaken++;
      state.lastVelocity = result.velocity;
      state.lastAcceleration = result.acceleration;
      state.status = result.status === TrendVideoState.trending ? TrendVideoState.trending : TrendVideoState.monitoring;
      showStatus(state.status);
    } catch (err) {
      const type = failureType(err);
      if (type === FAILURE_TYPES.notFound) {
        vanished = true; // deleted or made private: nothing more to watch
        break;
      }
      if (type === FAILURE_TYPES.quotaExhausted) {
        // Wait for the platform's reset (real time, not scaled), then go on with the next slot.
        const resetAt = quotaResetAt(err);
        state.skippedSlots.push(slot);
        if (resetAt !== undefined && resetAt > Date.now()) {
          state.nextWakeAt = new Date(resetAt).toISOString(); // what the state query shows while waiting
          await sleepUntil(resetAt);
          // Slots whose moment passed during the wait are gaps; go on at the next grid point.
          // (Behind a patch: a monitor that waited before this change took them back to back.)
          if (patched(QUOTA_GAPS_PATCH))
            while (slot + 1 < input.totalSlots && slotTime(slot + 1) < Date.now()) state.skippedSlots.push(++slot);
        }
        continue;
      }
      // Anything else (retries exhausted, bad input, re-auth): record the gap, keep monitoring.
      state.skippedSlots.push(slot);
    }
  }

  // An admin's or cleanup's stop drops the video, unless its row ended first (then that status stands).
  const outcome = monitorEndStatus({ endedInDb, stopped: Boolean(stopReason), vanished });
  state.nextWakeAt = null;
  const finished = await finishTrendMonitor({ trendVideoId: input.trendVideoId, status: outcome, reason: stopReason ?? null });
  // The database has the last word, so the search attribute and the result say what it says.
  // Also for monitors started before the patch: replay compares the upsert command, not its value,
  // and histories recorded before it carry no status here (so they fall back to the outcome).
  const final = isEndedTrendVideoStatus(finished.status) ? finished.status : outcome;
  state.status = final;
  showStatus(final);
  return state;
}

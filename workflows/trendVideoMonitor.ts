/**
 * trendVideoMonitor: one durable workflow per discovered video (id trend-video:{platform}:{id}).
 * Takes a snapshot right away, then one per interval on the video's own grid point for the whole
 * monitoring window (84 snapshots for 7 days every 2 h), and ends archived. Each snapshot has a
 * slot number, and the table's UNIQUE (video, slot) makes a retried write a no-op.
 *
 * Signals: pause, resume, stop. Query: state. Search attributes Platform and TrendStatus stay
 * current, so the Web UI can filter monitors.
 */
import {
  ActivityFailure, ApplicationFailure, condition, defineQuery, defineSignal, proxyActivities, setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { firstWakeAt, slotOffsetMs } from '../lib/domain/trendSettings';
import type { PlatformName } from '../platforms/types';
import { PLATFORM, TREND_STATUS } from '../temporal/searchAttributes';

const { takeTrendSnapshot, finishTrendMonitor } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
});

export interface TrendMonitorInput {
  trendVideoId: string;
  platform: PlatformName;
  platformVideoId: string;
  snapshotIntervalMs: number;
  totalSlots: number;
}

export type MonitorStatus = 'monitoring' | 'trending' | 'paused' | 'stopped' | 'archived' | 'gone';

export interface TrendMonitorState {
  status: MonitorStatus;
  snapshotsTaken: number;
  nextSlot: number;
  totalSlots: number;
  nextWakeAt: string | null;
  lastVelocity: number | null;
  lastAcceleration: number | null;
  skippedSlots: number[];
}

export const pauseMonitor = defineSignal('pause');
export const resumeMonitor = defineSignal('resume');
export const stopMonitor = defineSignal<[{ reason?: string }?]>('stop');
export const monitorState = defineQuery<TrendMonitorState>('state');

/** The failure type an activity raised (ApplicationFailure.type), if any. */
function failureType(err: unknown): string | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;
}

export async function trendVideoMonitor(input: TrendMonitorInput): Promise<TrendMonitorState> {
  const state: TrendMonitorState = {
    status: 'monitoring', snapshotsTaken: 0, nextSlot: 0, totalSlots: input.totalSlots,
    nextWakeAt: null, lastVelocity: null, lastAcceleration: null, skippedSlots: [],
  };
  let paused = false;
  let stopReason: string | undefined;

  setHandler(pauseMonitor, () => {
    paused = true;
  });
  setHandler(resumeMonitor, () => {
    paused = false;
  });
  setHandler(stopMonitor, (args) => {
    stopReason = args?.reason ?? 'stopped';
  });
  setHandler(monitorState, () => ({ ...state, status: stopReason ? 'stopped' : paused ? 'paused' : state.status }));

  let shownStatus = '';
  const showStatus = (status: string) => {
    if (status === shownStatus) return;
    shownStatus = status;
    upsertSearchAttributes([{ key: PLATFORM, value: input.platform }, { key: TREND_STATUS, value: status }]);
  };
  showStatus('monitoring');

  const offset = slotOffsetMs(input.platform, input.platformVideoId, input.snapshotIntervalMs);
  // Slot 0 right away (fresh data at discovery); then the video's grid point every interval.
  const anchor = firstWakeAt(Date.now() + 1, input.snapshotIntervalMs, offset);
  const slotTime = (slot: number) => (slot === 0 ? Date.now() : anchor + (slot - 1) * input.snapshotIntervalMs);

  let outcome: 'archived' | 'gone' | 'dropped' = 'archived';
  for (let slot = 0; slot < input.totalSlots && !stopReason; slot++) {
    state.nextSlot = slot;
    const wakeAt = slotTime(slot);
    // The real next wake-up: a slot whose moment has passed (after a wait) is taken now.
    state.nextWakeAt = new Date(Math.max(wakeAt, Date.now())).toISOString();
    const wait = wakeAt - Date.now();
    if (wait > 0) await condition(() => Boolean(stopReason), wait);
    if (stopReason) break;
    if (paused) {
      showStatus('paused');
      state.skippedSlots.push(slot);
      state.nextWakeAt = new Date(Math.max(slotTime(slot + 1), Date.now())).toISOString();
      await condition(() => !paused || Boolean(stopReason), Math.max(1, slotTime(slot + 1) - Date.now()));
      continue; // the slot's moment has passed; the next one is taken on its own grid point
    }
    try {
      const result = await takeTrendSnapshot({ trendVideoId: input.trendVideoId, platform: input.platform, platformVideoId: input.platformVideoId, slot });
      state.snapshotsTaken++;
      state.lastVelocity = result.velocity;
      state.lastAcceleration = result.acceleration;
      state.status = result.status === 'trending' ? 'trending' : 'monitoring';
      showStatus(state.status);
    } catch (err) {
      const type = failureType(err);
      if (type === 'not_found') {
        outcome = 'gone'; // deleted or made private: nothing more to watch
        break;
      }
      if (type === 'quota_exhausted') {
        // Wait for the platform's reset (real time, not scaled), then go on with the next slot.
        const resetAt = Date.parse(String(((err as ActivityFailure).cause as ApplicationFailure).details?.[0] ?? ''));
        state.skippedSlots.push(slot);
        if (Number.isFinite(resetAt) && resetAt > Date.now()) {
          state.nextWakeAt = new Date(resetAt).toISOString(); // what the state query shows while waiting
          await condition(() => Boolean(stopReason), resetAt - Date.now());
          // Slots whose moment passed during the wait are gaps; go on at the next grid point.
          while (slot + 1 < input.totalSlots && slotTime(slot + 1) < Date.now()) state.skippedSlots.push(++slot);
        }
        continue;
      }
      // Anything else (retries exhausted, bad input, re-auth): record the gap, keep monitoring.
      state.skippedSlots.push(slot);
    }
  }

  if (stopReason) outcome = 'dropped';
  state.status = outcome === 'archived' ? 'archived' : outcome === 'gone' ? 'gone' : 'stopped';
  state.nextWakeAt = null;
  await finishTrendMonitor({ trendVideoId: input.trendVideoId, status: outcome, reason: stopReason ?? null });
  showStatus(outcome);
  return state;
}


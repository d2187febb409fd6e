/**
 * How often a tracked video is fetched again: young videos get a true velocity curve, old ones
 * cost little. Ages and gaps are in data time (lib/clock.ts), so compressed demos and
 * tests follow the same rules. Pure: used by the sync activity, testable on its own.
 */
import { PLATFORMS, type PlatformName } from './platforms';

const HOUR = 3_600_000;

export interface Cadence {
  /** [max age, refresh every] pairs, youngest first; older than all → the last interval. */
  steps: { maxAgeMs: number; everyMs: number }[];
}

const DEFAULT_CADENCE: Cadence = {
  steps: [
    { maxAgeMs: 48 * HOUR, everyMs: 1 * HOUR },
    { maxAgeMs: 30 * 24 * HOUR, everyMs: 6 * HOUR },
    { maxAgeMs: Number.POSITIVE_INFINITY, everyMs: 24 * HOUR },
  ],
};

export function refreshInterval(ageMs: number, cadence: Cadence = DEFAULT_CADENCE): number {
  return (cadence.steps.find((s) => ageMs < s.maxAgeMs) ?? cadence.steps[cadence.steps.length - 1]!).everyMs;
}

/** Whether a video published `ageMs` ago and last fetched `sinceFetchMs` ago (null: never) is due. */
export function isDue(ageMs: number, sinceFetchMs: number | null, cadence: Cadence = DEFAULT_CADENCE): boolean {
  return sinceFetchMs === null || sinceFetchMs >= refreshInterval(ageMs, cadence);
}

/**
 * Rough platform calls one sync of one creator costs (listing pages plus stats batches): what a
 * tenant's quota share must still hold for a sync to call the platform.
 */
export function syncCallEstimate(platform: PlatformName, maxVideos: number): number {
  return PLATFORMS[platform].syncCalls(maxVideos);
}

/**
 * The budget day a data-time instant (lib/clock.ts) falls in: its UTC date, and when the next one
 * starts. In a simulation data time runs fast, so its days pass as fast.
 */
export function budgetDay(nowMs: number): { day: string; nextDayAt: number } {
  const DAY = 86_400_000;
  const dayStart = Math.floor(nowMs / DAY) * DAY;
  return { day: new Date(dayStart).toISOString().slice(0, 10), nextDayAt: dayStart + DAY };
}

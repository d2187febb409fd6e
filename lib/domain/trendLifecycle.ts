/**
 * The life of a detected trend across analysis runs. A run qualifies a name by the burst test
 * (lib/domain/trendBurst.ts). While it qualifies, its status follows its adoption: distinct
 * creators in the recent window against the window before it (scaled to the same volume):
 *
 *   rising  → emerging        flat → peaking        falling → fading
 *
 * Once it stops qualifying (no longer bursts, or nobody uses it) it cannot stay where it was:
 *
 *   the first run that does not see it  → fading (missedRuns = 1), its score the window's real one
 *   TREND_END_AFTER_MISSED_RUNS in a row → ended (endedAt = that run's time); no more points
 *   seen again while fading             → back to the adoption rule, missedRuns = 0
 *   seen again after it ended           → a new wave, announced again
 *
 * Counted in runs, not hours, so a run that did not happen (schedule paused, Temporal down) never
 * ends a trend on its own; each run is one look at the window. An incremental run (right after a
 * discovery) only announces new trends and refreshes figures: it never counts a miss, and a
 * known trend keeps the status the last full run gave it.
 */
export const TREND_STATUSES = ['emerging', 'peaking', 'fading', 'ended'] as const;
export type TrendLifecycleStatus = (typeof TREND_STATUSES)[number];

/** Every status but `ended`: what /api/trends/trending shows by default. */
export const LIVE_TREND_STATUSES = ['emerging', 'peaking', 'fading'] as const satisfies readonly TrendLifecycleStatus[];
export type LiveTrendStatus = (typeof LIVE_TREND_STATUSES)[number];

/** Consecutive analysis runs a trend may go unseen: the first makes it fading, this many end it. */
export const TREND_END_AFTER_MISSED_RUNS = 2;

/** Where a name's adoption is heading: the recent window against the one before. */
export type Adoption = 'rising' | 'flat' | 'falling';

/** What a run saw of a trend that the lifecycle needs. */
export interface TrendTotals {
  adoption: Adoption;
}

export interface TrendStanding {
  status: TrendLifecycleStatus;
  score: number;
  missedRuns: number;
}

export interface NextStanding {
  status: TrendLifecycleStatus;
  missedRuns: number;
  /** The score the next run compares with (null: a new wave, nothing to compare with). */
  previousScore: number | null;
  /** True when this run starts a wave: a first detection, or a trend that had ended. */
  isNew: boolean;
}

/**
 * Adoption from distinct creators now and in the window before (null: that window is unknown,
 * so the name is new to the product). A change must be 10 % and at least one creator, so that
 * small counts do not flap between statuses.
 */
export function adoptionOf(creators: number, previousWindow: number | null): Adoption {
  if (previousWindow === null) return 'rising';
  const change = creators - previousWindow;
  if (change >= 1 && change > previousWindow * 0.1) return 'rising';
  if (change <= -1 && -change > previousWindow * 0.1) return 'falling';
  return 'flat';
}

/** A qualifying trend's status: emerging while adoption rises, peaking when it flattens, fading when it falls. */
export function trendStatus(adoption: Adoption): LiveTrendStatus {
  return adoption === 'rising' ? 'emerging' : adoption === 'flat' ? 'peaking' : 'fading';
}

/**
 * Where a trend stands after a run that did (`qualifies`) or did not see it; null when the run
 * has no say (an incremental run about a name that does not qualify).
 */
export function nextTrendStanding(
  previous: TrendStanding | null,
  now: TrendTotals,
  qualifies: boolean,
  { incremental = false }: { incremental?: boolean } = {},
): NextStanding | null {
  if (qualifies) {
    if (!previous || previous.status === 'ended')
      return { status: trendStatus(now.adoption), missedRuns: 0, previousScore: null, isNew: true };
    if (incremental) return { status: previous.status, missedRuns: previous.missedRuns, previousScore: previous.score, isNew: false };
    return { status: trendStatus(now.adoption), missedRuns: 0, previousScore: previous.score, isNew: false };
  }
  if (incremental) return null;
  if (!previous) throw new Error('a trend that was never detected has no standing to lose');
  if (previous.status === 'ended') return { status: 'ended', missedRuns: previous.missedRuns, previousScore: previous.score, isNew: false };
  const missedRuns = previous.missedRuns + 1;
  return {
    status: missedRuns >= TREND_END_AFTER_MISSED_RUNS ? 'ended' : 'fading',
    missedRuns,
    previousScore: previous.score,
    isNew: false,
  };
}

/**
 * The life of a detected trend across analysis runs. While it qualifies (enough distinct creators
 * in the window), its status follows its score against the previous run (emerging, peaking,
 * fading). Once it stops qualifying it cannot stay where it was:
 *
 *   the first run that does not see it  → fading (missedRuns = 1), its score the window's real one
 *   TREND_END_AFTER_MISSED_RUNS in a row → ended (endedAt = that run's time); no more points
 *   seen again while fading             → back to the score rule, missedRuns = 0
 *   seen again after it ended           → a new wave: emerging, announced again
 *
 * Counted in runs, not hours, so a run that did not happen (schedule paused, Temporal down) never
 * ends a trend on its own; each run is one look at the window.
 */
export const TREND_STATUSES = ['emerging', 'peaking', 'fading', 'ended'] as const;
export type TrendLifecycleStatus = (typeof TREND_STATUSES)[number];

/** Every status but `ended`: what /api/trends/trending shows by default. */
export const LIVE_TREND_STATUSES = ['emerging', 'peaking', 'fading'] as const satisfies readonly TrendLifecycleStatus[];
export type LiveTrendStatus = (typeof LIVE_TREND_STATUSES)[number];

/** Consecutive analysis runs a trend may go unseen: the first makes it fading, this many end it. */
export const TREND_END_AFTER_MISSED_RUNS = 2;

export interface TrendTotals {
  score: number;
  totalAcceleration: number;
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

/** Status from the score against the previous window: rising fast, still high but flat, falling. */
export function trendStatus(score: number, previousScore: number | null, totalAcceleration: number): LiveTrendStatus {
  if (previousScore === null) return 'emerging';
  if (score < previousScore * 0.9) return 'fading';
  if (score > previousScore * 1.1 && totalAcceleration > 0) return 'emerging';
  return 'peaking';
}

/** Where a trend stands after a run that did (`qualifies`) or did not see it. */
export function nextTrendStanding(previous: TrendStanding | null, now: TrendTotals, qualifies: boolean): NextStanding {
  if (qualifies) {
    if (!previous || previous.status === 'ended') return { status: 'emerging', missedRuns: 0, previousScore: null, isNew: true };
    return {
      status: trendStatus(now.score, previous.score, now.totalAcceleration),
      missedRuns: 0,
      previousScore: previous.score,
      isNew: false,
    };
  }
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

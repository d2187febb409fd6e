/**
 * The one vocabulary for a Trend Watch video's status. The database column (its check
 * constraint), the monitor workflow's TrendStatus search attribute and state query, the API's
 * schemas and filters all use these words. Workflow-safe (no imports).
 *
 *   monitoring → the monitor takes a snapshot every interval
 *   trending   → monitoring, and analysis found it among the fastest videos of the window
 *   paused     → an admin paused the monitor: slots are skipped until it resumes
 *   archived   → its monitoring window is over (the monitor reached its last slot, or cleanup)
 *   dropped    → stopped early: too slow after enough snapshots (cleanup) or stopped by an admin
 *   gone       → the platform no longer has it (deleted or made private)
 */
export const TREND_VIDEO_STATUSES = ['monitoring', 'trending', 'paused', 'archived', 'dropped', 'gone'] as const;
export type TrendVideoStatus = (typeof TREND_VIDEO_STATUSES)[number];

/** Named members, so code says `TrendVideoState.dropped` instead of a bare string. */
export const TrendVideoState = Object.freeze(
  Object.fromEntries(TREND_VIDEO_STATUSES.map((s) => [s, s])) as { readonly [S in TrendVideoStatus]: S },
);

/** Statuses whose monitor may still be running. */
export const LIVE_TREND_VIDEO_STATUSES = ['monitoring', 'trending', 'paused'] as const satisfies readonly TrendVideoStatus[];
export type LiveTrendVideoStatus = (typeof LIVE_TREND_VIDEO_STATUSES)[number];

/** Final statuses: the monitor has ended (or must end) and nothing is written for the video any more. */
const ENDED_TREND_VIDEO_STATUSES = ['archived', 'dropped', 'gone'] as const satisfies readonly TrendVideoStatus[];
export type EndedTrendVideoStatus = (typeof ENDED_TREND_VIDEO_STATUSES)[number];

export function isLiveTrendVideoStatus(status: string | null | undefined): status is LiveTrendVideoStatus {
  return (LIVE_TREND_VIDEO_STATUSES as readonly string[]).includes(status ?? '');
}

/**
 * The status a monitor ends with: its row's, when that ended first (the database has the last
 * word); else dropped when it was stopped, gone when the platform lost the video, and archived
 * when its monitoring window ran out.
 */
export function monitorEndStatus(end: { endedInDb?: EndedTrendVideoStatus; stopped: boolean; vanished: boolean }): EndedTrendVideoStatus {
  if (end.endedInDb) return end.endedInDb;
  if (end.stopped) return TrendVideoState.dropped;
  if (end.vanished) return TrendVideoState.gone;
  return TrendVideoState.archived;
}

export function isEndedTrendVideoStatus(status: string | null | undefined): status is EndedTrendVideoStatus {
  return (ENDED_TREND_VIDEO_STATUSES as readonly string[]).includes(status ?? '');
}

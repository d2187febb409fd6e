/**
 * Blogger sync timing from configuration, handed to each bloggerSync workflow as input (workflow
 * code never reads the environment). The API (create) and the reconciler (restart) build the
 * same input from it, so a restarted sync runs exactly like a new one.
 */
import type { Config } from '../config';

export interface BloggerSyncSettings {
  syncIntervalMs: number;
  lookbackMs: number;
  maxVideos: number;
  /** Backoff of a failed activity: retried without an attempt limit, the delay capped. Real time, not scaled. */
  retry: { initialIntervalMs: number; maximumIntervalMs: number };
}

export type BloggerSyncConfig = Pick<
  Config,
  | 'TIME_SCALE'
  | 'BLOGGER_SYNC_MINUTES'
  | 'BLOGGER_LOOKBACK_DAYS'
  | 'BLOGGER_MAX_VIDEOS_PER_SYNC'
  | 'BLOGGER_SYNC_RETRY_INITIAL_SECONDS'
  | 'BLOGGER_SYNC_RETRY_MAX_SECONDS'
>;

export function bloggerSyncSettings(c: BloggerSyncConfig): BloggerSyncSettings {
  const initialIntervalMs = Math.max(10, Math.round(c.BLOGGER_SYNC_RETRY_INITIAL_SECONDS * 1000));
  return {
    syncIntervalMs: Math.max(1, (c.BLOGGER_SYNC_MINUTES * 60_000) / c.TIME_SCALE),
    // Data time (lib/clock.ts): subtracted from the sync's data-time instant.
    lookbackMs: c.BLOGGER_LOOKBACK_DAYS * 86_400_000,
    maxVideos: c.BLOGGER_MAX_VIDEOS_PER_SYNC,
    retry: { initialIntervalMs, maximumIntervalMs: Math.max(initialIntervalMs, Math.round(c.BLOGGER_SYNC_RETRY_MAX_SECONDS * 1000)) },
  };
}

/**
 * Every platform failure is one PlatformError of one class (README "Platforms"), so
 * activities decide without knowing the platform: retry, wait for the quota reset, surface to
 * admins, mark the video/creator, or treat as a bug.
 */
import type { PlatformName } from './types';

export type PlatformErrorKind =
  /** 5xx, 429, throttling, timeouts, network: retry with backoff (honour retryAfterMs). */
  | 'retryable'
  /** The daily quota bucket is spent: stop calling it until resetAt. */
  | 'quota_exhausted'
  /** Missing/invalid key or token, permissions: non-retryable, an operator must act. */
  | 'reauth'
  /** Unknown video/creator, private or deleted: non-retryable, mark it. */
  | 'not_found'
  /**
   * This id could not be looked up this time, and asking again soon would not change that
   * (Instagram: a post older than the pages of media read). Non-retryable, but NOT a sign of
   * deletion: keep the video, skip it now, ask again at its next turn.
   */
  | 'unavailable'
  /** We sent something the platform rejects (bad page token, params), or it sent garbage: a bug. */
  | 'bad_input';

export class PlatformError extends Error {
  override name = 'PlatformError';

  constructor(
    readonly platform: PlatformName,
    readonly kind: PlatformErrorKind,
    message: string,
    readonly info: { status?: number; code?: string; retryAfterMs?: number; resetAt?: string } = {},
  ) {
    super(`${platform}: ${message}`);
  }

  /** Whether an activity should let Temporal retry it. */
  get retryable(): boolean {
    return this.kind === 'retryable';
  }
}

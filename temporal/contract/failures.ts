/**
 * How an activity's failure reaches a workflow: a non-retryable ApplicationFailure whose `type`
 * names the platform error class (activities/failures.ts raises them), and for a spent quota the
 * reset time as its first detail. Both sides use this file, so they cannot drift. Workflow-safe.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { PlatformErrorKind } from '../../platforms/errors';

/** The failure types workflows act on (a subset of the platform error classes). */
export const FAILURE_TYPES = {
  /** The platform's daily quota is spent: wait for its reset (quotaResetAt). */
  quotaExhausted: 'quota_exhausted',
  /** The video or creator is gone (deleted, private). */
  notFound: 'not_found',
} as const satisfies Record<string, PlatformErrorKind>;

/** The details a quota failure carries: its reset time (ISO), or null when the platform did not say. */
export function quotaFailureDetails(resetAt: string | undefined): [string | null] {
  return [resetAt ?? null];
}

/**
 * The ApplicationFailure behind an activity's failure, if that is what it is: an activity's comes
 * wrapped in an ActivityFailure, a local activity's (SDK 1.24) as the ApplicationFailure itself.
 */
function applicationCause(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
}

/** The failure type an activity raised (ApplicationFailure.type), if any. */
export function failureType(err: unknown): string | undefined {
  return applicationCause(err)?.type ?? undefined;
}

/** When a quota failure's quota resets (epoch ms); undefined for any other failure or an unknown reset. */
export function quotaResetAt(err: unknown): number | undefined {
  const cause = applicationCause(err);
  if (cause?.type !== FAILURE_TYPES.quotaExhausted) return undefined;
  const resetAt = Date.parse(String(cause.details?.[0] ?? ''));
  return Number.isFinite(resetAt) ? resetAt : undefined;
}

/** The message of a failed activity's cause (or of any error), for logs. */
export function failureMessage(err: unknown): string {
  return applicationCause(err)?.message ?? (err instanceof Error ? err.message : String(err));
}

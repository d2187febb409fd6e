/**
 * Platform errors as Temporal sees them: a retryable class is thrown as a retryable failure
 * (honouring the platform's Retry-After), every other class as a non-retryable failure whose
 * `type` names the class, so workflows decide: wait for the quota reset, end a monitor of a
 * deleted video, or record a gap. The encoding is the contract's (temporal/contract/failures.ts).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Clock } from '../lib/clock';
import { PlatformError } from '../platforms/errors';
import { FAILURE_TYPES, quotaFailureDetails } from '../temporal/contract';

/**
 * `clock` turns a quota's reset (data time, as the adapters count days) into the real instant the
 * workflow's timer waits for.
 */
export function toActivityFailure(err: unknown, clock: Clock): unknown {
  if (!(err instanceof PlatformError)) return err;
  if (err.retryable) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.kind,
      nonRetryable: false,
      ...(err.info.retryAfterMs ? { nextRetryDelay: err.info.retryAfterMs } : {}),
    });
  }
  return ApplicationFailure.create({
    message: err.message,
    type: err.kind,
    nonRetryable: true,
    details:
      err.kind === FAILURE_TYPES.quotaExhausted
        ? quotaFailureDetails(
            err.info.resetAt === undefined ? undefined : new Date(clock.realAt(Date.parse(err.info.resetAt))).toISOString(),
          )
        : [],
  });
}

/** Runs platform work, re-throwing its errors as the failures above. */
export async function platformCall<T>(clock: Clock, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toActivityFailure(err, clock);
  }
}

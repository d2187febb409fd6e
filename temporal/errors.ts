/**
 * Whether a Temporal client call failed because the server could not be reached (down, network,
 * or no answer within the call's deadline), as opposed to an answer such as "not found".
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError, ServiceError } from '@temporalio/client';

const UNREACHABLE = new Set<number>([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED]);

export function isTemporalUnavailable(err: unknown): boolean {
  if (err instanceof ServiceError) return isTemporalUnavailable(err.cause);
  return isGrpcServiceError(err) && UNREACHABLE.has(err.code);
}

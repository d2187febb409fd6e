import assert from 'node:assert/strict';
import { Metadata, status } from '@grpc/grpc-js';
import { ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { toAppError } from './errors';

/** A gRPC failure as @grpc/grpc-js reports it, wrapped the way the Temporal client rethrows it. */
function temporalFailure(code: status, details: string): Error {
  const grpc = Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
  return new ServiceError('Failed to start Workflow', { cause: grpc });
}

describe('error middleware mapping', () => {
  it('when Temporal is unreachable or does not answer in time, then 503 temporal_unavailable with Retry-After, whatever the route', () => {
    for (const err of [
      temporalFailure(status.UNAVAILABLE, 'No connection established'),
      temporalFailure(status.DEADLINE_EXCEEDED, 'Deadline exceeded'),
    ]) {
      const mapped = toAppError(err);
      assert.equal(mapped?.status, 503);
      assert.equal(mapped?.code, 'temporal_unavailable');
      assert.ok(Number(mapped?.headers['Retry-After']) > 0);
      assert.doesNotMatch(mapped!.message, /No connection|Deadline|127\.0\.0\.1/);
    }
  });

  it('when Temporal answers with a refusal (not found, invalid argument), then it is not taken for an outage', () => {
    assert.notEqual(toAppError(temporalFailure(status.INVALID_ARGUMENT, 'bad'))?.code, 'temporal_unavailable');
    assert.notEqual(toAppError(new WorkflowNotFoundError('gone', 'wf', undefined))?.code, 'temporal_unavailable');
  });
});

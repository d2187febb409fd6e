/**
 * One-shot job for a real Temporal cluster (docker compose, `npm run prod:smoke`): waits until the
 * frontend at TEMPORAL_ADDRESS answers, registers TEMPORAL_NAMESPACE with a retention of
 * TEMPORAL_RETENTION_DAYS (updating it when it differs) and adds the custom search attributes.
 * Idempotent: run it on every deploy.
 *
 *   node dist/scripts/temporalSetup.js [--wait-seconds 180]
 */
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs, tsToMs } from '@temporalio/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { getConfig } from '../lib/config';
import { ensureNamespace, ensureSearchAttributes } from '../temporal/client';
import { exitWithReason, ServiceError } from './services';

const log = (line: string) => console.log(`[temporal-setup] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Refusals that no amount of waiting fixes: stop at once instead of retrying until the deadline. */
const PERMANENT = new Set<number>([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.PERMISSION_DENIED, GrpcStatus.UNAUTHENTICATED]);

function describe(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

async function setUp(connection: Connection, namespace: string, retentionDays: number): Promise<void> {
  if (await ensureNamespace(connection, namespace, retentionDays)) {
    log(`registered namespace ${namespace} (retention ${retentionDays} days)`);
  } else {
    const { config } = await connection.workflowService.describeNamespace({ namespace });
    const current = config?.workflowExecutionRetentionTtl ? tsToMs(config.workflowExecutionRetentionTtl) : undefined;
    const wanted = retentionDays * 86_400_000;
    if (current !== wanted) {
      await connection.workflowService.updateNamespace({
        namespace,
        config: { workflowExecutionRetentionTtl: msToTs(wanted) },
      });
      log(`namespace ${namespace}: retention changed to ${retentionDays} days`);
    } else {
      log(`namespace ${namespace} already registered (retention ${retentionDays} days)`);
    }
  }
  const added = await ensureSearchAttributes(connection, namespace);
  log(added.length ? `added search attributes: ${added.join(', ')}` : 'search attributes already present');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'wait-seconds': { type: 'string', default: '180' } } });
  const waitSeconds = Number(values['wait-seconds']);
  if (!Number.isFinite(waitSeconds) || waitSeconds <= 0) throw new ServiceError('--wait-seconds takes a positive number');
  const config = getConfig();
  const deadline = Date.now() + waitSeconds * 1000;
  log(`waiting for Temporal at ${config.TEMPORAL_ADDRESS} (up to ${waitSeconds} s)`);
  let lastError = 'no attempt made';
  // A fresh cluster accepts connections before its services have joined the ring ("Not enough
  // hosts to serve the request"): the whole set-up is retried until it succeeds or time is up.
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: '5s' }).catch((err: unknown) => {
      lastError = describe(err);
      return undefined;
    });
    if (connection) {
      try {
        await setUp(connection, config.TEMPORAL_NAMESPACE, config.TEMPORAL_RETENTION_DAYS);
        log('done');
        return;
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code !== undefined && PERMANENT.has(code)) throw err;
        lastError = describe(err);
      } finally {
        await connection.close().catch(() => undefined);
      }
    }
    if (attempt === 1 || attempt % 5 === 0) log(`not ready yet (${lastError}); retrying`);
    await sleep(Math.min(2000, Math.max(0, deadline - Date.now())));
  }
  throw new ServiceError(
    `Temporal at ${config.TEMPORAL_ADDRESS} did not accept the namespace set-up within ${waitSeconds} s. Last error: ${lastError}`,
  );
}

main().catch(exitWithReason);

/**
 * Temporal client factory, and the idempotent namespace set-up (namespace plus the custom
 * search attributes the Web UI filters by) shared by the services script and the tests.
 */
import { Client, Connection } from '@temporalio/client';
import { msToTs, type defineSearchAttributeKey } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CUSTOM_SEARCH_ATTRIBUTES } from './searchAttributes';

export interface TemporalOptions {
  address: string;
  namespace: string;
}

export interface Temporal {
  connection: Connection;
  client: Client;
  close(): Promise<void>;
}

export async function connectTemporal({ address, namespace }: TemporalOptions): Promise<Temporal> {
  const connection = await Connection.connect({ address, connectTimeout: '5s' });
  const client = new Client({ connection, namespace });
  return { connection, client, close: () => connection.close() };
}

/** True when the frontend answers its gRPC health check within the deadline. */
export async function isTemporalServing(connection: Connection, timeoutMs = 2000): Promise<boolean> {
  const res = await connection.withDeadline(Date.now() + timeoutMs, () => connection.healthService.check({}));
  return res.status === 1; // SERVING
}

function grpcCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? (err as { code: number }).code : undefined;
}

/** Registers the namespace when missing and waits until it accepts calls. */
export async function ensureNamespace(connection: Connection, namespace: string, retentionDays = 3): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (err) {
    if (grpcCode(err) !== GrpcStatus.NOT_FOUND) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
    });
  } catch (err) {
    if (grpcCode(err) !== GrpcStatus.ALREADY_EXISTS) throw err;
  }
  // A new namespace reaches the frontend's cache after a few seconds.
  for (let i = 0; i < 60; i++) {
    try {
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`Temporal namespace "${namespace}" was registered but did not become usable within 30 s`);
}

/** Adds the custom search attributes that are missing on the namespace; returns the added names. */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: ReturnType<typeof defineSearchAttributeKey>[] = CUSTOM_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = keys.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, proto.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${k.type}`]])),
  });
  return missing.map((k) => k.name);
}

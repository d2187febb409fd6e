/**
 * Temporal client factory, and the idempotent namespace set-up (namespace plus the custom
 * search attributes the Web UI filters by) shared by the services script and the tests.
 */
import { Client, Connection, defaultGrpcRetryOptions, isGrpcServiceError, makeGrpcRetryInterceptor } from '@temporalio/client';
import { msToTs, type defineSearchAttributeKey } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import {
  connectivityState,
  InterceptingCall,
  ListenerBuilder,
  RequesterBuilder,
  status as GrpcStatus,
  type Interceptor,
  type InterceptorOptions,
  type StatusObject,
} from '@grpc/grpc-js';
import { CUSTOM_SEARCH_ATTRIBUTES } from './contract';

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

/** How long an API call to Temporal may take when the caller set no deadline of its own. */
const API_CALL_TIMEOUT_MS = 10_000;
/** Attempts of one call on UNAVAILABLE: a blip is retried, an outage fails in well under a second (the SDK's default takes ~20 s). */
const API_CALL_ATTEMPTS = 3;
/** A dropped connection is closed this much later, so calls still running on it can finish. */
const RETIRED_CLOSE_DELAY_MS = 30_000;

/** A Connection that can tell whether its gRPC channel is up (the channel is protected in the SDK). */
class ObservedConnection extends Connection {
  get channelReady(): boolean {
    return this.client.getChannel().getConnectivityState(false) === connectivityState.READY;
  }
}

/** An interceptor that may adjust a call's options as it starts and sees the call's final status. */
function observeStatus(
  onStart: (options: InterceptorOptions) => InterceptorOptions,
  onStatus: (status: StatusObject) => void,
): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(
      nextCall(onStart(options)),
      new RequesterBuilder()
        .withStart((metadata, _listener, next) =>
          next(
            metadata,
            new ListenerBuilder()
              .withOnReceiveStatus((status, nextStatus) => {
                onStatus(status);
                nextStatus(status);
              })
              .build(),
          ),
        )
        .build(),
    );
}

/**
 * The API's Temporal connection, for a process that must outlive Temporal outages. The SDK's
 * Connection remembers its first failed connect for good, and a gRPC channel that keeps failing
 * backs off for up to two minutes. So a connection on which a call finds Temporal unreachable
 * (UNAVAILABLE, or a deadline passed while the channel was not even connected) is dropped, and
 * the next use (a route or the /api/ready probe) opens a fresh one. Nothing connects at start-up.
 * Read `client` and `connection` at each use: after a drop they are new objects.
 */
export class RecoveringTemporal implements Temporal {
  private current: { connection: ObservedConnection; client: Client } | undefined;
  private readonly retired = new Set<Connection>();
  private closed = false;
  /** Calls still running (retries included), so close() does not pull the channel from under them. */
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: TemporalOptions,
    private readonly logger?: { warn(obj: object, msg: string): void },
  ) {}

  get connection(): Connection {
    return this.open().connection;
  }

  get client(): Client {
    return this.open().client;
  }

  async close(): Promise<void> {
    this.closed = true;
    // A retry scheduled on a closed channel would throw from its timer; every call ends by its deadline.
    if (this.inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, API_CALL_TIMEOUT_MS + 1000).unref()),
      ]);
    }
    const all = [...this.retired, ...(this.current ? [this.current.connection] : [])];
    this.current = undefined;
    this.retired.clear();
    await Promise.allSettled(all.map((c) => c.close()));
  }

  private open(): { connection: ObservedConnection; client: Client } {
    if (this.closed) throw new Error('The Temporal client is closed');
    if (this.current) return this.current;
    const own: { connection?: ObservedConnection } = {}; // set below; the interceptors run later
    const withDefaultDeadline = observeStatus(
      (options) => {
        this.inFlight++;
        return options.deadline === undefined ? { ...options, deadline: Date.now() + API_CALL_TIMEOUT_MS } : options;
      },
      () => {
        if (--this.inFlight === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
      },
    );
    const dropWhenUnreachable = observeStatus(
      (options) => options,
      (status) => {
        const unreachable =
          status.code === GrpcStatus.UNAVAILABLE || (status.code === GrpcStatus.DEADLINE_EXCEEDED && !own.connection?.channelReady);
        if (unreachable && own.connection) this.drop(own.connection, status.details);
      },
    );
    const connection = ObservedConnection.lazy({
      address: this.options.address,
      // Outermost first: one deadline for all attempts, and every attempt observed.
      interceptors: [
        withDefaultDeadline,
        makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: API_CALL_ATTEMPTS })),
        dropWhenUnreachable,
      ],
    }) as ObservedConnection;
    own.connection = connection;
    this.current = { connection, client: new Client({ connection, namespace: this.options.namespace }) };
    return this.current;
  }

  private drop(connection: ObservedConnection, reason: string): void {
    if (this.current?.connection !== connection) return;
    this.current = undefined;
    this.logger?.warn({ address: this.options.address, reason }, 'Temporal unreachable: connection dropped, the next call reconnects');
    this.retired.add(connection);
    setTimeout(() => {
      this.retired.delete(connection);
      void connection.close().catch(() => undefined);
    }, RETIRED_CLOSE_DELAY_MS).unref();
  }
}

/**
 * True when an error (or its cause) says Temporal could not be reached or did not answer in time,
 * as opposed to Temporal refusing the request: the API answers 503 for these, not 500.
 */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && (e.code === GrpcStatus.UNAVAILABLE || e.code === GrpcStatus.DEADLINE_EXCEEDED)) return true;
  }
  return false;
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
  await untilSearchable(connection, namespace, missing);
  return missing.map((k) => k.name);
}

/** A value of each search attribute type, for a query that only has to be valid. */
const PROBE_VALUES: Record<string, string> = { INT: '0', DOUBLE: '0', BOOL: 'false', DATETIME: '"1970-01-01T00:00:00Z"' };

/**
 * Waits until the namespace accepts the attributes just added. The real server (SQL visibility)
 * maps them through its namespace cache, which refreshes every few seconds: until then, a
 * workflow started with them fails with "no mapping defined for search attribute". A list query
 * naming every one of them goes through the same mapping, so when it is accepted, starts are too.
 */
async function untilSearchable(connection: Connection, namespace: string, keys: ReturnType<typeof defineSearchAttributeKey>[]) {
  const query = keys.map((k) => `${k.name} = ${PROBE_VALUES[k.type] ?? '"probe"'}`).join(' OR ');
  for (let i = 0; i < 60; i++) {
    try {
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1, query });
      return;
    } catch (err) {
      if (grpcCode(err) !== GrpcStatus.INVALID_ARGUMENT) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(
    `Temporal namespace "${namespace}" did not accept its new search attributes within 30 s (${keys.map((k) => k.name).join(', ')})`,
  );
}

/**
 * Shared test resources: real PostgreSQL (the test database), real Redis (the test db index) and
 * the real Temporal dev server (the test namespace), opened once per mocha run and closed by the
 * root hooks. Always the TEST_* endpoints, never the development ones, even if mocha is run
 * directly.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { NativeConnection } from '@temporalio/worker';
import { randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { Knex } from 'knex';
import { createDb } from '../db';
import { dropDatabase } from '../scripts/services';
import { getConfig, loadConfig, type Config } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { connectTemporal, type Temporal } from '../temporal/client';
import { workflowsOfType, type WorkflowType } from '../temporal/contract';
import { WORKFLOW_BUNDLE_OPTIONS } from '../temporal/worker';

const base = getConfig();

export const testConfig: Config = loadConfig({
  ...process.env,
  NODE_ENV: 'test',
  DATABASE_URL: base.TEST_DATABASE_URL,
  REDIS_URL: base.TEST_REDIS_URL,
  TEMPORAL_NAMESPACE: base.TEMPORAL_TEST_NAMESPACE,
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  LOG_PRETTY: 'false',
  // Cheap hashes keep auth tests fast; the cost factor itself is not what they test.
  BCRYPT_ROUNDS: '4',
  JWT_SECRET: randomBytes(48).toString('base64url'),
  // High enough that only the brute-force tests (with their own limits) ever hit them.
  LOGIN_MAX_PER_IP: '100000',
  LOGIN_MAX_FAILURES_PER_EMAIL: '1000',
  REGISTER_MAX_PER_IP: '100000',
  REFRESH_MAX_PER_IP: '100000',
  // One monitor at a time in most tests: its snapshot need not wait for others to join its batch.
  TREND_SNAPSHOT_BATCH_MS: '50',
});

const closers: (() => Promise<unknown>)[] = [];

function memo<T>(open: () => T, close: (value: Awaited<T>) => Promise<unknown>): () => T {
  let value: T | undefined;
  return () => {
    if (value === undefined) {
      value = open();
      const opened = value;
      closers.push(async () => close(await opened));
    }
    return value;
  };
}

export const testLogger: Logger = createLogger(testConfig, 'test');

export const testDb = memo<Knex>(
  () => createDb({ url: testConfig.DATABASE_URL, poolMax: 5, applicationName: 'mocha' }),
  (db) => db.destroy(),
);

export const testRedis = memo<Redis>(
  () => new Redis(testConfig.REDIS_URL, { maxRetriesPerRequest: 1 }),
  (redis) => redis.quit(),
);

export const testTemporal = memo<Promise<Temporal>>(
  () => connectTemporal({ address: testConfig.TEMPORAL_ADDRESS, namespace: testConfig.TEMPORAL_NAMESPACE }),
  (t) => t.close(),
);

export const testNativeConnection = memo<Promise<NativeConnection>>(
  () => NativeConnection.connect({ address: testConfig.TEMPORAL_ADDRESS }),
  (c) => c.close(),
);

/** Workflows bundled once per run (several seconds) and shared by every test worker. */
export const testWorkflowBundle = memo<Promise<{ code: string }>>(
  () =>
    bundleWorkflowCode({
      ...WORKFLOW_BUNDLE_OPTIONS,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    }),
  async () => undefined,
);

/** A task queue no other test polls, so each test's worker sees only its own workflows. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** A connection pool as the app role (row-level security applies), as the API and worker use. */
export const testAppDb = memo<Knex>(
  () => createDb({ url: testConfig.appDatabaseUrl, poolMax: 5, applicationName: 'mocha-app' }),
  (db) => db.destroy(),
);

/**
 * Empties every table but the plan table and Knex's own, for tests that need a clean slate, and the
 * test Redis database with them: ids restart at 1, so Redis state keyed by a user or blogger id
 * (rate limits, caches, quota shares) would otherwise meet the next suite's rows of the same id.
 */
export async function resetDb(db: Knex = testDb()): Promise<void> {
  await testRedis().flushdb();
  const { rows } = await db.raw<{ rows: { tablename: string }[] }>(
    "select tablename from pg_tables where schemaname = 'public' and tablename not in ('user_limits', 'knex_migrations', 'knex_migrations_lock')",
  );
  if (rows.length) await db.raw(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
}

export async function closeTestResources(): Promise<void> {
  await Promise.allSettled(
    closers
      .splice(0)
      .reverse()
      .map((close) => close()),
  );
}

/**
 * Terminates every running workflow of a type in the test namespace. Tables restart their ids on
 * each run, so business ids such as blogger-sync:1 would otherwise meet an earlier run's workflow.
 */
export async function terminateRunning(workflowType: WorkflowType): Promise<void> {
  const { client } = await testTemporal();
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: workflowsOfType(workflowType, { running: true }) })) ids.push(wf.workflowId);
  await Promise.all(
    ids.map((id) =>
      client.workflow
        .getHandle(id)
        .terminate('test clean-up')
        .catch(() => undefined),
    ),
  );
}

/** A database beside the test database for a benchmark's tiny run (parallel test environments never share it): its name and its drop. */
export function benchDatabaseBeside(suffix: string): { name: string; drop: () => Promise<void> } {
  const url = new URL(testConfig.TEST_DATABASE_URL);
  const name = `${decodeURIComponent(url.pathname.slice(1))}_${suffix}`;
  url.pathname = `/${name}`;
  return { name, drop: () => dropDatabase(url.toString()) };
}

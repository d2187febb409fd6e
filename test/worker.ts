/** Real Temporal workers for tests: the real activities on a unique task queue of the test namespace. */
import { randomInt } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../activities';
import { clockFromConfig } from '../lib/clock';
import { loadConfig, type Config } from '../lib/config';
import { trendSettings, type TrendSettings } from '../lib/domain/trendSettings';
import { webhookSettings } from '../lib/domain/webhookSettings';
import { createMailer } from '../notifications/mailer';
import { createPlatforms } from '../platforms';
import { createWorker, workerTuning } from '../temporal/worker';
import {
  testAppDb,
  testConfig,
  testLogger,
  testNativeConnection,
  testRedis,
  testTemporal,
  testWorkflowBundle,
  uniqueTaskQueue,
} from './harness';

export interface TestWorker {
  worker: Worker;
  taskQueue: string;
  deps: ActivityDeps;
  config: Config;
}

/**
 * Builds a worker with config overrides (e.g. TIME_SCALE, TREND_MONITOR_DAYS) and optional
 * settings or dependency overrides. Run it with `worker.runUntil(promise)` or `worker.run()`.
 * `connection` points it at another Temporal than the test dev server (pass `deps.temporal` too).
 */
export async function createTestWorker(
  opts: {
    config?: Record<string, string>;
    settings?: Partial<TrendSettings>;
    deps?: Partial<ActivityDeps>;
    taskQueue?: string;
    connection?: NativeConnection;
  } = {},
): Promise<TestWorker> {
  // A fresh simulator seed per worker: its video ids (and so monitor workflow ids) are new, so
  // runs never collide with workflows an earlier test run left in the namespace.
  const config = loadConfig({ ...process.env, ...stringify(testConfig), SIMULATOR_SEED: String(randomInt(1, 2 ** 31)), ...opts.config });
  const taskQueue = opts.taskQueue ?? uniqueTaskQueue('worker');
  // One data time for the activities and the simulated world they query.
  const clock = opts.deps?.clock ?? clockFromConfig(config);
  const deps: ActivityDeps = {
    db: testAppDb(),
    logger: testLogger,
    redis: testRedis(),
    platforms: createPlatforms(config, { redis: testRedis(), clock }),
    temporal: (await testTemporal()).client,
    taskQueue,
    settings: { ...trendSettings(config), ...opts.settings },
    clock,
    // Mail goes where the test's config says (SMTP_URL of a capture server); without it, nowhere.
    mailer: opts.deps?.mailer ?? createMailer(config, testLogger),
    webhooks: webhookSettings(config),
    ...opts.deps,
  };
  const worker = await createWorker({
    connection: opts.connection ?? (await testNativeConnection()),
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    deps,
    workflowBundle: await testWorkflowBundle(),
    tuning: workerTuning(config), // the product's slots: snapshots share batches as they do in production
  });
  return { worker, taskQueue, deps, config };
}

/** The environment for a real worker process (temporal/worker.ts) serving the test services. */
export function testWorkerProcessEnv(taskQueue: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...stringify(testConfig),
    NODE_ENV: 'test',
    TEMPORAL_TASK_QUEUE: taskQueue,
    SCHEDULES_ENABLED: 'false',
    ...extra,
  };
}

/** A Config back to the string environment it came from (for loadConfig with overrides). */
function stringify(config: Config): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([key, v]) => /^[A-Z0-9_]+$/.test(key) && v !== undefined)
      .map(([key, v]) => [key, Array.isArray(v) ? v.join(',') : String(v)]),
  );
}

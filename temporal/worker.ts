/**
 * Worker entry: hosts every workflow (deterministic code, bundled) and every activity (all I/O).
 * Builds its dependencies once, runs until SIGINT/SIGTERM, and closes them in `finally`.
 *
 *   npm run worker
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { sharedClock } from '../db/queries/simulationClock';
import { createDb } from '../db';
import { refuseUnsafeDatabaseRole } from '../db/startupCheck';
import { getConfig, PROJECT_ROOT, type Config } from '../lib/config';
import { trendSettings } from '../lib/domain/trendSettings';
import { webhookSettings } from '../lib/domain/webhookSettings';
import { createLogger, type Logger } from '../lib/logger';
import { createRedis } from '../lib/redis';
import { createMailer } from '../notifications/mailer';
import { createPlatforms, type PlatformName, type Platforms } from '../platforms';
import { bloggerSyncSettings } from '../lib/domain/bloggerSyncSettings';
import { WORKFLOW_TYPES } from './contract';
import { reconcileBloggerSyncs } from './bloggerSyncs';
import {
  bloggerScheduleDefinitions,
  digestScheduleDefinitions,
  ensureTrendSchedules,
  notificationScheduleDefinitions,
  trendScheduleDefinitions,
} from './schedules';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * How every workflow bundle is built (the worker's, the tests' and `npm run build`'s). The workflow
 * modules are preloaded: evaluated once in the worker's reusable V8 context and shared, frozen, by
 * every workflow, where otherwise each workflow evaluates them all again (every workflow type,
 * contract and domain helper, and the SDK modules only they import) when it starts or replays
 * after eviction. Safe because they keep no state at module level: a workflow's state lives in
 * its function's locals, and the module level only defines constants and activity proxies (ESLint
 * refuses module-level variables and collections in workflows/ and temporal/contract/: MODULE_STATE).
 */
export const WORKFLOW_BUNDLE_OPTIONS: { workflowsPath: string; preloadModules: string[] } = {
  workflowsPath: WORKFLOWS_PATH,
  preloadModules: [WORKFLOWS_PATH],
};
/** Prebuilt by `npm run build`; used in production so start-up does not bundle. */
export const PREBUILT_BUNDLE = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once and share it); otherwise workflowsPath is bundled. */
  workflowBundle?: { code: string } | { codePath: string };
  /** Sticky cache and task slots (WORKER_*: workerTuning); the SDK's defaults when absent. */
  tuning?: WorkerTuning;
}

export interface WorkerTuning {
  maxCachedWorkflows?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  stickyQueueScheduleToStartTimeout?: number;
}

/**
 * The worker's slots from configuration. A monitor's snapshot is a local activity held inside its
 * workflow task, so workflow task slots bound how many wake-ups can share a batch: at the SDK's 40,
 * a 50-id batch could never fill.
 */
export function workerTuning(
  config: Pick<
    Config,
    'WORKER_MAX_CACHED_WORKFLOWS' | 'WORKER_MAX_CONCURRENT_ACTIVITIES' | 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS' | 'WORKER_STICKY_TIMEOUT_MS'
  >,
): WorkerTuning {
  return {
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    stickyQueueScheduleToStartTimeout: config.WORKER_STICKY_TIMEOUT_MS,
  };
}

export async function createWorker({ connection, namespace, taskQueue, deps, workflowBundle, tuning }: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...tuning,
    activities: createActivities(deps),
    ...(workflowBundle
      ? { workflowBundle }
      : {
          workflowsPath: WORKFLOW_BUNDLE_OPTIONS.workflowsPath,
          bundlerOptions: { preloadModules: WORKFLOW_BUNDLE_OPTIONS.preloadModules },
        }),
  });
}

/** Routes the SDK's own logs (worker, workflow `log`, activity `log`) into pino. */
/** The SDK core's warning code for a workflow task that took longer than 5 seconds. */
const SLOW_WORKFLOW_TASK = '[TMPRL1104]';

export function installSdkLogger(logger: Logger): void {
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      // A monitor's workflow task holds its snapshot (a local activity waiting up to
      // TREND_SNAPSHOT_BATCH_MS for its batch), so the core's "task took over 5 s" is expected there.
      const expected = entry.message.includes(SLOW_WORKFLOW_TASK) && entry.meta?.workflowType === WORKFLOW_TYPES.trendVideoMonitor;
      logger[expected ? 'debug' : levels[entry.level]](entry.meta ?? {}, entry.message);
    }),
    // The SDK core's own (Rust) logs join the same stream instead of going to stderr.
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
}

/** Discovery only asks platforms that can discover (Instagram's API cannot). */
export function discoveryPlatforms(platforms: Platforms): PlatformName[] {
  return platforms.enabled.filter((p) => platforms.client(p).capabilities.discovery);
}

async function main(): Promise<void> {
  const config = getConfig();
  const logger = createLogger(config, 'worker');
  installSdkLogger(logger);
  const db = createDb({ url: config.appDatabaseUrl, poolMax: config.DATABASE_POOL_MAX, applicationName: 'worker', logger });
  await refuseUnsafeDatabaseRole(db, logger, 'worker');
  const redis = createRedis(config, logger, 'worker');
  const mailer = createMailer(config, logger);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
    const settings = trendSettings(config);
    const clock = await sharedClock(db, config, logger);
    const platforms = createPlatforms(config, { redis });
    logger.info({ platforms: platforms.describe().map((p) => `${p.platform}:${p.source}`) }, 'platforms');
    if (config.SCHEDULES_ENABLED) {
      const syncSettings = bloggerSyncSettings(config);
      const done = await ensureTrendSchedules(
        temporal,
        [
          ...trendScheduleDefinitions(settings, discoveryPlatforms(platforms)),
          ...bloggerScheduleDefinitions(syncSettings, config.BLOGGER_RECONCILE_MINUTES * 60_000),
          ...digestScheduleDefinitions(config.TIME_SCALE),
          ...notificationScheduleDefinitions(config.NOTIFICATION_SWEEP_MINUTES * 60_000),
        ],
        {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          catchupWindowMs: settings.catchupWindowMs,
        },
      );
      logger.info({ schedules: done }, 'schedules ready');
      // Syncs lost while the system was down come back now, not at the reconciler's next run.
      await reconcileBloggerSyncs({ db, client: temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, settings: syncSettings })
        .then((r) => logger.info(r, 'blogger syncs reconciled'))
        .catch((err: unknown) => logger.warn({ err }, 'blogger sync reconcile at start-up failed; the schedule retries'));
    }
    const prebuilt = config.NODE_ENV === 'production' && existsSync(PREBUILT_BUNDLE);
    if (config.NODE_ENV === 'production' && !prebuilt) {
      logger.warn(
        { expected: PREBUILT_BUNDLE },
        'no prebuilt workflow bundle (npm run build makes it): bundling at start-up, which is slower',
      );
    }
    const worker = await createWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      deps: {
        db,
        logger,
        redis,
        platforms,
        temporal,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        settings,
        clock,
        mailer,
        webhooks: webhookSettings(config),
        sseReplayEvents: config.SSE_REPLAY_EVENTS,
      },
      ...(prebuilt ? { workflowBundle: { codePath: PREBUILT_BUNDLE } } : {}),
      tuning: workerTuning(config),
    });
    logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
    await worker.run(); // resolves after SIGINT/SIGTERM, once in-flight tasks are done
  } finally {
    await connection.close();
    await clientConnection.close();
    await mailer.close();
    redis.disconnect();
    await db.destroy();
    logger.info('worker stopped');
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

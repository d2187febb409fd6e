/**
 * Worker entry: hosts every workflow (deterministic code, bundled) and every activity (all I/O).
 * Builds its dependencies once, runs until SIGINT/SIGTERM, and closes them in `finally`.
 *
 *   npm run worker
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { createDb } from '../db';
import { getConfig, PROJECT_ROOT } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** Prebuilt by `npm run build:workflows`; used in production so start-up does not bundle. */
export const PREBUILT_BUNDLE = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once and share it); otherwise workflowsPath is bundled. */
  workflowBundle?: { code: string } | { codePath: string };
}

export async function createWorker({ connection, namespace, taskQueue, deps, workflowBundle }: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities: createActivities(deps),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
}

/** Routes the SDK's own logs (worker, workflow `log`, activity `log`) into pino. */
export function installSdkLogger(logger: Logger): void {
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => logger[levels[entry.level]](entry.meta ?? {}, entry.message)),
  });
}

async function main(): Promise<void> {
  const config = getConfig();
  const logger = createLogger(config, 'worker');
  installSdkLogger(logger);
  const db = createDb({ url: config.appDatabaseUrl, poolMax: config.DATABASE_POOL_MAX, applicationName: 'worker' });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const prebuilt = config.NODE_ENV === 'production' && existsSync(PREBUILT_BUNDLE);
    const worker = await createWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      deps: { db, logger },
      ...(prebuilt ? { workflowBundle: { codePath: PREBUILT_BUNDLE } } : {}),
    });
    logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
    await worker.run(); // resolves after SIGINT/SIGTERM, once in-flight tasks are done
  } finally {
    await connection.close();
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

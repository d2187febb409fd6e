/**
 * Starts and stops the API process.
 *
 *   npm run api
 */
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { Server } from 'node:http';
import { createDb } from '../db';
import { refuseUnsafeDatabaseRole } from '../db/startupCheck';
import { getConfig, type Config } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { createRedis } from '../lib/redis';
import { createMailer } from '../notifications/mailer';
import { RecoveringTemporal } from '../temporal/client';
import { buildApp } from './app';
import { AccountCache } from './auth/userCache';
import { LiveStreams } from './stream/liveStreams';
import { BackgroundTasks } from './background';
import type { ApiDeps } from './deps';
import { clockFromConfig } from '../lib/clock';
import { sharedClock } from '../db/queries/simulationClock';

/** Opens the API's connections. None of them blocks start-up: readiness reports what is down. */
export function createApiDeps(config: Config, logger: Logger = createLogger(config, 'api'), overrides: Partial<ApiDeps> = {}): ApiDeps {
  // Commands fail at once while disconnected and after REDIS_COMMAND_TIMEOUT_MS when Redis stalls:
  // a request never hangs on Redis (see lib/redis.ts).
  const redis = overrides.redis ?? createRedis(config, logger, 'api');
  // The app role: row-level security applies to every tenant query of the API.
  const db = overrides.db ?? createDb({ url: config.appDatabaseUrl, poolMax: config.DATABASE_POOL_MAX, applicationName: 'api', logger });
  return {
    config,
    logger,
    db,
    redis,
    // Opened on first use, and opened again after Temporal was unreachable (readiness recovers).
    temporal:
      overrides.temporal ?? new RecoveringTemporal({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE }, logger),
    // A simulation's shared anchor replaces this at start-up (main below).
    clock: overrides.clock ?? clockFromConfig(config),
    accounts: overrides.accounts ?? new AccountCache(db, config.AUTH_USER_CACHE_MS),
    streams: overrides.streams ?? new LiveStreams({ config, logger, db, redis }),
    mailer: overrides.mailer ?? createMailer(config, logger),
    background: overrides.background ?? new BackgroundTasks(logger),
    ...(overrides.passwords ? { passwords: overrides.passwords } : {}),
  };
}

export interface RunningApi {
  server: Server;
  url: string;
  /** Stops accepting connections, waits for in-flight requests, then closes the connections. */
  close(): Promise<void>;
}

export async function startApi(deps: ApiDeps, port = deps.config.PORT, host = deps.config.HOST): Promise<RunningApi> {
  const app = buildApp(deps);
  await deps.accounts.subscribe(deps.redis, deps.logger);
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${boundPort}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      // Open event streams would keep the server from closing: each ends with an `end` event.
      await deps.streams.close();
      await closed;
      // Work started after an answer (account mail) ends before the connections it uses close.
      await deps.background.drain(5_000);
      await Promise.allSettled([deps.accounts.close(), deps.mailer.close(), deps.db.destroy(), deps.redis.quit(), deps.temporal.close()]);
    },
  };
}

/**
 * API_PROCESSES > 1: this process forks that many API processes sharing the port (node:cluster)
 * and only watches them: one that dies is forked again (after a pause if it dies young), and a
 * SIGTERM or SIGINT is passed on so each finishes its requests before the primary exits.
 */
function superviseApiProcesses(count: number, logger: Logger): void {
  let stopping = false;
  let alive = 0;
  const fork = () => {
    const since = Date.now();
    alive++;
    cluster.fork().once('exit', (code, signal) => {
      alive--;
      if (stopping) {
        if (alive === 0) process.exit(0);
        return;
      }
      const young = Date.now() - since < 5000;
      logger.error({ code, signal }, `an API process exited; starting another${young ? ' in 1 s' : ''}`);
      setTimeout(fork, young ? 1000 : 0);
    });
  };
  for (let i = 0; i < count; i++) fork();
  logger.info({ processes: count }, 'API processes started');
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => process.exit(1), 12_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(): Promise<void> {
  const config = getConfig();
  const logger = createLogger(config, 'api');
  const processes = config.API_PROCESSES === 0 ? os.availableParallelism() : config.API_PROCESSES;
  if (processes > 1 && cluster.isPrimary) return superviseApiProcesses(processes, logger);
  const deps = createApiDeps(config, logger);
  deps.clock = await sharedClock(deps.db, config, logger).catch((err: unknown) => {
    logger.warn({ err }, 'the shared simulated clock could not be read (PostgreSQL down?): this process runs its own from now');
    return deps.clock;
  });
  const api = await startApi(deps);
  logger.info({ url: api.url }, 'API listening');
  // Tenant isolation must not be silently off: exit when the app role could bypass it.
  void refuseUnsafeDatabaseRole(deps.db, logger, 'API');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'API shutting down');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    api.close().then(() => {
      clearTimeout(force);
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

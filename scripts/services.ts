/**
 * Local services: PostgreSQL, Redis and Temporal, one of two engines (TEMPORAL_ENGINE): the CLI's
 * dev server on SQLite with its Web UI ("dev", the default), or the real Temporal server on
 * PostgreSQL as production runs it ("server", scripts/temporalServer.ts).
 *
 *   npm run services [-- --temporal=server]   check PostgreSQL and Redis (starting local ones that
 *                             are installed but stopped), build or find the engine's binaries, start
 *                             it, register the namespaces and search attributes; idempotent
 *   npm run services:down     stop the Temporal this project started (either engine)
 *
 * `npm start`, `npm test` and the benchmarks call ensureServices() themselves.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { Client as PgClient } from 'pg';
import { ConfigError, getConfig, TEMPORAL_ENGINES, type Config, type TemporalEngine } from '../lib/config';
import { connectTemporal, isTemporalServing } from '../temporal/client';
import { cliVersion, devServerFiles, MissingToolError, resolveTemporalCli, startDevServer, stopDevServer } from './devServer';
import {
  localServerFiles,
  registerNamespaces,
  ServerStartError,
  serverPortsFor,
  startLocalTemporalServer,
  stopLocalTemporalServer,
  TEMPORAL_SERVER_VERSION,
} from './temporalServer';

const log = (line: string) => console.log(`[services] ${line}`);

export class ServiceError extends Error {
  override name = 'ServiceError';
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(300);
  }
  throw new ServiceError(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s`);
}

function run(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// ---------------------------------------------------------------- PostgreSQL

async function pgReachable(url: URL): Promise<boolean> {
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new PgClient({ connectionString: maintenance.toString(), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Starts a local cluster installed from Debian's packages (pg_ctlcluster), when there is one. */
function startLocalPostgres(): boolean {
  if (!has('pg_ctlcluster') || !existsSync('/etc/postgresql')) return false;
  const versions = readdirSync('/etc/postgresql');
  return versions.some((v) => run('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start']));
}

export async function ensurePostgres(urlText: string): Promise<void> {
  const url = new URL(urlText);
  if (!(await pgReachable(url))) {
    if (!LOCAL_HOSTS.has(url.hostname) || !startLocalPostgres()) {
      throw new ServiceError(
        `PostgreSQL is not reachable at ${url.host}. Start it, install it (e.g. apt-get install postgresql), ` +
          'or point DATABASE_URL at a running server.',
      );
    }
    log('started the local PostgreSQL cluster');
    await waitFor('PostgreSQL', () => pgReachable(url), 30_000);
  }
  await createDatabaseIfMissing(url);
}

export async function createDatabaseIfMissing(url: URL): Promise<void> {
  const name = decodeURIComponent(url.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new PgClient({ connectionString: maintenance.toString(), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      log(`created database ${name}`);
    }
  } catch (err) {
    // Two processes racing to create it: the loser sees duplicate_database (42P04).
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await client.end();
  }
}

/** Drops the database, closing its connections (nothing when it does not exist). */
export async function dropDatabase(urlText: string): Promise<void> {
  const url = new URL(urlText);
  const name = decodeURIComponent(url.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new PgClient({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Drops the database (closing its connections) and creates it empty: a test or benchmark run's clean slate. */
export async function recreateDatabase(urlText: string): Promise<void> {
  await dropDatabase(urlText);
  await createDatabaseIfMissing(new URL(urlText));
}

// ---------------------------------------------------------------- Redis

async function redisReachable(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export async function ensureRedis(urlText: string): Promise<void> {
  if (await redisReachable(urlText)) return;
  const url = new URL(urlText);
  const canStart = LOCAL_HOSTS.has(url.hostname) && has('redis-server');
  if (
    !canStart ||
    !run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', url.port || '6379', '--save', '', '--appendonly', 'no'])
  ) {
    throw new ServiceError(
      `Redis is not reachable at ${url.host}. Start it, install it (e.g. apt-get install redis-server), ` +
        'or point REDIS_URL at a running server.',
    );
  }
  log('started a local redis-server');
  await waitFor('Redis', () => redisReachable(urlText), 15_000);
}

// ---------------------------------------------------------------- Temporal

const ENGINE_NAMES: Record<TemporalEngine, string> = { dev: 'the Temporal dev server', server: 'the Temporal server' };

/** The Temporal answering at an address, with its persistence store ("sqlite": a dev server), or undefined when none does. */
async function runningTemporal(address: string): Promise<{ store: string } | undefined> {
  const t = await connectTemporal({ address, namespace: 'default' }).catch(() => undefined);
  if (!t) return undefined;
  try {
    if (!(await isTemporalServing(t.connection))) return undefined;
    const info = await t.connection.workflowService.getClusterInfo({});
    return { store: info.persistenceStore ?? '' };
  } catch {
    return undefined;
  } finally {
    await t.close();
  }
}

/**
 * Where the server engine keeps things: its config, log and pid in DATA_DIR/temporal-server, its
 * data in two databases beside DATABASE_URL's, named after it (blogger_analytics_temporal and
 * blogger_analytics_temporal_visibility), so that they are plainly this app's on a shared server.
 */
export function serverEngineSetup(config: Config) {
  const url = new URL(config.DATABASE_URL);
  const appDatabase = decodeURIComponent(url.pathname.slice(1));
  const password = decodeURIComponent(url.password);
  return {
    runDir: path.join(config.DATA_DIR, 'temporal-server'),
    postgres: {
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username) || 'postgres',
      ...(password ? { password } : {}),
    },
    databases: { temporal: `${appDatabase}_temporal`, visibility: `${appDatabase}_temporal_visibility` },
  };
}

/** Starts the chosen engine unless a Temporal already answers, then registers the namespaces; says whether it started one, and its store. */
async function ensureTemporal(config: Config, namespaces: string[], engine: TemporalEngine): Promise<{ started: boolean; store: string }> {
  const running = await runningTemporal(config.TEMPORAL_ADDRESS);
  // Work meant for the production engine must not quietly run on a dev server someone left running.
  if (engine === 'server' && running?.store === 'sqlite') {
    throw new ServiceError(
      `A Temporal dev server answers at ${config.TEMPORAL_ADDRESS}, but the server engine was asked for. Stop it ` +
        '(npm run services:down), or set TEMPORAL_ADDRESS to a free local port (e.g. 127.0.0.1:7333).',
    );
  }
  const store = running ? running.store : await startEngine(config, namespaces, engine);
  const t = await connectTemporal({ address: config.TEMPORAL_ADDRESS, namespace: 'default' });
  try {
    await registerNamespaces(t.connection, namespaces, log);
  } finally {
    await t.close();
  }
  return { started: !running, store };
}

/** Starts the engine on the local TEMPORAL_ADDRESS and waits until it serves; returns its persistence store. */
async function startEngine(config: Config, namespaces: string[], engine: TemporalEngine): Promise<string> {
  const [host = '127.0.0.1', portText = '7233'] = config.TEMPORAL_ADDRESS.split(/:(?=\d+$)/);
  if (!LOCAL_HOSTS.has(host)) {
    throw new ServiceError(
      `Temporal is not reachable at ${config.TEMPORAL_ADDRESS}, and it is not a local address to start ${ENGINE_NAMES[engine]} on.`,
    );
  }
  if (engine === 'server') {
    const setup = serverEngineSetup(config);
    log(
      `starting the Temporal server ${TEMPORAL_SERVER_VERSION} on ${config.TEMPORAL_ADDRESS}, data in PostgreSQL ` +
        `(${setup.databases.temporal}, ${setup.databases.visibility}), log ${localServerFiles(setup.runDir).log}`,
    );
    await startLocalTemporalServer({ ...setup, cacheDir: config.CACHE_DIR, ports: serverPortsFor(Number(portText)), namespaces, log });
    return 'postgres12';
  }
  const cli = await resolveTemporalCli({
    explicitPath: config.TEMPORAL_CLI,
    cacheDir: config.CACHE_DIR,
    version: config.TEMPORAL_CLI_VERSION,
    log,
  });
  log(`starting the Temporal dev server (${cliVersion(cli)}) on ${config.TEMPORAL_ADDRESS}`);
  startDevServer({ cli, dataDir: config.DATA_DIR, host, port: Number(portText), uiPort: config.TEMPORAL_UI_PORT, namespaces });
  const logFile = devServerFiles(config.DATA_DIR).log;
  await waitFor(
    `Temporal dev server (log: ${logFile})`,
    async () => (await runningTemporal(config.TEMPORAL_ADDRESS)) !== undefined,
    60_000,
  );
  return 'sqlite';
}

/** Stops whichever engine this project started in the background; names what it stopped. */
async function stopTemporal(config: Config): Promise<string[]> {
  const stopped: string[] = [];
  if (await stopDevServer(config.DATA_DIR)) stopped.push(ENGINE_NAMES.dev);
  if (await stopLocalTemporalServer(serverEngineSetup(config).runDir)) stopped.push(ENGINE_NAMES.server);
  return stopped;
}

/** `--temporal=dev|server` on the command line of npm start and npm run services; undefined when absent. */
export function engineFlag(args: string[]): TemporalEngine | undefined {
  const { values } = parseArgs({ args, options: { temporal: { type: 'string' } }, allowPositionals: true });
  const flag = values.temporal;
  if (flag === undefined) return undefined;
  if (!(TEMPORAL_ENGINES as readonly string[]).includes(flag)) {
    throw new ServiceError(`--temporal takes ${TEMPORAL_ENGINES.join(' or ')}, not "${flag}"`);
  }
  return flag as TemporalEngine;
}

// ---------------------------------------------------------------- all together

export interface ServicesHandle {
  /** The Web UI of the Temporal in use, when it carries one (the dev server does, the server engine does not). */
  temporalWebUi: string | undefined;
  /** What stop() stops, for its log line. */
  temporalName: string;
  /** Stops what ensureServices started (either engine), leaving what was already running; true when it stopped something. */
  stop(): Promise<boolean>;
}

export interface EnsureOptions {
  databaseUrls: string[];
  redisUrl: string;
  namespaces: string[];
  /** Which Temporal to start when none answers (default: TEMPORAL_ENGINE). */
  engine?: TemporalEngine;
}

export async function ensureServices(config: Config, opts: EnsureOptions): Promise<ServicesHandle> {
  for (const url of opts.databaseUrls) await ensurePostgres(url);
  log('PostgreSQL ready');
  await ensureRedis(opts.redisUrl);
  log('Redis ready');
  const engine = opts.engine ?? config.TEMPORAL_ENGINE;
  const temporal = await ensureTemporal(config, [...new Set(opts.namespaces)], engine);
  const isDevServer = temporal.store === 'sqlite';
  const temporalWebUi = isDevServer ? `http://localhost:${config.TEMPORAL_UI_PORT}` : undefined;
  log(
    `Temporal ready at ${config.TEMPORAL_ADDRESS} ` +
      (temporalWebUi ? `(dev server; Web UI ${temporalWebUi})` : `(persistence ${temporal.store}; no Web UI comes with it)`),
  );
  return {
    temporalWebUi,
    temporalName: ENGINE_NAMES[engine],
    stop: async () => {
      if (!temporal.started) return false;
      return engine === 'server' ? stopLocalTemporalServer(serverEngineSetup(config).runDir) : stopDevServer(config.DATA_DIR);
    },
  };
}

/** Prints a one-line reason for errors a user can fix, and exits non-zero. */
export function exitWithReason(err: unknown): never {
  if (err instanceof ServiceError || err instanceof MissingToolError || err instanceof ConfigError || err instanceof ServerStartError) {
    console.error(`\n${err.message}\n`);
  } else {
    console.error(err);
  }
  process.exit(1);
}

async function main(command: string | undefined, args: string[]): Promise<void> {
  const config = getConfig();
  if (command === 'down') {
    const stopped = await stopTemporal(config);
    log(stopped.length ? `stopped ${stopped.join(' and ')}` : 'no Temporal started by this project is running');
    return;
  }
  await ensureServices(config, {
    databaseUrls: [config.DATABASE_URL],
    redisUrl: config.REDIS_URL,
    namespaces: [config.TEMPORAL_NAMESPACE],
    engine: engineFlag(args),
  });
}

if (require.main === module) {
  main(process.argv[2], process.argv.slice(3)).catch(exitWithReason);
}

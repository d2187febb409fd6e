/**
 * Local services: PostgreSQL, Redis and the Temporal dev server.
 *
 *   npm run services          check PostgreSQL and Redis (starting local ones that are installed
 *                             but stopped), build or find the Temporal CLI, start the dev server,
 *                             register the namespaces and search attributes; idempotent
 *   npm run services:down     stop the dev server this project started
 *
 * `npm start` and `npm test` call ensureServices() themselves.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import Redis from 'ioredis';
import { Client as PgClient } from 'pg';
import { ConfigError, getConfig, type Config } from '../lib/config';
import { connectTemporal, ensureNamespace, ensureSearchAttributes, isTemporalServing } from '../temporal/client';
import { cliVersion, devServerFiles, MissingToolError, resolveTemporalCli, startDevServer, stopDevServer } from './devServer';

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

/** Drops the database (closing its connections) and creates it empty: a test or benchmark run's clean slate. */
export async function recreateDatabase(urlText: string): Promise<void> {
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
  await createDatabaseIfMissing(url);
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

async function temporalReachable(address: string): Promise<boolean> {
  const t = await connectTemporal({ address, namespace: 'default' }).catch(() => undefined);
  if (!t) return false;
  try {
    return await isTemporalServing(t.connection);
  } catch {
    return false;
  } finally {
    await t.close();
  }
}

/** Starts the dev server unless one already answers; returns true when this call started it. */
async function ensureTemporal(config: Config, namespaces: string[]): Promise<boolean> {
  let started = false;
  if (!(await temporalReachable(config.TEMPORAL_ADDRESS))) {
    const [host = '127.0.0.1', portText = '7233'] = config.TEMPORAL_ADDRESS.split(/:(?=\d+$)/);
    if (!LOCAL_HOSTS.has(host)) {
      throw new ServiceError(
        `Temporal is not reachable at ${config.TEMPORAL_ADDRESS}, and it is not a local address to start a dev server on.`,
      );
    }
    const cli = await resolveTemporalCli({
      explicitPath: config.TEMPORAL_CLI,
      cacheDir: config.CACHE_DIR,
      version: config.TEMPORAL_CLI_VERSION,
      log,
    });
    log(`starting the Temporal dev server (${cliVersion(cli)}) on ${config.TEMPORAL_ADDRESS}`);
    startDevServer({ cli, dataDir: config.DATA_DIR, host, port: Number(portText), uiPort: config.TEMPORAL_UI_PORT, namespaces });
    started = true;
    const logFile = devServerFiles(config.DATA_DIR).log;
    await waitFor(`Temporal dev server (log: ${logFile})`, () => temporalReachable(config.TEMPORAL_ADDRESS), 60_000);
  }
  const t = await connectTemporal({ address: config.TEMPORAL_ADDRESS, namespace: 'default' });
  try {
    for (const ns of namespaces) {
      if (await ensureNamespace(t.connection, ns)) log(`registered namespace ${ns}`);
      const added = await ensureSearchAttributes(t.connection, ns);
      if (added.length) log(`added search attributes to ${ns}: ${added.join(', ')}`);
    }
  } finally {
    await t.close();
  }
  return started;
}

// ---------------------------------------------------------------- all together

export interface ServicesHandle {
  /** Stops what ensureServices started (the dev server), leaving what was already running; true when it stopped something. */
  stop(): Promise<boolean>;
}

export interface EnsureOptions {
  databaseUrls: string[];
  redisUrl: string;
  namespaces: string[];
}

export async function ensureServices(config: Config, opts: EnsureOptions): Promise<ServicesHandle> {
  for (const url of opts.databaseUrls) await ensurePostgres(url);
  log('PostgreSQL ready');
  await ensureRedis(opts.redisUrl);
  log('Redis ready');
  const startedTemporal = await ensureTemporal(config, [...new Set(opts.namespaces)]);
  log(`Temporal ready at ${config.TEMPORAL_ADDRESS} (Web UI http://localhost:${config.TEMPORAL_UI_PORT})`);
  return {
    stop: async () => startedTemporal && (await stopDevServer(config.DATA_DIR)),
  };
}

/** Prints a one-line reason for errors a user can fix, and exits non-zero. */
export function exitWithReason(err: unknown): never {
  if (err instanceof ServiceError || err instanceof MissingToolError || err instanceof ConfigError) {
    console.error(`\n${err.message}\n`);
  } else {
    console.error(err);
  }
  process.exit(1);
}

async function main(command: string | undefined): Promise<void> {
  const config = getConfig();
  if (command === 'down') {
    log((await stopDevServer(config.DATA_DIR)) ? 'stopped the Temporal dev server' : 'no dev server started by this project is running');
    return;
  }
  await ensureServices(config, {
    databaseUrls: [config.DATABASE_URL],
    redisUrl: config.REDIS_URL,
    namespaces: [config.TEMPORAL_NAMESPACE],
  });
}

if (require.main === module) {
  main(process.argv[2]).catch(exitWithReason);
}

/**
 * The real Temporal server (not the dev server): the engine of `npm start -- --temporal=server`
 * (TEMPORAL_ENGINE=server) and of `npm run prod:smoke`. Its binaries are built from Go modules and
 * cached outside the repo like the CLI, its two PostgreSQL databases created and their schemas set
 * up or upgraded with its SQL tool, and it runs in the background from a config written to a run
 * folder, with the product's namespaces and search attributes registered once it answers.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Connection } from '@temporalio/client';
import { PROJECT_ROOT } from '../lib/config';
import { connectTemporal, ensureNamespace, ensureSearchAttributes, isTemporalServing } from '../temporal/client';
import { isExecutable, isRunning, MissingToolError, startInBackground, stopInBackground } from './devServer';

/** The server version the compose image pins (temporalio/server), and that the CLI v1.5.1 embeds. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const SERVER_MODULE = 'go.temporal.io/server';
/** The dynamic config docker compose mounts into its server: the local server reads the same file. */
const DEPLOY_DYNAMIC_CONFIG = path.join(PROJECT_ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml');

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 of the server module: temporal/versioned and visibility/versioned */
  schemaDir: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${code}):\n${out}`)),
    );
  });
}

export function serverCacheDir(cacheDir: string, version = TEMPORAL_SERVER_VERSION): string {
  return path.join(cacheDir, 'temporal-server', version);
}

/** The cached server, SQL tool and schema; built with `go install` into a scratch folder and renamed into place when missing. */
export async function resolveTemporalServer(cacheDir: string, log: (line: string) => void): Promise<TemporalServerBinaries> {
  const dir = serverCacheDir(cacheDir);
  const found: TemporalServerBinaries = {
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
  if (isExecutable(found.server) && isExecutable(found.sqlTool)) return found;

  const go = await run('sh', ['-c', 'command -v go']).then(
    (s) => s.trim(),
    () => '',
  );
  if (!go) {
    throw new MissingToolError(
      `The Temporal server ${TEMPORAL_SERVER_VERSION} is not cached in ${dir} and Go is not installed to build it.\n` +
        `Install Go (apt-get install golang, or https://go.dev/dl), then run again.`,
    );
  }
  const scratch = `${dir}.building-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  log(`building the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool with Go (first run only; 1-5 minutes) ...`);
  const started = Date.now();
  const heartbeat = setInterval(() => log(`  ... still building (${Math.round((Date.now() - started) / 1000)} s so far)`), 20_000);
  try {
    await run(
      go,
      [
        'install',
        '-trimpath',
        `${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
        `${SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
      ],
      {
        ...process.env,
        GOBIN: scratch,
        GOFLAGS: '-buildvcs=false',
      },
    );
    renameSync(path.join(scratch, 'server'), path.join(scratch, 'temporal-server'));
    renameSync(path.join(scratch, 'sql'), path.join(scratch, 'temporal-sql-tool'));
    // The schema ships in the module the build just used; a copy keeps the cache self-contained.
    const modCache = (await run(go, ['env', 'GOMODCACHE'])).trim();
    const moduleSchema = path.join(modCache, `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
    cpSync(moduleSchema, path.join(scratch, 'schema', 'postgresql', 'v12'), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.dirname(dir), { recursive: true });
    renameSync(scratch, dir);
    log(`Temporal server built in ${Math.round((Date.now() - started) / 1000)} s and cached in ${dir}`);
    return found;
  } finally {
    clearInterval(heartbeat);
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface SqlTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
}

function sqlToolArgs(target: SqlTarget): string[] {
  const args = ['--plugin', 'postgres12', '--ep', target.host, '-p', String(target.port), '-u', target.user, '--db', target.database];
  if (target.password) args.push('--pw', target.password);
  return args;
}

/**
 * Creates the database when missing, then setup-schema from version 0.0 and every versioned step: an
 * empty database gets the server's current schema, an existing one is upgraded. Each step may run
 * again (v1.29's tool creates its version tables IF NOT EXISTS, keeps a version past 0.0, and
 * update-schema applies only newer steps), so a second start needs no detection.
 */
export async function setUpSchema(bin: TemporalServerBinaries, target: SqlTarget, kind: 'temporal' | 'visibility'): Promise<void> {
  const common = sqlToolArgs(target);
  await run(bin.sqlTool, [...common, 'create-database', '--defaultdb', 'postgres']);
  await run(bin.sqlTool, [...common, 'setup-schema', '-v', '0.0']);
  await run(bin.sqlTool, [...common, 'update-schema', '-d', path.join(bin.schemaDir, kind, 'versioned')]);
}

export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  /** first of four consecutive membership ports */
  membershipBase: number;
}

/** A server config (production style: PostgreSQL persistence and visibility, every service in one process). */
export function serverConfigYaml(
  db: Omit<SqlTarget, 'database'> & { database: string; visibilityDatabase: string },
  ports: ServerPorts,
  opts: { dynamicConfigFile?: string } = {},
): string {
  const store = (name: string, maxConns: number) => `
    ${name === db.database ? 'postgres-default' : 'postgres-visibility'}:
      sql:
        pluginName: postgres12
        databaseName: ${name}
        connectAddr: "${db.host}:${db.port}"
        connectProtocol: tcp
        user: ${db.user}
        password: "${db.password ?? ''}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const service = (name: string, grpc: number, membership: number, extra = '') => `
  ${name}:
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnIP: 127.0.0.1${extra}`;
  return `log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:${store(db.database, 20)}${store(db.visibilityDatabase, 4)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1

services:${service('frontend', ports.frontend, ports.membershipBase, `\n      httpPort: ${ports.frontendHttp}`)}${service('history', ports.history, ports.membershipBase + 1)}${service('matching', ports.matching, ports.membershipBase + 2)}${service('worker', ports.worker, ports.membershipBase + 3)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${ports.frontend}"

dcRedirectionPolicy:
  policy: noop
${
  opts.dynamicConfigFile
    ? `
dynamicConfigClient:
  filepath: "${opts.dynamicConfigFile}"
  pollInterval: 60s
`
    : ''
}`;
}

/** Temporal's own layout around a frontend port: 7233 gives HTTP 7243, history 7234, matching 7235, worker 7239, membership 6933-6936. */
export function serverPortsFor(frontend: number): ServerPorts {
  return {
    frontend,
    frontendHttp: frontend + 10,
    history: frontend + 1,
    matching: frontend + 2,
    worker: frontend + 6,
    membershipBase: frontend - 300,
  };
}

/** Each namespace registered (retention 3 days unless given) with the product's custom search attributes; idempotent. */
export async function registerNamespaces(connection: Connection, namespaces: string[], log: (line: string) => void): Promise<void> {
  for (const ns of namespaces) {
    if (await ensureNamespace(connection, ns)) log(`registered namespace ${ns}`);
    const added = await ensureSearchAttributes(connection, ns);
    if (added.length) log(`added search attributes to ${ns}: ${added.join(', ')}`);
  }
}

export function localServerFiles(runDir: string) {
  return {
    dir: runDir,
    config: path.join(runDir, 'config', 'production.yaml'),
    log: path.join(runDir, 'server.log'),
    pid: path.join(runDir, 'server.pid'),
  };
}

export interface LocalServerOptions {
  /** where the binaries are cached (built there on first use) */
  cacheDir: string;
  /** the server's config, log and pid file */
  runDir: string;
  postgres: Omit<SqlTarget, 'database'>;
  /** created when missing; their schemas set up or upgraded on every start */
  databases: { temporal: string; visibility: string };
  ports: ServerPorts;
  /** registered with the product's search attributes; none leaves that to a set-up job (prod:smoke runs temporalSetup) */
  namespaces: string[];
  log: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface LocalServer {
  address: string;
  logFile: string;
  pid: number;
  /** true when the server was still running */
  stop(): Promise<boolean>;
}

export class ServerStartError extends Error {
  override name = 'ServerStartError';
}

/**
 * Builds (first use) and starts the real server on PostgreSQL in the background, and returns once
 * its frontend serves and the namespaces are usable. Safe to call on databases an earlier start
 * left: the data stays, the schemas are upgraded if the server is newer.
 */
export async function startLocalTemporalServer(opts: LocalServerOptions): Promise<LocalServer> {
  const bin = await resolveTemporalServer(opts.cacheDir, opts.log);
  await setUpSchema(bin, { ...opts.postgres, database: opts.databases.temporal }, 'temporal');
  await setUpSchema(bin, { ...opts.postgres, database: opts.databases.visibility }, 'visibility');
  const files = localServerFiles(opts.runDir);
  mkdirSync(path.dirname(files.config), { recursive: true });
  writeFileSync(
    files.config,
    serverConfigYaml({ ...opts.postgres, database: opts.databases.temporal, visibilityDatabase: opts.databases.visibility }, opts.ports, {
      dynamicConfigFile: DEPLOY_DYNAMIC_CONFIG,
    }),
  );
  // --config is relative to --root: <runDir>/config/production.yaml
  const pid = startInBackground(
    bin.server,
    ['--root', files.dir, '--config', 'config', '--env', 'production', '--allow-no-auth', 'start'],
    files,
  );
  const server: LocalServer = {
    address: `127.0.0.1:${opts.ports.frontend}`,
    logFile: files.log,
    pid,
    stop: () => stopInBackground(files.pid),
  };
  try {
    await untilServing(server, opts.namespaces, opts.readyTimeoutMs ?? 90_000, opts.log);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Stops the server a startLocalTemporalServer left running in this run folder; true when one was running. */
export function stopLocalTemporalServer(runDir: string): Promise<boolean> {
  return stopInBackground(localServerFiles(runDir).pid);
}

/**
 * A fresh cluster accepts connections before its services have joined the ring ("Not enough hosts
 * to serve the request"): the health check and the namespace set-up are retried until the deadline,
 * and a server that exits (a port taken, a bad config) fails at once with its log's tail.
 */
async function untilServing(server: LocalServer, namespaces: string[], timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (!isRunning(server.pid)) {
      throw new ServerStartError(`The Temporal server exited while starting; last lines of ${server.logFile}:\n${logTail(server.logFile)}`);
    }
    const t = await connectTemporal({ address: server.address, namespace: 'default' }).catch((err: unknown) => {
      lastError = firstLine(err);
      return undefined;
    });
    if (t) {
      try {
        if (await isTemporalServing(t.connection)) {
          await registerNamespaces(t.connection, namespaces, log);
          return;
        }
        lastError = 'health check: not serving';
      } catch (err) {
        lastError = firstLine(err);
      } finally {
        await t.close();
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new ServerStartError(
    `The Temporal server at ${server.address} was not ready within ${Math.round(timeoutMs / 1000)} s (last error: ${lastError}); see ${server.logFile}`,
  );
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

function logTail(file: string, lines = 20): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
}

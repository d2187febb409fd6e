/**
 * The real Temporal server (not the dev server) for `npm run prod:smoke`: its binaries built from
 * Go modules and cached outside the repo like the CLI, the PostgreSQL schema set up with its SQL
 * tool, and a server config on ports apart from the dev server's.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isExecutable, MissingToolError } from './devServer';

/** The server version the compose image pins (temporalio/server), and that the CLI v1.5.1 embeds. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const SERVER_MODULE = 'go.temporal.io/server';

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

/** setup-schema from version 0.0, then every versioned step: an empty database gets the server's current schema. */
export async function setUpSchema(bin: TemporalServerBinaries, target: SqlTarget, kind: 'temporal' | 'visibility'): Promise<void> {
  const common = ['--plugin', 'postgres12', '--ep', target.host, '-p', String(target.port), '-u', target.user, '--db', target.database];
  if (target.password) common.push('--pw', target.password);
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
`;
}

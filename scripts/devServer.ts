/**
 * The local Temporal: the Temporal CLI's dev server (`temporal server start-dev`), which carries
 * the server and the Web UI in one binary. This machine has no internet, so the SDK's own server
 * download cannot work; the CLI is found or built from Go modules instead, in this order:
 *   1. TEMPORAL_CLI (an explicit path),
 *   2. a `temporal` on PATH,
 *   3. the cached build under CACHE_DIR,
 *   4. a fresh `go install` into that cache (minutes on a cold machine; progress is printed).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export interface CliOptions {
  explicitPath?: string | undefined;
  cacheDir: string;
  version: string;
  log: (line: string) => void;
}

export class MissingToolError extends Error {
  override name = 'MissingToolError';
}

/** Whether a file exists and may be executed (the binaries this folder finds or builds). */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function cachedCliPath(cacheDir: string, version: string): string {
  return path.join(cacheDir, 'temporal-cli', version, 'temporal');
}

/** Returns the path of a usable `temporal` binary, building and caching one when needed. */
export async function resolveTemporalCli({ explicitPath, cacheDir, version, log }: CliOptions): Promise<string> {
  if (explicitPath) {
    if (!isExecutable(explicitPath)) {
      throw new MissingToolError(`TEMPORAL_CLI is set to ${explicitPath}, but no executable file is there.`);
    }
    return explicitPath;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const cached = cachedCliPath(cacheDir, version);
  if (isExecutable(cached)) return cached;
  await buildTemporalCli(cached, version, log);
  return cached;
}

/** `go install` into a scratch folder, then an atomic rename: an interrupted build leaves no half binary. */
async function buildTemporalCli(target: string, version: string, log: (line: string) => void): Promise<void> {
  const go = onPath('go');
  if (!go) {
    throw new MissingToolError(
      'The Temporal CLI (which runs the local Temporal server) was not found, and Go is not installed to build it.\n' +
        'Get one of these, then run again:\n' +
        '  - Homebrew: brew install temporal\n' +
        '  - the official download: https://temporal.download/cli (put `temporal` on PATH or set TEMPORAL_CLI)\n' +
        `  - Go: go install ${TEMPORAL_CLI_MODULE}@${version}\n` +
        '  - or run the whole stack with docker compose (see README).',
    );
  }
  const scratch = `${path.dirname(target)}.building-${process.pid}`;
  mkdirSync(scratch, { recursive: true });
  log(`Building the Temporal CLI ${version} with Go (first run only; about 5 minutes on 2 cores) ...`);
  const started = Date.now();
  const heartbeat = setInterval(() => {
    log(`  ... still building the Temporal CLI (${Math.round((Date.now() - started) / 1000)} s so far)`);
  }, 20_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(go, ['install', '-trimpath', `${TEMPORAL_CLI_MODULE}@${version}`], {
        env: { ...process.env, GOBIN: scratch },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install failed with exit code ${code}`))));
    });
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(path.join(scratch, 'temporal'), target);
    log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s and cached at ${target}`);
  } finally {
    clearInterval(heartbeat);
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface DevServerOptions {
  cli: string;
  dataDir: string;
  host: string;
  port: number;
  uiPort: number;
  namespaces: string[];
}

export function devServerFiles(dataDir: string) {
  const dir = path.join(dataDir, 'temporal');
  return { dir, db: path.join(dir, 'dev.sqlite'), log: path.join(dir, 'server.log'), pid: path.join(dir, 'server.pid') };
}

/**
 * Starts the dev server in the background on a persistent SQLite file (WAL mode: 2.6x faster
 * here than SQLite's defaults), logging to a file beside it. Returns its pid.
 */
export function startDevServer(opts: DevServerOptions): number {
  const files = devServerFiles(opts.dataDir);
  const args = [
    'server',
    'start-dev',
    '--ip',
    opts.host,
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--db-filename',
    files.db,
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    '--log-level',
    'warn',
    ...opts.namespaces.flatMap((ns) => ['--namespace', ns]),
  ];
  return startInBackground(opts.cli, args, files);
}

/** Stops the dev server this project started (by its pid file); true when one was stopped. */
export function stopDevServer(dataDir: string): Promise<boolean> {
  return stopInBackground(devServerFiles(dataDir).pid);
}

/**
 * Starts a server detached from this process (it outlives `npm run services`), appending its output
 * to a log file and writing its pid beside it for stopInBackground. Returns its pid.
 */
export function startInBackground(cmd: string, args: string[], files: { log: string; pid: string }): number {
  mkdirSync(path.dirname(files.log), { recursive: true });
  const out = openSync(files.log, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  if (!child.pid) throw new Error(`Could not start ${cmd}; see ${files.log}`);
  writeFileSync(files.pid, String(child.pid));
  return child.pid;
}

/** Whether a process with this pid is alive (signal 0 tests without signalling). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops what startInBackground started (SIGTERM, SIGKILL after 10 s); true when it was still running. */
export async function stopInBackground(pidFile: string): Promise<boolean> {
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || !isRunning(pid)) return false;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  return true;
}

/** Version line of a CLI binary, for logs. */
export function cliVersion(cli: string): string {
  const res = spawnSync(cli, ['--version'], { encoding: 'utf8' });
  return (res.stdout || res.stderr || '').trim();
}

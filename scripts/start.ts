/**
 * `npm start`: the whole system on one machine.
 *   1. PostgreSQL, Redis and the Temporal dev server up (see services.ts),
 *   2. migrations applied,
 *   3. the API and the worker as two child processes, with their logs in this terminal,
 *   4. the URLs printed once the API is ready; Ctrl-C stops everything this command started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createDb, migrateLatest } from '../db';
import { getConfig, PROJECT_ROOT } from '../lib/config';
import { ensureServices, exitWithReason } from './services';

const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const log = (line: string) => console.log(`[start] ${line}`);

function startChild(name: string, entry: string): ChildProcess {
  const child = spawn(TSX, [path.join(PROJECT_ROOT, entry)], { cwd: PROJECT_ROOT, stdio: 'inherit', env: process.env });
  child.on('error', (err) => log(`${name} could not start: ${err.message}`));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function main(): Promise<void> {
  const config = getConfig();
  const services = await ensureServices(config, {
    databaseUrls: [config.DATABASE_URL],
    redisUrl: config.REDIS_URL,
    namespaces: [config.TEMPORAL_NAMESPACE],
  });
  const db = createDb({ url: config.DATABASE_URL, poolMax: 1, applicationName: 'migrate' });
  try {
    const applied = await migrateLatest(db);
    log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
  } finally {
    await db.destroy();
  }

  const children = { api: startChild('api', 'api/server.ts'), worker: startChild('worker', 'temporal/worker.ts') };
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping the API and the worker ...');
    for (const child of Object.values(children)) child.kill('SIGTERM');
    const force = setTimeout(() => Object.values(children).forEach((c) => c.kill('SIGKILL')), 15_000);
    await Promise.all(Object.values(children).map(exited));
    clearTimeout(force);
    if (await services.stop()) log('stopped the Temporal dev server');
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  for (const [name, child] of Object.entries(children)) {
    child.on('exit', (code, signal) => {
      if (stopping) return;
      log(`${name} exited (${signal ?? `code ${code}`}); stopping the rest`);
      void stopAll(1);
    });
  }

  const apiUrl = `http://localhost:${config.PORT}`;
  if (await waitUntilReady(`${apiUrl}/api/ready`, 60_000)) {
    log('Blogger Analytics is running:');
    log(`  API              ${apiUrl}/api  (readiness: ${apiUrl}/api/ready)`);
    log(`  Temporal Web UI  http://localhost:${config.TEMPORAL_UI_PORT}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`);
    log('Press Ctrl-C to stop.');
  } else if (!stopping) {
    log(`the API did not report ready within 60 s; see ${apiUrl}/api/ready`);
  }
}

main().catch(exitWithReason);

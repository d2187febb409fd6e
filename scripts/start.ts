/**
 * `npm start`: the whole system on one machine.
 *   1. PostgreSQL, Redis and Temporal up (see services.ts): the dev server, or with
 *      `npm start -- --temporal=server` (or TEMPORAL_ENGINE=server) the real server on PostgreSQL,
 *   2. migrations applied,
 *   3. without SMTP_URL, a local mail capture server (notifications/mailCapture.ts) that the API and
 *      the worker send to: every mail is written to DATA_DIR/mail/*.eml and named in this terminal,
 *   4. the API and the worker as two supervised child processes, with their logs in this terminal:
 *      one that dies is restarted with backoff (see supervisor.ts) while the other keeps serving,
 *   5. the URLs printed once the API is ready; Ctrl-C stops everything this command started.
 */
import path from 'node:path';
import { createDb, migrateLatest } from '../db';
import { getConfig, PROJECT_ROOT } from '../lib/config';
import { startMailCapture, type MailCapture } from '../notifications/mailCapture';
import { engineFlag, ensureServices, exitWithReason } from './services';
import { Supervisor } from './supervisor';

const log = (line: string) => console.log(`[start] ${line}`);

async function waitUntilReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(3000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function main(): Promise<void> {
  const config = getConfig();
  // Mail in development: without an SMTP server, a capture server takes every mail and keeps it.
  let capture: MailCapture | undefined;
  const mailDir = path.join(config.DATA_DIR, 'mail');
  if (!config.SMTP_URL) {
    capture = await startMailCapture({
      port: config.MAIL_CAPTURE_PORT,
      dir: mailDir,
      onMessage: (mail) => log(`mail to ${mail.to.join(', ')}: "${mail.subject}" -> ${mail.file}`),
    }).catch((err: Error) => {
      throw new Error(
        `the mail capture server could not listen on 127.0.0.1:${config.MAIL_CAPTURE_PORT} (${err.message}): set MAIL_CAPTURE_PORT (0: any free port) or SMTP_URL`,
      );
    });
  }
  const childEnv = capture ? { ...process.env, SMTP_URL: capture.url } : process.env;
  const services = await ensureServices(config, {
    databaseUrls: [config.DATABASE_URL],
    redisUrl: config.REDIS_URL,
    namespaces: [config.TEMPORAL_NAMESPACE],
    engine: engineFlag(process.argv.slice(2)),
  });
  const db = createDb({ url: config.DATABASE_URL, poolMax: 1, applicationName: 'migrate' });
  try {
    const applied = await migrateLatest(db);
    log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
  } finally {
    await db.destroy();
  }

  const supervisor = new Supervisor({ log });
  for (const [name, entry] of [
    ['api', 'api/server.ts'],
    ['worker', 'temporal/worker.ts'],
  ] as const) {
    // One process per child (tsx as a loader, not the tsx launcher with a node child of its own), so
    // a crash or `kill -9` of that process is what the supervisor sees, and no orphan is left behind.
    supervisor.start({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', path.join(PROJECT_ROOT, entry)],
      options: { cwd: PROJECT_ROOT, env: childEnv },
    });
  }
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    log('stopping the API and the worker ...');
    await supervisor.stop();
    await capture?.close();
    if (await services.stop()) log(`stopped ${services.temporalName}`);
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());

  const apiUrl = `http://localhost:${config.PORT}`;
  if (await waitUntilReady(`${apiUrl}/api/ready`, 60_000)) {
    log('Blogger Analytics is running:');
    log(`  API              ${apiUrl}/api  (readiness: ${apiUrl}/api/ready)`);
    if (services.temporalWebUi) {
      log(`  Temporal Web UI  ${services.temporalWebUi}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`);
    } else {
      // The server binary has no UI (the dev server bundles one; docker compose runs temporalio/ui).
      log(`  Temporal         ${config.TEMPORAL_ADDRESS}: no Web UI bundled with this engine; the Temporal CLI lists workflows:`);
      log(`                   temporal workflow list --address ${config.TEMPORAL_ADDRESS} --namespace ${config.TEMPORAL_NAMESPACE}`);
    }
    if (capture) {
      log(`  Mail             no SMTP_URL: captured by ${capture.url}, each mail written to ${mailDir}/*.eml and named here`);
    } else {
      log('  Mail             sent through SMTP_URL');
    }
    log('Press Ctrl-C to stop.');
  } else if (!stopping) {
    log(`the API did not report ready within 60 s; see ${apiUrl}/api/ready`);
  }
}

main().catch(exitWithReason);

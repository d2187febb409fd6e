/**
 * Benchmark: how close the API's hot path comes to a bare Koa JSON handler (issue 13). The bare
 * handler (bench/apiHotPath/bareKoa.ts) and the real API (`api/server.ts`, the production
 * middleware stack, its configured log level) each run in their own process on this machine;
 * autocannon measures one request at a time: the bare handler, then the authenticated reads a
 * client polls most.
 *
 *   npm run bench:api
 *   npm run bench:api -- --duration 8 --connections 10 --write-docs
 *
 * The API uses a dedicated database (blogger_analytics_bench_api next to DATABASE_URL, migrated
 * afresh) and Redis index 12; the user is on the enterprise plan with no rate limit, as in the issue.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createDb, migrateLatest } from '../db';
import { getConfig, PROJECT_ROOT } from '../lib/config';
import { ensurePostgres, ensureRedis, exitWithReason, recreateDatabase } from '../scripts/services';
import { machineDescription, writeDocsSection } from './docsSection';
import { dedicatedUrl } from './dedicated';
import { freePort } from '../scripts/ports';

const SECTION = 'bench:api';
const READY_TIMEOUT_MS = 60_000;

/**
 * Starts a script with tsx as its own process on `port`, its output dropped (the API logs every
 * request); resolves once `probe` answers 200 there.
 */
async function startProcess(script: string, env: NodeJS.ProcessEnv, probe: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: PROJECT_ROOT,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${script} exited (${child.exitCode}) before it was ready:\n${errors}`);
    const ok = await fetch(`${url}${probe}`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return { child, url };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGTERM');
  throw new Error(`${script} did not answer ${probe} within ${READY_TIMEOUT_MS / 1000} s:\n${errors}`);
}

interface Measured {
  name: string;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

async function measure(
  name: string,
  url: string,
  opts: { duration: number; connections: number; headers?: Record<string, string> },
): Promise<Measured> {
  const result = await autocannon({ url, duration: opts.duration, connections: opts.connections, headers: opts.headers ?? {} });
  return {
    name,
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function json(url: string, init: RequestInit & { body?: string } = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

function table(rows: Measured[]): string {
  const bare = rows[0]!.requestsPerSecond;
  return [
    '| request | req/s | ÷ bare Koa | p99 latency | errors / non-2xx |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.requestsPerSecond).toLocaleString('en-US')} | ${(r.requestsPerSecond / bare).toFixed(3)} | ${r.p99Ms} ms | ${r.errors} / ${r.non2xx} |`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '8' },
      connections: { type: 'string', default: '10' },
      processes: { type: 'string', default: '1' },
      'write-docs': { type: 'boolean', default: false },
    },
  });
  const opts = { duration: Number(values.duration), connections: Number(values.connections) };
  const config = getConfig();
  const databaseUrl = dedicatedUrl(config.DATABASE_URL, '/blogger_analytics_bench_api');
  const redisUrl = dedicatedUrl(config.REDIS_URL, '/12');
  await ensurePostgres(databaseUrl);
  await ensureRedis(redisUrl);
  await recreateDatabase(databaseUrl);
  const owner = createDb({ url: databaseUrl, poolMax: 1, applicationName: 'bench-api' });
  // The API as configured, but with production's JSON logs (logging is part of the hot path).
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    LOG_PRETTY: 'false',
    API_PROCESSES: values.processes,
  };
  delete env.APP_DATABASE_URL;
  const children: ChildProcess[] = [];
  try {
    await migrateLatest(owner);
    const bare = await startProcess('bench/apiHotPath/bareKoa.ts', env, '/');
    children.push(bare.child);
    const api = await startProcess('api/server.ts', env, '/api/health');
    children.push(api.child);

    // An enterprise user without a rate limit, and one blogger whose stats the cache serves.
    const email = `bench-${Date.now()}@example.com`;
    const password = 'correct horse battery';
    const { user } = (await json(`${api.url}/api/auth/register`, { method: 'POST', body: JSON.stringify({ email, password }) })) as {
      user: { id: number };
    };
    await owner('users').where('id', user.id).update({ plan: 'enterprise' }); // its API rate is unlimited (-1)
    const [blogger] = (await owner('bloggers')
      .insert({ user_id: user.id, name: 'Bench Blogger', platform_links: JSON.stringify({}) })
      .returning('id')) as { id: number }[];
    const { accessToken } = (await json(`${api.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ email, password }) })) as {
      accessToken: string;
    };
    const auth = { authorization: `Bearer ${accessToken}` };
    await json(`${api.url}/api/bloggers/${blogger!.id}/stats`, { headers: auth }); // fills the cache

    const rows: Measured[] = [];
    const run = async (name: string, url: string, headers?: Record<string, string>) => {
      process.stderr.write(`measuring ${name} (${opts.duration} s) …\n`);
      rows.push(await measure(name, url, { ...opts, ...(headers ? { headers } : {}) }));
    };
    await run('bare Koa JSON', bare.url);
    await run('`GET /api/auth/me` (enterprise, no rate limit)', `${api.url}/api/auth/me`, auth);
    await run('`GET /api/bloggers`', `${api.url}/api/bloggers`, auth);
    await run('`GET /api/bloggers/:id/stats` (Redis cache)', `${api.url}/api/bloggers/${blogger!.id}/stats`, auth);

    const machine = machineDescription();
    const command = `npm run bench:api -- --duration ${opts.duration} --connections ${opts.connections} --processes ${values.processes} --write-docs`;
    const section = [
      '## API hot path against bare Koa',
      '',
      `Machine: ${machine}. Command: \`${command}\`.`,
      '',
      `autocannon, ${opts.connections} connections for ${opts.duration} s per request, one after the other; the bare Koa JSON handler and the API (\`npm run api\`, API_PROCESSES=${values.processes}) each in their own process on the same machine, PostgreSQL and Redis local.`,
      '',
      table(rows),
    ].join('\n');
    console.log(`\n${table(rows)}`);
    if (values['write-docs']) console.log(`wrote ${await writeDocsSection(SECTION, section)}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await owner.destroy();
  }
}

main().catch(exitWithReason);

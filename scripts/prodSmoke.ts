/**
 * `npm run prod:smoke`: the production profile on this machine, with the commands the compose
 * stack runs, then a smoke test through nginx over HTTPS.
 *
 *   1. `npm run build` (as the image does), 2. the real Temporal server on PostgreSQL (built from
 *   Go modules, cached in CACHE_DIR; started as `npm start -- --temporal=server` starts it), 3. the temporal-setup and migrate jobs and createAdmin, from
 *   dist/, 4. two API processes and a worker from dist/ with NODE_ENV=production, 5. Debian's
 *   nginx with deploy/nginx/nginx.conf and a throwaway self-signed certificate, 6. the smoke test,
 *   7. everything it started stopped and its databases dropped, on success, failure and Ctrl-C.
 *
 * It uses its own ports (Temporal 17233-17239 and 17933-17936, API 13001-13002, nginx
 * 18080/18443/18444), its own databases (temporal_smoke, temporal_smoke_visibility,
 * blogger_analytics_smoke, dropped at the end) and Redis database 13 (flushed before and after),
 * so it runs beside the dev server and the test suite.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Client as PgClient } from 'pg';
import { getConfig, PROJECT_ROOT } from '../lib/config';
import { ensureNginx, readNginxConf, renderForLocal, selfSignedCertificate } from './nginxConf';
import { ensurePostgres, ensureRedis } from './services';
import { resolveTemporalServer, startLocalTemporalServer, TEMPORAL_SERVER_VERSION, type ServerPorts } from './temporalServer';
import { portFree } from './ports';

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const DATABASES = { temporal: 'temporal_smoke', visibility: 'temporal_smoke_visibility', app: 'blogger_analytics_smoke' };
const REDIS_URL = 'redis://127.0.0.1:6379/13';
const TEMPORAL_PORTS: ServerPorts = {
  frontend: 17233,
  frontendHttp: 17243,
  history: 17234,
  matching: 17235,
  worker: 17239,
  membershipBase: 17933,
};
const API_PORTS = [13001, 13002];
const NGINX = { http: 18080, https: 18443, admin: 18444, ui: 18089 };
const ADMIN = { email: 'admin@smoke.example.com', password: randomBytes(12).toString('base64url') };
const UI_AUTH = { user: 'ops', password: randomBytes(9).toString('base64url') };

const started = Date.now();
const timings: [string, number][] = [];
const log = (line: string) => console.log(`[prod:smoke] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

class SmokeFailure extends Error {
  override name = 'SmokeFailure';
}

function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new SmokeFailure(what);
}

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  log(`▶ ${name}`);
  const result = await fn();
  timings.push([name, Date.now() - t0]);
  log(`✔ ${name} (${seconds(Date.now() - t0)})`);
  return result;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, logFile?: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(300);
  }
  throw new SmokeFailure(
    `${what} did not happen within ${seconds(timeoutMs)}${last ? ` (last error: ${last})` : ''}${logFile ? `; see ${logFile}` : ''}`,
  );
}

// ------------------------------------------------------------------ what was started, stopped in reverse

interface Started {
  name: string;
  child: ChildProcess;
  logFile: string;
}
const processes: Started[] = [];
/** Logs of what runs in the background outside `processes` (the Temporal server), shown on a failure too. */
const backgroundLogs: { name: string; logFile: string }[] = [];
const cleanups: { name: string; run: () => Promise<void> | void }[] = [];

function startProcess(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, oneShot = false): Started {
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { env, cwd: PROJECT_ROOT, stdio: ['ignore', out, out] });
  closeSync(out);
  const entry = { name, child, logFile };
  processes.push(entry);
  child.on('exit', (code, signal) => {
    if (!stopping && !oneShot) log(`! ${name} exited unexpectedly (${signal ?? `code ${code}`}); see ${logFile}`);
  });
  return entry;
}

async function stopProcess({ child }: Started): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!graceful) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Runs a one-shot job to completion, output to its log; throws with the log's tail on a failure. */
async function runJob(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const job = startProcess(name, cmd, args, env, logFile, true);
  const code = await new Promise<number | null>((resolve) => job.child.once('exit', (c) => resolve(c)));
  processes.splice(processes.indexOf(job), 1);
  if (code !== 0) throw new SmokeFailure(`${name} failed (exit code ${code}); last lines of ${logFile}:\n${tail(logFile)}`);
}

let stopping = false;
/** Kept after a failure, so its logs can be read. */
let keepTmp = false;
let workDir = '';
async function stopEverything(): Promise<void> {
  stopping = true;
  for (const p of [...processes].reverse()) {
    await stopProcess(p).catch((err) => log(`could not stop ${p.name}: ${String(err)}`));
  }
  for (const c of [...cleanups].reverse()) {
    await Promise.resolve(c.run()).catch((err) => log(`clean-up "${c.name}" failed: ${String(err)}`));
  }
}

function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

// ------------------------------------------------------------------ helpers

async function pgAdmin<T>(fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({ ...PG, database: 'postgres', connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dropDatabases(): Promise<void> {
  await pgAdmin(async (c) => {
    for (const db of Object.values(DATABASES)) await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  });
}

async function flushRedis(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.flushdb().finally(() => redis.disconnect());
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes, checked field by field
}

/** One request through nginx; HTTPS trusts only the throwaway CA. */
function request(
  url: string,
  opts: { method?: string; token?: string; body?: unknown; headers?: Record<string, string>; ca?: string } = {},
): Promise<Reply> {
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'identity', ...opts.headers };
  if (payload) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method: opts.method ?? 'GET', headers, ca: opts.ca, timeout: 15_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON (an nginx page): keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** An event stream (GET /api/stream) read as it comes: nginx must pass each event on at once, not buffer it. */
function openEventStream(url: string, { ca, token }: { ca: string; token: string }): { text: () => string; close: () => void } {
  let text = '';
  const req = https.request(url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` }, ca }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (d: string) => (text += d));
  });
  req.on('error', () => undefined); // closed by us, or the failure shows as events that never come
  req.end();
  return { text: () => text, close: () => req.destroy() };
}

function apacheMd5Htpasswd(user: string, password: string): string {
  const res = spawnSync('openssl', ['passwd', '-apr1', password], { encoding: 'utf8' });
  if (res.status !== 0) throw new SmokeFailure(`openssl passwd failed: ${res.stderr}`);
  return `${user}:${res.stdout.trim()}\n`;
}

// ------------------------------------------------------------------ the run

async function main(): Promise<void> {
  const config = getConfig();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ba-prod-smoke-'));
  workDir = tmp;
  const logs = path.join(tmp, 'logs');
  mkdirSync(logs);
  cleanups.push({ name: 'temp dir', run: () => (keepTmp ? undefined : rmSync(tmp, { recursive: true, force: true })) });
  log(`work dir ${tmp}`);

  await step('ports free', async () => {
    const ports = [...Object.values(TEMPORAL_PORTS), ...[0, 1, 2, 3].map((i) => TEMPORAL_PORTS.membershipBase + i), ...API_PORTS];
    ports.push(NGINX.http, NGINX.https, NGINX.admin);
    const busy = [];
    for (const p of ports) if (!(await portFree(p))) busy.push(p);
    check(busy.length === 0, `ports already in use: ${busy.join(', ')} (another prod:smoke still running?)`);
  });

  // The same checks as npm start and npm test: start local ones when stopped, else say what is missing.
  await step('PostgreSQL and Redis', async () => {
    await ensurePostgres(`postgres://${PG.user}@${PG.host}:${PG.port}/postgres`);
    await ensureRedis(REDIS_URL);
  });

  await step('npm run build', async () => {
    await runJob('build', 'npm', ['run', 'build'], process.env, path.join(logs, 'build.log'));
    for (const f of [
      'api/server.js',
      'temporal/worker.js',
      'scripts/migrate.js',
      'scripts/temporalSetup.js',
      'scripts/createAdmin.js',
      'workflow-bundle.js',
    ]) {
      check(existsSync(path.join(PROJECT_ROOT, 'dist', f)), `the build did not produce dist/${f}`);
    }
  });

  const nginxBin = await step('nginx installed', async () => ensureNginx(log));
  await step(`Temporal server ${TEMPORAL_SERVER_VERSION} (cached build)`, () => resolveTemporalServer(config.CACHE_DIR, log));

  const redisCleanup = { name: 'redis db 13', run: flushRedis };
  await step('databases', async () => {
    await dropDatabases(); // leftovers of an interrupted run
    cleanups.push({ name: 'drop smoke databases', run: dropDatabases });
    // Temporal's two databases are created with their schemas when the server starts.
    await pgAdmin((c) => c.query(`CREATE DATABASE "${DATABASES.app}"`));
    await flushRedis();
    cleanups.push(redisCleanup);
  });

  const temporalAddress = `127.0.0.1:${TEMPORAL_PORTS.frontend}`;
  await step('Temporal server (schemas, start, serving)', async () => {
    const temporal = await startLocalTemporalServer({
      cacheDir: config.CACHE_DIR,
      runDir: path.join(tmp, 'temporal'),
      postgres: PG,
      databases: { temporal: DATABASES.temporal, visibility: DATABASES.visibility },
      ports: TEMPORAL_PORTS,
      namespaces: [], // the temporal-setup job registers the namespace, as in production
      log,
    });
    backgroundLogs.push({ name: 'temporal', logFile: temporal.logFile });
    // Pushed after the databases' clean-up, so it runs before it.
    cleanups.push({ name: 'Temporal server', run: async () => void (await temporal.stop()) });
  });

  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: `postgres://${PG.user}@${PG.host}:${PG.port}/${DATABASES.app}`,
    APP_DATABASE_PASSWORD: randomBytes(18).toString('hex'),
    REDIS_URL,
    JWT_SECRET: randomBytes(48).toString('base64'),
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: 'blogger-analytics',
    TEMPORAL_TASK_QUEUE: `prod-smoke-${process.pid}`,
    TRUST_PROXY_HOPS: '1',
    SCHEDULES_ENABLED: 'true',
    DATA_DIR: path.join(tmp, 'data'),
    CACHE_DIR: config.CACHE_DIR,
  };
  const node = process.execPath;
  const dist = (f: string) => path.join(PROJECT_ROOT, 'dist', f);

  await step('temporal-setup job (namespace, search attributes)', () =>
    runJob(
      'temporal-setup',
      node,
      [dist('scripts/temporalSetup.js'), '--wait-seconds', '120'],
      baseEnv,
      path.join(logs, 'temporal-setup.log'),
    ),
  );
  await step('migrate job', () => runJob('migrate', node, [dist('scripts/migrate.js'), 'latest'], baseEnv, path.join(logs, 'migrate.log')));
  await step('first admin (createAdmin)', () =>
    runJob(
      'create-admin',
      node,
      [dist('scripts/createAdmin.js'), '--email', ADMIN.email, '--password', ADMIN.password],
      baseEnv,
      path.join(logs, 'create-admin.log'),
    ),
  );

  await step('two APIs and a worker ready', async () => {
    const worker = startProcess('worker', node, [dist('temporal/worker.js')], baseEnv, path.join(logs, 'worker.log'));
    const apis = API_PORTS.map((port, i) =>
      startProcess(
        `api-${i + 1}`,
        node,
        [dist('api/server.js')],
        { ...baseEnv, PORT: String(port), HOST: '127.0.0.1' },
        path.join(logs, `api-${i + 1}.log`),
      ),
    );
    for (const [i, port] of API_PORTS.entries()) {
      await until(
        `api-${i + 1} /api/ready`,
        async () => ((await request(`http://127.0.0.1:${port}/api/ready`)).status === 200 ? true : undefined),
        60_000,
        apis[i]!.logFile,
      );
    }
    await until(
      'the worker started',
      async () => (readFileSync(worker.logFile, 'utf8').includes('"msg":"worker started"') ? true : undefined),
      60_000,
      worker.logFile,
    );
  });

  const origin = `https://localhost:${NGINX.https}`;
  const ca = await step('nginx with a self-signed certificate', async () => {
    const certDir = path.join(tmp, 'certs');
    const webroot = path.join(tmp, 'acme');
    const prefix = path.join(tmp, 'nginx');
    for (const d of [certDir, path.join(webroot, '.well-known', 'acme-challenge'), prefix]) mkdirSync(d, { recursive: true });
    // nginx workers run as nobody: they must be able to read the webroot.
    for (const d of [tmp, webroot, path.join(webroot, '.well-known'), path.join(webroot, '.well-known', 'acme-challenge')])
      chmodSync(d, 0o755);
    writeFileSync(path.join(webroot, '.well-known', 'acme-challenge', 'smoke-token'), 'smoke-token-content');
    chmodSync(path.join(webroot, '.well-known', 'acme-challenge', 'smoke-token'), 0o644);
    selfSignedCertificate(certDir, 'localhost');
    const htpasswd = path.join(tmp, 'htpasswd');
    writeFileSync(htpasswd, apacheMd5Htpasswd(UI_AUTH.user, UI_AUTH.password));
    chmodSync(htpasswd, 0o644);
    const conf = renderForLocal(readNginxConf(), {
      domain: 'localhost',
      apiServers: API_PORTS.map((p) => `127.0.0.1:${p}`),
      temporalUi: `127.0.0.1:${NGINX.ui}`,
      httpPort: NGINX.http,
      httpsPort: NGINX.https,
      adminPort: NGINX.admin,
      certDir,
      acmeWebroot: webroot,
      htpasswdFile: htpasswd,
      logDir: logs,
    });
    const confFile = path.join(prefix, 'nginx.conf');
    writeFileSync(confFile, conf);
    const globals = `daemon off; pid ${prefix}/nginx.pid; error_log ${logs}/nginx-error.log warn;`;
    const test = spawnSync(nginxBin, ['-t', '-p', prefix, '-c', confFile, '-g', globals], { encoding: 'utf8' });
    check(test.status === 0, `nginx -t refused the rendered config:\n${test.stderr}`);
    startProcess('nginx', nginxBin, ['-p', prefix, '-c', confFile, '-g', globals], process.env, path.join(logs, 'nginx.log'));
    const ca = readFileSync(path.join(certDir, 'fullchain.pem'), 'utf8');
    await until(
      'nginx answering over HTTPS',
      async () => ((await request(`${origin}/api/health`, { ca })).status === 200 ? true : undefined),
      15_000,
      path.join(logs, 'nginx-error.log'),
    );
    return ca;
  });

  await step('smoke test through nginx over HTTPS', () => smokeTest(origin, ca));
}

async function smokeTest(origin: string, ca: string): Promise<void> {
  const api = (p: string, opts: Parameters<typeof request>[1] = {}) => request(`${origin}/api${p}`, { ...opts, ca });
  const ok = (res: Reply, status: number, what: string) =>
    check(res.status === status, `${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`);

  // TLS and the proxy's own answers
  const redirect = await request(`http://127.0.0.1:${NGINX.http}/api/health?x=1`, { headers: { host: 'localhost' } });
  ok(redirect, 301, 'HTTP redirect');
  check(redirect.headers.location === `https://localhost:${NGINX.https}/api/health?x=1`, `redirect target ${redirect.headers.location}`);
  const acme = await request(`http://127.0.0.1:${NGINX.http}/.well-known/acme-challenge/smoke-token`);
  ok(acme, 200, 'ACME challenge over plain HTTP');
  check(acme.body === 'smoke-token-content', 'ACME challenge content');
  const health = await api('/health');
  ok(health, 200, 'health through nginx');
  // nginx's own answer (the API sets HSTS too, through helmet)
  const outside = await request(`${origin}/not-the-api`, { ca });
  ok(outside, 404, 'a path outside /api/');
  check(/max-age=\d+/.test(String(outside.headers['strict-transport-security'])), 'HSTS header from nginx');
  check(!String(health.headers.server ?? '').match(/\d/), `nginx version hidden (server: ${health.headers.server})`);
  ok(await api('/ready'), 200, 'ready through nginx');
  ok(
    await api('/auth/register', { method: 'POST', body: { email: 'big@example.com', password: 'x'.repeat(200_000) } }),
    413,
    'body over 100k refused by nginx',
  );

  // accounts; the spoofed X-Forwarded-For must not reach the audit log
  const email = `ada-${Date.now()}@smoke.example.com`;
  const password = 'correct horse battery staple';
  const reg = await api('/auth/register', { method: 'POST', body: { email, password }, headers: { 'x-forwarded-for': '203.0.113.9' } });
  ok(reg, 201, 'register');
  const login = await api('/auth/login', { method: 'POST', body: { email, password } });
  ok(login, 200, 'login');
  const token = login.body.accessToken as string;
  ok(await api('/auth/me', { token }), 200, 'me');
  const adminLogin = await api('/auth/login', { method: 'POST', body: ADMIN });
  ok(adminLogin, 200, 'admin login');
  const adminToken = adminLogin.body.accessToken as string;
  const audit = await api(`/admin/logs?action=auth.register&targetId=${reg.body.user.id}`, { token: adminToken });
  ok(audit, 200, 'audit log');
  check(
    audit.body.data[0]?.ip === '127.0.0.1',
    `the audit log has the address nginx saw, not the spoofed one (got ${audit.body.data[0]?.ip})`,
  );

  // live events through nginx: the stream opens, and the first sync's event arrives on it as it happens
  const stream = openEventStream(`${origin}/api/stream`, { ca, token });
  await until('the event stream through nginx', async () => (stream.text().includes('event: ready') ? true : undefined), 15_000);

  // a blogger (simulator platform), its first sync, its stats
  const created = await api('/bloggers', {
    method: 'POST',
    token,
    body: { name: 'Smoke', youtube_url: 'https://www.youtube.com/@smoketest' },
  });
  ok(created, 201, 'add a blogger');
  const id = created.body.blogger.id as number;
  await until(
    'the first sync writing video history',
    async () => {
      const videos = await api(`/bloggers/${id}/videos`, { token });
      return videos.status === 200 && videos.body.data?.length > 0 ? true : undefined;
    },
    90_000,
  );
  await until(
    'blogger.synced on the event stream',
    async () => (stream.text().includes('event: blogger.synced') ? true : undefined),
    30_000,
  );
  stream.close();
  const stats = await api(`/bloggers/${id}/stats`, { token });
  ok(stats, 200, 'blogger stats');
  ok(await api('/stats', { token }), 200, 'usage stats');
  const gz = await request(`${origin}/api/bloggers/${id}/stats`, { ca, token, headers: { 'accept-encoding': 'gzip' } });
  check(JSON.stringify(stats.body).length < 1024 || gz.headers['content-encoding'] === 'gzip', 'JSON over 1 KiB is gzipped');

  // Trend Watch: free is refused, pro (set by the admin API) gets in
  ok(await api('/trends/discover', { token }), 403, 'Trend Watch on the free plan');
  ok(
    await api(`/admin/users/${reg.body.user.id}`, { method: 'PUT', token: adminToken, body: { plan: 'pro' } }),
    200,
    'admin sets plan pro',
  );
  ok(await api('/trends/discover', { token }), 200, 'Trend Watch on the pro plan');
  ok(await api('/trends/trending', { token }), 200, 'trending on the pro plan');

  // an admin schedule trigger, and its run finishing on the worker
  ok(await api('/admin/schedules/cleanup/trigger', { method: 'POST', token: adminToken, body: {} }), 202, 'admin schedule trigger');
  await until(
    'the triggered cleanup run',
    async () => {
      const listed = await api('/admin/schedules', { token: adminToken });
      const cleanup = (listed.body.data as { recentRuns?: unknown[] }[] | undefined)?.find((s) => JSON.stringify(s).includes('cleanup'));
      return cleanup?.recentRuns?.length ? true : undefined;
    },
    60_000,
  );

  // the admin listener: basic auth first, then the (absent here) Web UI
  const adminOrigin = `https://localhost:${NGINX.admin}/`;
  ok(await request(adminOrigin, { ca }), 401, 'Web UI listener without credentials');
  const basic = Buffer.from(`${UI_AUTH.user}:${UI_AUTH.password}`).toString('base64');
  ok(
    await request(adminOrigin, { ca, headers: { authorization: `Basic ${basic}` } }),
    502,
    'Web UI listener with credentials (no UI runs here)',
  );

  ok(await api('/auth/logout', { method: 'POST', token }), 204, 'logout');
}

let interrupted = false;
async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (interrupted) return;
  interrupted = true;
  log(`${signal}: stopping everything this run started ...`);
  await stopEverything();
  process.exit(130);
}
process.on('SIGINT', (s) => void onSignal(s));
process.on('SIGTERM', (s) => void onSignal(s));

main().then(
  async () => {
    await step('stop and clean up', stopEverything);
    const summary = timings.map(([name, ms]) => `${name} ${seconds(ms)}`).join(' | ');
    log(`PASSED in ${seconds(Date.now() - started)}: ${summary}`);
  },
  async (err: unknown) => {
    if (interrupted) return;
    keepTmp = true;
    console.error(`\n[prod:smoke] FAILED: ${err instanceof Error ? err.message : String(err)}`);
    for (const p of [...backgroundLogs, ...processes]) console.error(`\n--- ${p.name}: last lines of ${p.logFile}\n${tail(p.logFile)}`);
    await stopEverything();
    console.error(`[prod:smoke] FAILED after ${seconds(Date.now() - started)} (logs kept in ${workDir})`);
    process.exit(1);
  },
);

/**
 * API_PROCESSES: the API as several processes on one port (node:cluster), run as `npm run api`
 * would run it. One that dies is replaced while the others keep answering; SIGTERM stops them all.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../lib/config';
import { testConfig } from '../test/harness';
import { freePort } from '../scripts/ports';

const exec = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The API processes the primary forked. */
async function apiProcesses(primary: number): Promise<number[]> {
  const { stdout } = await exec('pgrep', ['-P', String(primary)]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

function statusOnNewConnection(target: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = http
      .get(target, { agent: false, timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
      .on('timeout', () => req.destroy(new Error(`no answer from ${target} within 5 s`)))
      .on('error', reject);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(200);
  }
}

describe('API processes (API_PROCESSES=2, node:cluster)', function () {
  this.timeout(150_000);
  let primary: ChildProcess;
  let url: string;

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: testConfig.DATABASE_URL,
      REDIS_URL: testConfig.REDIS_URL,
      TEMPORAL_NAMESPACE: testConfig.TEMPORAL_NAMESPACE,
      API_PROCESSES: '2',
    };
    delete env.APP_DATABASE_URL;
    primary = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], { cwd: PROJECT_ROOT, env, stdio: 'ignore' });
    await until('the API answers', async () => ((await fetch(`${url}/api/health`).catch(() => null))?.ok ? true : undefined));
  });
  after(() => {
    if (primary.exitCode === null) primary.kill('SIGKILL');
  });

  it('when one API process is killed, then the other keeps answering and a new one takes its place', async () => {
    const before = await until('two API processes run', async () => {
      const pids = await apiProcesses(primary.pid!);
      return pids.length === 2 ? pids : undefined;
    });
    process.kill(before[0]!, 'SIGKILL');
    // Served meanwhile: a connection handed to the killed process just before the primary saw it
    // die is reset, as it would be for any client, so each request may be tried twice.
    for (let i = 0; i < 10; i++) {
      const status = await statusOnNewConnection(`${url}/api/health`).catch(() => statusOnNewConnection(`${url}/api/health`));
      assert.equal(status, 200);
    }
    const after = await until('a new API process replaced the killed one', async () => {
      const pids = await apiProcesses(primary.pid!);
      return pids.length === 2 && !pids.includes(before[0]!) ? pids : undefined;
    });
    assert.ok(after.includes(before[1]!), 'the other process kept running');
  });

  it('when the primary gets SIGTERM, then every API process finishes and it exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => primary.once('exit', (code) => resolve(code)));
    primary.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.deepEqual(await apiProcesses(primary.pid!), []);
  });
});

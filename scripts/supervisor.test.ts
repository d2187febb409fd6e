import assert from 'node:assert/strict';
import { eventually } from '../test/eventually';
import { Supervisor } from './supervisor';

/** A real child process: a Node one-liner that stays up, or one that dies at once. */
const node = (code: string) => ({ command: process.execPath, args: ['-e', code], options: { stdio: 'ignore' as const } });
const STAYS_UP = 'setInterval(() => {}, 1000)';

describe('npm start supervisor (real child processes)', () => {
  let supervisor: Supervisor;
  let lines: string[];

  beforeEach(() => {
    lines = [];
    supervisor = new Supervisor({
      log: (l) => lines.push(l),
      initialBackoffMs: 20,
      maxBackoffMs: 80,
      healthyAfterMs: 60_000,
      killAfterMs: 2000,
    });
  });
  afterEach(() => supervisor.stop());

  it('when the worker is killed with SIGKILL, then it is restarted, the reason is logged, and the API is left alone', async () => {
    supervisor.start({ name: 'api', ...node(STAYS_UP) });
    supervisor.start({ name: 'worker', ...node(STAYS_UP) });
    const apiPid = supervisor.process('api')!.pid;
    const firstWorker = supervisor.process('worker')!;
    firstWorker.kill('SIGKILL');
    assert.equal(
      await eventually(
        async () => supervisor.restarts('worker'),
        (n) => n >= 1,
      ),
      1,
    );
    const secondWorker = supervisor.process('worker')!;
    assert.notEqual(secondWorker.pid, firstWorker.pid);
    assert.equal(secondWorker.exitCode, null, 'the new worker is running');
    assert.equal(supervisor.process('api')!.pid, apiPid, 'the API kept running');
    assert.equal(supervisor.restarts('api'), 0);
    assert.ok(
      lines.some((l) => /^worker killed by SIGKILL after .* restarting in 20 ms$/.test(l)),
      lines.join('\n'),
    );
  });

  it('when a child keeps crashing at once, then each restart waits twice as long, up to the cap', async () => {
    supervisor.start({ name: 'worker', ...node('process.exit(3)') });
    assert.ok(
      (await eventually(
        async () => supervisor.restarts('worker'),
        (n) => n >= 4,
      )) >= 4,
    );
    const delays = lines.filter((l) => l.includes('exited with code 3')).map((l) => Number(/restarting in (\d+) ms/.exec(l)![1]));
    assert.deepEqual(delays.slice(0, 4), [20, 40, 80, 80]);
  });

  it('when stopped, then every child ends and none is restarted', async () => {
    supervisor.start({ name: 'api', ...node(STAYS_UP) });
    supervisor.start({ name: 'worker', ...node(STAYS_UP) });
    const children = [supervisor.process('api')!, supervisor.process('worker')!];
    await supervisor.stop();
    for (const child of children) assert.ok(child.exitCode !== null || child.signalCode !== null, `${child.pid} ended`);
    assert.equal(supervisor.restarts('api') + supervisor.restarts('worker'), 0);
    assert.ok(!lines.some((l) => l.includes('restarting')), lines.join('\n'));
  });
});

import assert from 'node:assert/strict';
import { sharedClock } from './simulationClock';
import { resetDb, testAppDb, testDb } from '../../test/harness';

describe('the shared simulated clock', () => {
  beforeEach(async () => {
    await resetDb();
    await testDb()('simulation_clock').delete();
  });

  it('when TIME_SCALE is 1 and no CLOCK_START is set, then the clock is real and no anchor is written', async () => {
    const clock = await sharedClock(testAppDb(), { TIME_SCALE: 1 });
    assert.equal(clock.anchor, null);
    assert.ok(Math.abs(clock.now() - Date.now()) < 50);
    assert.equal((await testDb()('simulation_clock')).length, 0);
  });

  it('when two processes start a simulation one after the other, then both read one anchor and agree on "now"', async () => {
    const start = new Date(Date.now() - 30 * 86_400_000);
    const api = await sharedClock(testAppDb(), { TIME_SCALE: 720, CLOCK_START: start });
    await new Promise((r) => setTimeout(r, 30));
    const worker = await sharedClock(testAppDb(), { TIME_SCALE: 720, CLOCK_START: start });
    assert.deepEqual(worker.anchor, api.anchor);
    const real = Date.now();
    assert.equal(api.at(real), worker.at(real));
    // 720 times real time, from CLOCK_START on.
    assert.ok(Math.abs(api.at(real) - (start.getTime() + (real - api.anchor!.realStart) * 720)) <= 1);
    assert.ok(api.now() < Date.now(), 'a past CLOCK_START keeps data time in the past for a while');
  });

  it('when the speed changes, then data time goes on from where it was, never back', async () => {
    const slow = await sharedClock(testAppDb(), { TIME_SCALE: 100 });
    await new Promise((r) => setTimeout(r, 20));
    const before = slow.now();
    const fast = await sharedClock(testAppDb(), { TIME_SCALE: 1000 });
    assert.equal(fast.timeScale, 1000);
    assert.ok(fast.now() >= before, 'no step back');
    assert.ok(fast.now() - before < 1000 * 200, 'no jump either');
  });

  it('when real instants are mapped to data time and back, then realAt undoes at', async () => {
    const clock = await sharedClock(testAppDb(), { TIME_SCALE: 360 });
    const real = Date.now() + 5000;
    assert.ok(Math.abs(clock.realAt(clock.at(real)) - real) <= 1);
    assert.equal(clock.dataDuration(10_000), 3_600_000);
  });
});

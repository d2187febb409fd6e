import assert from 'node:assert/strict';
import { budgetDay, isDue, refreshInterval } from './syncCadence';

const H = 3_600_000;

describe('sync cadence', () => {
  it('when a video is young it is refreshed hourly, under 30 days every 6 h, older daily', () => {
    assert.equal(refreshInterval(10 * H), H);
    assert.equal(refreshInterval(5 * 24 * H), 6 * H);
    assert.equal(refreshInterval(90 * 24 * H), 24 * H);
  });

  it('when a video was never fetched it is due; otherwise when its interval has passed', () => {
    assert.equal(isDue(10 * H, null), true);
    assert.equal(isDue(10 * H, 0.5 * H), false);
    assert.equal(isDue(10 * H, H), true);
    assert.equal(isDue(40 * 24 * H, 23 * H), false);
  });

  it('when time is real, the budget day is the UTC date; compressed, days pass TIME_SCALE times faster', () => {
    const noon = Date.UTC(2026, 10, 25, 12);
    assert.deepEqual(budgetDay(noon), { day: '2026-11-25', nextDayAt: Date.UTC(2026, 10, 26) });
    const fast = budgetDay(noon, 24); // an hour is a day
    assert.equal(fast.day, '2026-12-07');
    assert.equal(fast.nextDayAt, Date.UTC(2026, 10, 25, 13));
  });
});

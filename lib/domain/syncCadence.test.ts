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

  it('when an instant is given, the budget day is its UTC date and the next starts at the following midnight', () => {
    const noon = Date.UTC(2026, 10, 25, 12);
    assert.deepEqual(budgetDay(noon), { day: '2026-11-25', nextDayAt: Date.UTC(2026, 10, 26) });
  });
});

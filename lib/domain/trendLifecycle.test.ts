import assert from 'node:assert/strict';
import { nextTrendStanding, TREND_END_AFTER_MISSED_RUNS, trendStatus } from './trendLifecycle';

describe('trend lifecycle', () => {
  it('when the score rises with positive acceleration it is emerging, flat is peaking, falling is fading', () => {
    assert.equal(trendStatus(10, null, 1), 'emerging');
    assert.equal(trendStatus(15, 10, 5), 'emerging');
    assert.equal(trendStatus(10.5, 10, -1), 'peaking');
    assert.equal(trendStatus(5, 10, -3), 'fading');
  });
  const now = { score: 50, totalAcceleration: 1 };
  it('when a trend is first seen, then it is new and emerging', () => {
    assert.deepEqual(nextTrendStanding(null, now, true), { status: 'emerging', missedRuns: 0, previousScore: null, isNew: true });
  });
  it('when a seen trend is seen again, then the score rule decides and the misses reset', () => {
    assert.deepEqual(nextTrendStanding({ status: 'fading', score: 100, missedRuns: 1 }, now, true), {
      status: 'fading',
      missedRuns: 0,
      previousScore: 100,
      isNew: false,
    });
    assert.equal(nextTrendStanding({ status: 'emerging', score: 50, missedRuns: 0 }, now, true).status, 'peaking');
  });
  it('when a trend is not seen, then it fades, and ends after the further miss', () => {
    const once = nextTrendStanding({ status: 'peaking', score: 80, missedRuns: 0 }, { score: 0, totalAcceleration: 0 }, false);
    assert.deepEqual(once, { status: 'fading', missedRuns: 1, previousScore: 80, isNew: false });
    const twice = nextTrendStanding(
      { status: once.status, score: 0, missedRuns: once.missedRuns },
      { score: 0, totalAcceleration: 0 },
      false,
    );
    assert.deepEqual([twice.status, twice.missedRuns], ['ended', TREND_END_AFTER_MISSED_RUNS]);
  });
  it('when an ended trend qualifies again, then it is a new wave; unseen, it stays ended', () => {
    assert.deepEqual(nextTrendStanding({ status: 'ended', score: 0, missedRuns: 2 }, now, true), {
      status: 'emerging',
      missedRuns: 0,
      previousScore: null,
      isNew: true,
    });
    assert.equal(nextTrendStanding({ status: 'ended', score: 0, missedRuns: 2 }, now, false).status, 'ended');
  });
});

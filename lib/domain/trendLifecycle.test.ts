import assert from 'node:assert/strict';
import { adoptionOf, nextTrendStanding, TREND_END_AFTER_MISSED_RUNS, trendStatus } from './trendLifecycle';

describe('trend lifecycle', () => {
  it('when adoption rises it is emerging, flat is peaking, falling is fading', () => {
    assert.equal(trendStatus('rising'), 'emerging');
    assert.equal(trendStatus('flat'), 'peaking');
    assert.equal(trendStatus('falling'), 'fading');
  });
  it('when creators change by a tenth and at least one, then adoption moves; a smaller change is flat; an unknown window before is rising', () => {
    assert.equal(adoptionOf(4, 3), 'rising');
    assert.equal(adoptionOf(3, null), 'rising');
    assert.equal(adoptionOf(3, 2.5), 'flat');
    assert.equal(adoptionOf(21, 20), 'flat');
    assert.equal(adoptionOf(3, 4), 'falling');
    assert.equal(adoptionOf(19.5, 20), 'flat');
  });
  const rising = { adoption: 'rising' as const };
  const unseen = { adoption: 'falling' as const };
  it('when a trend is first seen, then it is new and its adoption decides its status', () => {
    assert.deepEqual(nextTrendStanding(null, rising, true), { status: 'emerging', missedRuns: 0, previousScore: null, isNew: true });
    assert.equal(nextTrendStanding(null, { adoption: 'flat' }, true)?.status, 'peaking');
  });
  it('when a seen trend is seen again, then adoption decides and the misses reset', () => {
    assert.deepEqual(nextTrendStanding({ status: 'fading', score: 100, missedRuns: 1 }, rising, true), {
      status: 'emerging',
      missedRuns: 0,
      previousScore: 100,
      isNew: false,
    });
    assert.equal(nextTrendStanding({ status: 'emerging', score: 50, missedRuns: 0 }, { adoption: 'flat' }, true)?.status, 'peaking');
  });
  it('when a trend is not seen, then it fades, and ends after the further miss', () => {
    const once = nextTrendStanding({ status: 'peaking', score: 80, missedRuns: 0 }, unseen, false)!;
    assert.deepEqual(once, { status: 'fading', missedRuns: 1, previousScore: 80, isNew: false });
    const twice = nextTrendStanding({ status: once.status, score: 0, missedRuns: once.missedRuns }, unseen, false)!;
    assert.deepEqual([twice.status, twice.missedRuns], ['ended', TREND_END_AFTER_MISSED_RUNS]);
  });
  it('when an ended trend qualifies again, then it is a new wave; unseen, it stays ended', () => {
    assert.deepEqual(nextTrendStanding({ status: 'ended', score: 0, missedRuns: 2 }, rising, true), {
      status: 'emerging',
      missedRuns: 0,
      previousScore: null,
      isNew: true,
    });
    assert.equal(nextTrendStanding({ status: 'ended', score: 0, missedRuns: 2 }, unseen, false)?.status, 'ended');
  });
  it('when a run is incremental, then it announces new waves but never counts a miss nor moves a known trend', () => {
    const incremental = { incremental: true };
    assert.equal(nextTrendStanding({ status: 'peaking', score: 80, missedRuns: 0 }, unseen, false, incremental), null);
    assert.equal(nextTrendStanding({ status: 'fading', score: 80, missedRuns: 1 }, unseen, false, incremental), null);
    assert.deepEqual(nextTrendStanding({ status: 'fading', score: 80, missedRuns: 1 }, rising, true, incremental), {
      status: 'fading',
      missedRuns: 1,
      previousScore: 80,
      isNew: false,
    });
    assert.deepEqual(nextTrendStanding(null, rising, true, incremental), {
      status: 'emerging',
      missedRuns: 0,
      previousScore: null,
      isNew: true,
    });
    assert.equal(nextTrendStanding({ status: 'ended', score: 0, missedRuns: 2 }, rising, true, incremental)?.isNew, true);
  });
});

import assert from 'node:assert/strict';
import { isEndedTrendVideoStatus, isLiveTrendVideoStatus, monitorEndStatus, TREND_VIDEO_STATUSES } from './trendVideoStatus';

describe('trend video status', () => {
  it('when a status is checked, then it is either live or ended, never both', () => {
    for (const s of TREND_VIDEO_STATUSES) assert.notEqual(isLiveTrendVideoStatus(s), isEndedTrendVideoStatus(s), s);
  });
  it("when a monitor ends, then its row's ended status wins, then a stop (dropped), then a lost video (gone), else archived", () => {
    assert.equal(monitorEndStatus({ endedInDb: 'archived', stopped: true, vanished: true }), 'archived');
    assert.equal(monitorEndStatus({ stopped: true, vanished: true }), 'dropped');
    assert.equal(monitorEndStatus({ stopped: false, vanished: true }), 'gone');
    assert.equal(monitorEndStatus({ stopped: false, vanished: false }), 'archived');
  });
});

import assert from 'node:assert/strict';
import { acceleration, engagementRate, followerEngagementRate, median, trendScore, velocity, viralScore } from './metrics';

const H = 3_600_000;

describe('metrics', () => {
  describe('engagement rate', () => {
    it('when all counts are known, then (likes + comments + shares) / views', () => {
      assert.equal(engagementRate({ views: 1000, likes: 50, comments: 7, shares: 3 }), 0.06);
    });
    it('when some interaction counts are unknown, then only the known ones are summed', () => {
      assert.equal(engagementRate({ views: 1000, likes: null, comments: 10, shares: null }), 0.01);
    });
    it('when views are 0, then 0; when views are unknown, then null (never 0)', () => {
      assert.equal(engagementRate({ views: 0, likes: 0, comments: 0, shares: null }), 0);
      assert.equal(engagementRate({ views: null, likes: 120, comments: 4, shares: null }), null);
    });
    it('when no interaction count is known, then null', () => {
      assert.equal(engagementRate({ views: 500, likes: null, comments: null, shares: null }), null);
    });
    it('when only followers are known (Instagram photos), then the follower-based rate is (likes + comments) / followers', () => {
      assert.equal(followerEngagementRate(90, 10, 1000), 0.1);
      assert.equal(followerEngagementRate(null, null, 1000), null);
      assert.equal(followerEngagementRate(5, 5, 0), null);
    });
  });

  describe('velocity and acceleration', () => {
    it('when two consecutive snapshots are 2 h apart, then velocity is Δviews / Δhours', () => {
      assert.equal(velocity({ value: 1000, at: 0 }, { value: 1600, at: 2 * H }), 300);
    });
    it("when the snapshots are an old video's, then velocity is not the lifetime average", () => {
      // 1,000,000 views over 1,000 h is a lifetime average of 1,000/h; now it barely moves.
      assert.equal(velocity({ value: 1_000_000, at: 1000 * H }, { value: 1_000_020, at: 1002 * H }), 10);
    });
    it('when a value is unknown or no time passed, then null', () => {
      assert.equal(velocity({ value: null, at: 0 }, { value: 5, at: H }), null);
      assert.equal(velocity({ value: 1, at: H }, { value: 5, at: H }), null);
    });
    it('when velocity rises from 100/h to 300/h in 2 h, then acceleration is 100/h²', () => {
      assert.equal(acceleration({ value: 100, at: 0 }, { value: 300, at: 2 * H }), 100);
    });
  });

  describe('viral score', () => {
    it('when a video has 3x the median of peers at the same age, then 3 (the median ignores one hit)', () => {
      assert.equal(viralScore(3000, [900, 1000, 1100, 1_000_000]), 3000 / 1050);
      assert.equal(median([5, 1, 3]), 3);
    });
    it('when there is no baseline or views are unknown, then null', () => {
      assert.equal(viralScore(3000, []), null);
      assert.equal(viralScore(null, [1, 2]), null);
      assert.equal(viralScore(10, [0, 0]), null);
    });
  });

  describe('trend score', () => {
    it('when the same speed is spread over more creators, then the score is higher', () => {
      const one = trendScore({ totalVelocity: 10_000, totalAcceleration: 100, creatorCount: 1 });
      const five = trendScore({ totalVelocity: 10_000, totalAcceleration: 100, creatorCount: 5 });
      assert.ok(five > one * 2);
    });
  });
});

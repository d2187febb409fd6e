import assert from 'node:assert/strict';
import {
  alertRuleSpec,
  followerChangeFires,
  isDebounced,
  isMuted,
  normaliseTrendName,
  trendMatches,
  velocityCrosses,
  videoOutlierFires,
} from './alertRules';

describe('alert rules (pure)', () => {
  const now = new Date(Date.UTC(2026, 10, 30, 12));
  const hours = (h: number) => new Date(now.getTime() + h * 3_600_000);

  it('when a rule is given per kind, then its params are validated by that kind (and unknown fields refused)', () => {
    const ok = alertRuleSpec.parse({ kind: 'video_outlier', params: { multiple: 3 } });
    assert.deepEqual(ok, { kind: 'video_outlier', params: { bloggerId: null, multiple: 3, withinHours: 48 } });
    assert.equal(
      alertRuleSpec.safeParse({ kind: 'video_outlier', params: { multiple: 1 } }).success,
      false,
      'a multiple of 1 is no outlier',
    );
    assert.equal(alertRuleSpec.safeParse({ kind: 'video_outlier', params: { multiple: 3, extra: 1 } }).success, false);
    assert.equal(
      alertRuleSpec.safeParse({ kind: 'follower_change', params: { direction: 'gain' } }).success,
      false,
      'needs followers or percent',
    );
    assert.equal(alertRuleSpec.safeParse({ kind: 'velocity_threshold', params: { viewsPerHour: -5 } }).success, false);
    assert.equal(alertRuleSpec.safeParse({ kind: 'no_such_kind', params: {} }).success, false);
    const trend = alertRuleSpec.parse({ kind: 'trend_match', params: { names: [{ kind: 'hashtag', name: ' #CatDance ' }] } });
    assert.deepEqual(trend.params, { names: [{ kind: 'hashtag', name: 'catdance' }] }, 'hashtags are stored as analysis names them');
    for (const name of ['#', ' ## ', '#\t', '# #']) {
      const empty = alertRuleSpec.safeParse({
        kind: 'trend_match',
        params: {
          names: [
            { kind: 'keyword', name: 'ok' },
            { kind: 'hashtag', name },
          ],
        },
      });
      assert.equal(empty.success, false, `${JSON.stringify(name)} names nothing`);
      assert.deepEqual(empty.error?.issues[0]?.path, ['params', 'names', 1, 'name']);
    }
  });

  it('when a video passes N x the median within H hours, then video_outlier fires; later, or below N, it does not', () => {
    const params = { bloggerId: null, multiple: 3, withinHours: 24 };
    assert.equal(videoOutlierFires(params, { viralScore: 3.2, publishedAt: hours(-5), observedAt: now }), true);
    assert.equal(videoOutlierFires(params, { viralScore: 2.9, publishedAt: hours(-5), observedAt: now }), false);
    assert.equal(videoOutlierFires(params, { viralScore: 10, publishedAt: hours(-25), observedAt: now }), false);
    assert.equal(videoOutlierFires(params, { viralScore: null, publishedAt: hours(-1), observedAt: now }), false);
  });

  it('when followers change by N or N % in a day in the watched direction, then follower_change fires', () => {
    assert.deepEqual(followerChangeFires({ bloggerId: null, direction: 'gain', followers: 100 }, { previous: 1000, current: 1150 }), {
      change: 150,
      percent: 15,
    });
    assert.equal(followerChangeFires({ bloggerId: null, direction: 'gain', followers: 100 }, { previous: 1000, current: 850 }), null);
    assert.ok(followerChangeFires({ bloggerId: null, direction: 'loss', percent: 10 }, { previous: 1000, current: 850 }));
    assert.equal(followerChangeFires({ bloggerId: null, direction: 'any', percent: 20 }, { previous: 1000, current: 850 }), null);
    assert.equal(followerChangeFires({ bloggerId: null, direction: 'any', followers: 1 }, { previous: 5, current: 5 }), null);
  });

  it('when a trend appears, then trend_match compares names as analysis stores them', () => {
    const params = {
      names: [
        { kind: 'hashtag' as const, name: 'catdance' },
        { kind: 'sound' as const, name: 'Mus123' },
      ],
    };
    assert.equal(trendMatches(params, { kind: 'hashtag', name: 'CatDance' }), true);
    assert.equal(trendMatches(params, { kind: 'keyword', name: 'catdance' }), false, 'the kind must match too');
    assert.equal(trendMatches(params, { kind: 'sound', name: 'Mus123' }), true);
    assert.equal(normaliseTrendName('sound', ' Mus123 '), 'Mus123', 'a sound id keeps its case');
  });

  it('when a velocity crosses the threshold upwards, then velocity_threshold fires once; staying above does not fire again', () => {
    const params = { viewsPerHour: 1000 };
    assert.equal(velocityCrosses(params, { platform: 'youtube', previousVelocity: 400, velocity: 1200 }), true);
    assert.equal(velocityCrosses(params, { platform: 'youtube', previousVelocity: null, velocity: 1200 }), true);
    assert.equal(velocityCrosses(params, { platform: 'youtube', previousVelocity: 1100, velocity: 1200 }), false);
    assert.equal(velocityCrosses(params, { platform: 'youtube', previousVelocity: 400, velocity: 999 }), false);
    assert.equal(
      velocityCrosses({ viewsPerHour: 1000, platforms: ['tiktok'] }, { platform: 'youtube', previousVelocity: 0, velocity: 5000 }),
      false,
    );
  });

  it('when the previous firing is inside the debounce window, then it is debounced; the window slides from it', () => {
    assert.equal(isDebounced(null, now, 60), false);
    assert.equal(isDebounced(hours(-0.5), now, 60), true);
    assert.equal(isDebounced(hours(-1), now, 60), false, 'exactly one window later fires again');
    assert.equal(isDebounced(hours(-0.01), now, 0), false, '0 minutes: no debounce');
    assert.equal(isMuted(hours(1), now), true);
    assert.equal(isMuted(hours(-1), now), false);
    assert.equal(isMuted(null, now), false);
  });
});

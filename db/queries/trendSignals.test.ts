/**
 * Rising signals on trend_videos rows the test writes in daily windows counted back from a fixed
 * run time (data time): new and growing names first, evergreen ones never, one platform at a time.
 */
import assert from 'node:assert/strict';
import { DEFAULT_BURST_SETTINGS } from '../../lib/domain/trendBurst';
import { resetDb, testAppDb } from '../../test/harness';
import { creators, postVideos } from '../../test/trendFixtures';
import { followCandidates } from './trendSignals';

const DAY = 86_400_000;
const RUN_AT = Date.parse('2026-03-02T12:00:00.000Z');

describe('followCandidates: rising signals and new names (real PostgreSQL)', function () {
  this.timeout(30_000);
  before(async () => {
    await resetDb();
    const post = (window: number, who: readonly string[], more: { hashtags?: string[]; keywords?: string[]; soundId?: string }) =>
      postVideos({ at: RUN_AT, windowMs: DAY, window, creators: who, ...more });
    // A week of 40 creators a day with an evergreen tag, title word and sound.
    for (let window = 0; window <= 6; window++)
      await post(window, creators('bg', 40), { hashtags: ['fyp'], keywords: ['daily'], soundId: 'evergreen-beat' });
    await post(0, creators('wave', 4), { hashtags: ['newwave'], soundId: 'wave-sound' });
    await post(0, creators('kw', 2), { keywords: ['pancakeflip'] });
    await post(0, ['solo'], { hashtags: ['solohit'] });
    // One creator's tag the product also saw a week ago: not new.
    await post(0, ['regular'], { hashtags: ['myownlife'] });
    await post(5, ['regular'], { hashtags: ['myownlife'] });
    for (let window = 1; window <= 6; window++) await post(window, [`lr${window}`], { hashtags: ['growing'] });
    await post(0, creators('lrnow', 5), { hashtags: ['growing'] });
    // Another platform's wave is not YouTube's signal.
    await postVideos({ at: RUN_AT, windowMs: DAY, window: 0, creators: creators('tt', 6), hashtags: ['tiktokonly'], platform: 'tiktok' });
  });
  after(() => resetDb());

  const signals = (limit = 10) =>
    followCandidates(testAppDb(), { at: new Date(RUN_AT), windowMs: DAY, platform: 'youtube', limit }, DEFAULT_BURST_SETTINGS).then(
      (c) => c.rising,
    );

  it('when new and growing names share a week with evergreen ones, then the signals are the new and growing names, strongest first', async () => {
    const found = await signals();
    assert.deepEqual(
      found.map((s) => `${s.kind}:${s.name}`),
      ['hashtag:newwave', 'sound:wave-sound', 'hashtag:growing', 'keyword:pancakeflip'],
      'no evergreen tag, word or sound, no single creator, no other platform',
    );
    for (let i = 1; i < found.length; i++) assert.ok(found[i - 1]!.burstScore >= found[i]!.burstScore, 'strongest evidence first');
    const growing = found.find((s) => s.name === 'growing')!;
    assert.equal(growing.creators, 5);
    assert.ok(growing.baseline > 1 && growing.baseline < 2, `baseline of a tag used once a day: ${growing.baseline}`);
  });

  it('when one creator uses a hashtag never seen before, then it is a new name (not a signal); one seen in the watched week is not', async () => {
    const { rising, newNames } = await followCandidates(
      testAppDb(),
      { at: new Date(RUN_AT), windowMs: DAY, platform: 'youtube', limit: 10 },
      DEFAULT_BURST_SETTINGS,
    );
    assert.deepEqual(
      newNames.map((s) => [s.kind, s.name, s.creators, s.newName, s.recentCreators]),
      [['hashtag', 'solohit', 1, true, ['youtube:solo']]],
    );
    assert.ok(!rising.some((s) => s.newName || s.name === 'solohit'));
  });

  it('when the limit is smaller, then the strongest signals are kept', async () => {
    assert.deepEqual(
      (await signals(2)).map((s) => s.name),
      ['newwave', 'wave-sound'],
    );
  });

  it('when signals need more creators, then a two-creator name is no longer one', async () => {
    const { rising: found } = await followCandidates(
      testAppDb(),
      { at: new Date(RUN_AT), windowMs: DAY, platform: 'youtube', limit: 10 },
      { ...DEFAULT_BURST_SETTINGS, signalMinCreators: 3 },
    );
    assert.ok(!found.some((s) => s.name === 'pancakeflip'));
    assert.ok(found.some((s) => s.name === 'newwave'));
  });
});

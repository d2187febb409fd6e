import assert from 'node:assert/strict';
import { loadConfig } from '../config';
import { burstInput, burstOf, DEFAULT_BURST_SETTINGS, explainAway, poissonTail, type BurstSettings } from './trendBurst';
import { trendSettings } from './trendSettings';

const settings: BurstSettings = { minCreators: 3, burstThreshold: 2, burstRatio: 2, signalMinCreators: 2, burstChance: 0.002 };
/** Six trailing windows of `volume` known creators each, the name used by `history` of them. */
const steady = (creators: number, history: number[], volume = 100) =>
  burstOf({ creators, history, volume, historyVolume: history.map(() => volume) }, settings);

describe('trend burst test', () => {
  it('when an evergreen name holds 20 of 100 creators in every window, then it never qualifies, even up 25 %, nor is a signal', () => {
    for (const creators of [20, 22, 25]) {
      const burst = steady(creators, [20, 21, 19, 20, 22, 18]);
      assert.ok(Math.abs(burst.baseline - 20) < 0.5, `baseline ${burst.baseline}`);
      assert.deepEqual([burst.qualifies, burst.candidate], [false, false], `at ${creators} creators`);
    }
  });

  it('when a name never seen in a known history has 3 creators, then it qualifies; 2 only make a signal; 1 nothing', () => {
    const three = steady(3, [0, 0, 0, 0, 0, 0], 20);
    assert.ok(three.baseline < 0.2 && three.burstScore > 2.5, JSON.stringify(three));
    assert.deepEqual([three.qualifies, three.candidate, three.knownWindows], [true, true, 6]);
    const two = steady(2, [0, 0, 0, 0, 0, 0], 20);
    assert.deepEqual([two.qualifies, two.candidate], [false, true]);
    const one = steady(1, [0, 0, 0, 0, 0, 0], 20);
    assert.deepEqual([one.qualifies, one.candidate], [false, false]);
  });

  it('when a low-rate name jumps seven-fold, then it qualifies; five-fold is within its luck; a rise by half is nothing', () => {
    assert.equal(steady(7, [1, 1, 0, 2, 1, 1], 20).qualifies, true);
    const five = steady(5, [1, 1, 0, 2, 1, 1], 20);
    assert.ok(five.burstScore >= 2, 'the z-score alone would call it a burst');
    assert.equal(five.qualifies, false, 'but 5 creators where 1 or 2 are usual happen by chance (Poisson tail above burstChance)');
    assert.equal(steady(3, [2, 2, 1, 2, 3, 2], 20).qualifies, false);
  });

  it('when a niche word used by one or two creators a day reaches 4, then it is no signal (chance is √burstChance or less); a new name at 2 is', () => {
    const niche = steady(4, [1, 2, 1, 2, 1, 2], 20);
    assert.ok(niche.burstScore >= 1 && 4 >= 1.5 * niche.baseline, 'it clears half of the z and ratio bars');
    assert.ok(poissonTail(4, niche.baseline) > Math.sqrt(settings.burstChance));
    assert.equal(niche.candidate, false, 'following it would bring a full page of an everyday word');
    assert.equal(steady(2, [0, 0, 0, 0, 0, 0], 20).candidate, true);
  });

  it('when a follow brought an everyday word in full, then its share of the thin recent window bursts but its counts do not, so it is no trend', () => {
    // A complete page: 11 creators in the recent window (40 known) against 4–8 a day before (60–76 known).
    const input = { creators: 11, history: [4, 4, 4, 8, 6, 7], volume: 40, historyVolume: [65, 58, 61, 67, 63, 76] };
    const shareBaseline = (40 * (33 + 1)) / (390 + 1);
    assert.ok(11 >= 3 * shareBaseline && poissonTail(11, shareBaseline) < 0.001, 'read as shares alone it would be a trend');
    const burst = burstOf(input, settings);
    assert.equal(burst.qualifies, false);
    assert.ok(Math.abs(burst.baseline - 34 / 7) < 1e-9, `the counts' baseline is reported: ${burst.baseline}`);
    assert.equal(steady(3, [0, 0, 0, 0, 0, 0], 20).qualifies, true, 'a new name still qualifies on both readings');
  });

  it('when the Poisson tail is asked, then it matches the exact sums and the normal approximation for big means', () => {
    assert.ok(Math.abs(poissonTail(3, 0.5) - (1 - Math.exp(-0.5) * (1 + 0.5 + 0.125))) < 1e-12);
    assert.equal(poissonTail(0, 3), 1);
    assert.equal(poissonTail(2, 0), 0);
    assert.ok(Math.abs(poissonTail(1000, 1000) - 0.5) < 0.02);
    assert.ok(poissonTail(1200, 1000) < 1e-9);
  });

  it('when a wave plateaus after its rise (its rise now in its own history), then it no longer bursts anew but a live trend sustains', () => {
    const plateau = burstOf({ creators: 6, history: [6, 3, 0, 0, 0, 0], volume: 46, historyVolume: [46, 43, 40, 40, 40, 40] }, settings);
    assert.deepEqual([plateau.qualifies, plateau.sustains, plateau.candidate], [false, true, true]);
    const fallen = burstOf({ creators: 3, history: [6, 6, 3, 0, 0, 0], volume: 43, historyVolume: [46, 46, 43, 40, 40, 40] }, settings);
    assert.equal(fallen.sustains, false);
  });

  it('when the product has no history yet (every trailing window unknown), then nothing can burst', () => {
    const burst = burstOf({ creators: 30, history: [0, 0, 0], volume: 40, historyVolume: [0, 0, 0] }, settings);
    assert.deepEqual(
      [burst.baseline, burst.knownWindows, burst.previousWindow, burst.qualifies, burst.sustains, burst.candidate],
      [40, 0, null, false, false, false],
    );
  });

  it('when discovery samples twice as many creators as before, then a name keeping its share stays at its baseline', () => {
    const burst = burstOf({ creators: 20, history: [10, 10, 10, 10], volume: 200, historyVolume: [100, 100, 100, 100] }, settings);
    assert.ok(Math.abs(burst.baseline - 20) < 0.5);
    assert.equal(burst.previousWindow, 20);
    assert.equal(burst.qualifies, false);
  });

  it('when a name swings widely between windows, then the same jump scores lower than for a steady one', () => {
    assert.ok(steady(12, [0, 8, 0, 8, 0, 8], 50).burstScore < steady(12, [4, 4, 4, 4, 4, 4], 50).burstScore);
  });

  it('when counts come per platform, then creators add up across platforms and the volume is that of the name’s platforms only', () => {
    const volumes = new Map([
      ['youtube', [50, 40, 0]],
      ['tiktok', [30, 30, 30]],
      ['instagram', [999, 999, 999]],
    ]);
    const input = burstInput(
      [
        [0, 'youtube', 2],
        [0, 'tiktok', 1],
        [2, 'tiktok', 1],
      ],
      volumes,
      2,
    );
    assert.deepEqual(input, { creators: 3, history: [0, 1], volume: 80, historyVolume: [70, 30] });
  });

  it('when nothing is configured, then the settings are the burst defaults', () => {
    const settings = trendSettings(loadConfig({}));
    for (const [key, value] of Object.entries(DEFAULT_BURST_SETTINGS)) assert.equal(settings[key as keyof typeof settings], value, key);
  });

  it('when two names rise on the same videos, then the stronger is kept and the other is explained away; a name that rises on its own stays', () => {
    const settings = DEFAULT_BURST_SETTINGS;
    const steady = { history: [5, 5, 5, 5, 5, 5], volume: 100, historyVolume: [100, 100, 100, 100, 100, 100] };
    const tested = (key: string, creators: number, history = steady.history) => {
      const input = { ...steady, history, creators };
      return { key, input, burst: burstOf(input, settings) };
    };
    const wave = tested('hashtag:liftoff', 8, [0, 0, 0, 0, 0, 0]);
    const word = tested('keyword:workout', 16);
    const other = tested('hashtag:solo', 6, [0, 0, 0, 0, 0, 0]);
    assert.ok(word.burst.qualifies, 'on its own count, the word would burst');
    const recent = [
      ...Array.from({ length: 8 }, (_, i) => ({ creator: `lift${i}`, keys: new Set(['hashtag:liftoff', 'keyword:workout']) })),
      ...Array.from({ length: 8 }, (_, i) => ({ creator: `w${i}`, keys: new Set(['keyword:workout']) })),
      ...Array.from({ length: 6 }, (_, i) => ({ creator: `o${i}`, keys: new Set(['hashtag:solo']) })),
    ];
    const out = explainAway([word, wave, other], recent, settings);
    assert.equal(out.get('hashtag:liftoff')?.qualifies, true);
    assert.equal(out.get('keyword:workout')?.qualifies, false, 'its rise is the wave’s');
    assert.equal(out.get('hashtag:solo')?.qualifies, true, 'no stronger name explains it');
  });
});

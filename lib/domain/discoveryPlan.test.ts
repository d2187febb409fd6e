import assert from 'node:assert/strict';
import {
  FRUITLESS_FACTOR,
  followBudget,
  followKey,
  planFollows,
  runsLeftToday,
  type FollowRecord,
  type SignalCandidate,
} from './discoveryPlan';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 4, 10, 12);
const signal = (name: string, creators: number, burstScore: number): SignalCandidate => ({ kind: 'hashtag', name, creators, burstScore });
const plan = (candidates: SignalCandidate[], followed: [string, FollowRecord][] = [], budget = 10) =>
  planFollows({ candidates, followed: new Map(followed), budget, now: NOW, cooldownMs: 12 * HOUR });

describe('discovery plan: which rising signals a run follows', () => {
  it('when nothing was followed before, then the strongest evidence goes first and the budget cuts the rest', () => {
    const result = plan([signal('weak', 3, 1), signal('strong', 5, 9), signal('middle', 4, 4)], [], 2);
    assert.deepEqual(
      result.follow.map((f) => f.name),
      ['strong', 'middle'],
    );
    assert.equal(result.skipped, 1);
    assert.match(result.follow[0]!.reason, /^new signal: 5 creators, burst 9$/);
  });

  it('when a signal was followed recently and found nothing new, then it waits behind weaker ones', () => {
    const result = plan(
      [signal('stale', 4, 8), signal('fresh', 3, 3)],
      [[followKey(signal('stale', 4, 8)), { at: NOW - 2 * HOUR, creators: 4, inserted: 0 }]],
    );
    assert.deepEqual(
      result.follow.map((f) => f.name),
      ['fresh', 'stale'],
    );
    assert.equal(result.follow[1]!.priority, 8 * FRUITLESS_FACTOR);
    assert.match(result.follow[1]!.reason, /followed 2 h ago with nothing new/);
  });

  it('when the evidence of a followed signal grew, then it goes before an equally strong new one (the quota goes where evidence grows)', () => {
    const result = plan(
      [signal('new', 6, 5), signal('growing', 6, 5)],
      [[followKey(signal('growing', 6, 5)), { at: NOW - HOUR, creators: 3, inserted: 0 }]],
      1,
    );
    assert.deepEqual(
      result.follow.map((f) => [f.name, f.priority]),
      [['growing', 10]],
    );
    assert.match(result.follow[0]!.reason, /evidence grew since followed 1 h ago: 3 → 6 creators/);
  });

  it('when the cooldown has passed, then a fruitless follow counts fully again; a recent fruitful one counts less than new evidence', () => {
    const result = plan(
      [signal('longago', 3, 4), signal('fruitful', 3, 4), signal('new', 3, 3.5)],
      [
        [followKey(signal('longago', 3, 4)), { at: NOW - 13 * HOUR, creators: 3, inserted: 0 }],
        [followKey(signal('fruitful', 3, 4)), { at: NOW - HOUR, creators: 3, inserted: 7 }],
      ],
    );
    assert.deepEqual(
      result.follow.map((f) => [f.name, f.priority]),
      [
        ['longago', 4],
        ['new', 3.5],
        ['fruitful', 3],
      ],
    );
  });

  it('when a reported trend and a name not yet a trend compete, then the one a query can still decide goes first', () => {
    const result = plan([{ ...signal('known', 12, 9), trend: true }, signal('maybe', 2, 1.7)], [], 1);
    assert.deepEqual(
      result.follow.map((f) => f.name),
      ['maybe'],
    );
    assert.equal(result.skipped, 1);
  });

  it("when a candidate's recent creators all use a name chosen already, then it is that name's companion and takes only the budget left", () => {
    const wave = { ...signal('wave', 3, 5), recentCreators: ['a', 'b', 'c'] };
    const waveWord = { ...signal('waveword', 3, 5), kind: 'keyword', recentCreators: ['a', 'b', 'c'] };
    const other = { ...signal('other', 2, 1.5), recentCreators: ['a', 'z'] };
    const tight = plan([wave, waveWord, other], [], 2);
    assert.deepEqual(tight.follow.map(followKey), ['hashtag:wave', 'hashtag:other'], 'a creator of its own (z) makes a name no companion');
    assert.equal(tight.skipped, 1);
    const roomy = plan([wave, waveWord, other], [], 5);
    assert.deepEqual(roomy.follow.map(followKey), ['hashtag:wave', 'hashtag:other', 'keyword:waveword']);
    assert.match(roomy.follow[2]!.reason, /its creators all use hashtag:wave \(a companion: served last\)$/);
    assert.ok(!('recentCreators' in roomy.follow[0]!), 'the plan reports names and reasons, not creator lists');
  });

  it('when new names (one creator, never seen) compete with rising signals, then they take only the budget left, each once', () => {
    const fresh = (name: string) => ({ ...signal(name, 1, 0.8), newName: true });
    const result = plan([fresh('mynew'), { ...signal('known', 9, 6), trend: true }, signal('rising', 2, 1.6), fresh('other')], [], 3);
    assert.deepEqual(
      result.follow.map((f) => f.name),
      ['rising', 'known', 'mynew'],
    );
    assert.equal(result.follow[2]!.reason, 'new name: one creator, never seen before');
    const later = plan([fresh('mynew'), fresh('other')], [[followKey(fresh('mynew')), { at: NOW - 8 * HOUR, creators: 1, inserted: 3 }]]);
    assert.deepEqual(
      later.follow.map((f) => f.name),
      ['other'],
      'a new name followed once is not followed again',
    );
  });

  it('when the budget is zero, then nothing is followed and every candidate is skipped', () => {
    assert.deepEqual(plan([signal('a', 3, 1)], [], 0), { follow: [], skipped: 1 });
  });
});

describe('discovery plan: the budget', () => {
  const day = { limit: 100, remaining: 60, resetAt: NOW + 12 * HOUR };

  it('when a platform has no daily search bucket, then a run takes the per-run cap', () => {
    assert.deepEqual(followBudget({ perRunCap: 10 }), { queries: 10, basis: '10 targeted queries per run' });
  });

  it('when runs are due every 4 h and the reset is 12 h away, then 3 runs are left (this one included); never fewer than 1', () => {
    assert.equal(runsLeftToday({ now: NOW, resetAt: NOW + 12 * HOUR, runIntervalMs: 4 * HOUR }), 3);
    assert.equal(runsLeftToday({ now: NOW, resetAt: NOW + 13 * HOUR, runIntervalMs: 4 * HOUR }), 4);
    assert.equal(runsLeftToday({ now: NOW, resetAt: NOW + 1000, runIntervalMs: 4 * HOUR }), 1);
  });

  it("when a scheduled run plans, then it spreads what is left after the manual share's unspent part over the runs left", () => {
    // 60 left; manual share 20 % of 100 = 20, of which 5 spent → 15 held; 45 over 3 runs.
    const budget = followBudget({
      perRunCap: 10,
      bucket: day,
      now: NOW,
      runIntervalMs: 4 * HOUR,
      manualShare: 0.2,
      manualUsed: 5,
      manual: false,
    });
    assert.equal(budget.queries, 15);
    assert.equal(budget.basis, '60 searches left today, 15 held for manual runs, over 3 runs left');
  });

  it('when the last run of the day plans, then it may spend everything not held for manual runs', () => {
    const last = { ...day, remaining: 30, resetAt: NOW + HOUR };
    assert.equal(
      followBudget({ perRunCap: 10, bucket: last, now: NOW, runIntervalMs: 4 * HOUR, manualShare: 0.2, manualUsed: 20, manual: false })
        .queries,
      30,
    );
  });

  it('when a manual run plans, then it spends only from the manual share left, at most the per-run cap', () => {
    const manual = (manualUsed: number, perRunCap: number) =>
      followBudget({ perRunCap, bucket: day, now: NOW, runIntervalMs: 4 * HOUR, manualShare: 0.2, manualUsed, manual: true }).queries;
    assert.equal(manual(5, 10), 10);
    assert.equal(manual(15, 10), 5);
    assert.equal(manual(20, 10), 0);
  });

  it('when the bucket is nearly spent, then a scheduled run gets nothing rather than eating the manual reserve', () => {
    const low = { ...day, remaining: 10 };
    assert.equal(
      followBudget({ perRunCap: 10, bucket: low, now: NOW, runIntervalMs: 4 * HOUR, manualShare: 0.2, manualUsed: 5, manual: false })
        .queries,
      0,
    );
  });
});

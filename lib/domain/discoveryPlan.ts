/**
 * Which rising signals (hashtags, sounds, keywords a few creators have just started to use) one
 * discovery run follows with a targeted query, within the quota it may spend (issue 12). Pure:
 * the activity reads the signals, the quota and the memory of earlier follows, and asks here.
 *
 * - Budget: a platform with a scarce daily search bucket (YouTube's 100 search.list calls) spreads
 *   what is left today over the discovery runs left before the reset, after holding back what
 *   manual (user-triggered) runs may still spend; a manual run spends only from that share. Other
 *   platforms take a fixed number of queries per run.
 * - Priority: strongest evidence first (the burst score), and the quota goes where evidence grows:
 *   a signal whose creators grew since it was last followed comes before an equally strong new one,
 *   and one followed recently that found nothing new waits behind the others until its evidence
 *   grows or the cooldown passes.
 * - Confirming before tracking: a name that is not a trend yet, where one query can decide whether
 *   it becomes one (the lead time), goes before a trend already reported, whose follow only keeps
 *   its counts complete, and before a name just followed to no new creators (bench:trend-quality
 *   found the quota going to reported waves while a new one waited a day).
 * - New names last: a hashtag one creator has just used for the first time is how every wave
 *   starts, and most are nothing (a creator's own tag); what budget the rising signals leave goes
 *   to them, newest first, each followed once.
 * - One query per wave and run: a candidate whose recent creators all carry a name already chosen
 *   this run (a wave's keyword, sound or niche word beside its hashtag) is that name's companion;
 *   it waits until the others are served and takes what budget is left.
 */

export interface SignalCandidate<K extends string = string> {
  kind: K;
  name: string;
  /** Distinct creators in the recent window. */
  creators: number;
  /** How far above its own baseline the recent window is (higher = stronger evidence). */
  burstScore: number;
  /** Already reported as a trend (its follow tracks it rather than decides it). */
  trend?: boolean;
  /** One creator's name never seen before: served after every rising signal, and only once. */
  newName?: boolean;
  /** Who uses it in the recent window (any stable creator key): companions are told by these. */
  recentCreators?: readonly string[];
}

/** What the last targeted query for a signal saw. */
export interface FollowRecord {
  /** When it ran (data time, ms). */
  at: number;
  /** The signal's creators when it was followed. */
  creators: number;
  /** New videos that query recorded. */
  inserted: number;
}

export interface PlannedFollow<K extends string = string> extends SignalCandidate<K> {
  priority: number;
  /** Why it was chosen, in words for the discovery result. */
  reason: string;
}

export interface FollowPlan<K extends string = string> {
  follow: PlannedFollow<K>[];
  /** Candidates left for a later run (over budget). */
  skipped: number;
}

/** A recent follow that found nothing new counts this much of its evidence until the cooldown passes. */
export const FRUITLESS_FACTOR = 0.25;
/** A recent follow that found videos, with no new creators since, counts this much. */
export const FOLLOWED_FACTOR = 0.75;

export const followKey = (signal: { kind: string; name: string }): string => `${signal.kind}:${signal.name}`;

const HOUR_MS = 3_600_000;
const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * One candidate's priority and the reason, given its last follow (if any). `waiting`: followed
 * recently with no new creators since, so another query now is unlikely to change its verdict.
 */
export function followPriority(
  candidate: SignalCandidate,
  last: FollowRecord | undefined,
  { now, cooldownMs }: { now: number; cooldownMs: number },
): { priority: number; reason: string; waiting: boolean } {
  const evidence = `${candidate.creators} creators, burst ${round(candidate.burstScore)}`;
  if (!last && candidate.newName)
    return { priority: candidate.burstScore, reason: 'new name: one creator, never seen before', waiting: false };
  if (!last) return { priority: candidate.burstScore, reason: `new signal: ${evidence}`, waiting: false };
  const ago = `${round((now - last.at) / HOUR_MS)} h ago`;
  if (candidate.creators > last.creators) {
    const growth = (candidate.creators - last.creators) / Math.max(1, last.creators);
    return {
      priority: candidate.burstScore * (1 + growth),
      reason: `evidence grew since followed ${ago}: ${last.creators} → ${candidate.creators} creators, burst ${round(candidate.burstScore)}`,
      waiting: false,
    };
  }
  if (now - last.at >= cooldownMs)
    return { priority: candidate.burstScore, reason: `followed ${ago}, due again: ${evidence}`, waiting: false };
  if (last.inserted === 0)
    return {
      priority: candidate.burstScore * FRUITLESS_FACTOR,
      reason: `followed ${ago} with nothing new, no new creators: ${evidence}`,
      waiting: true,
    };
  return {
    priority: candidate.burstScore * FOLLOWED_FACTOR,
    reason: `followed ${ago} (${last.inserted} new), no new creators since: ${evidence}`,
    waiting: true,
  };
}

/**
 * The candidates this run follows, at most `budget`: names not yet a trend before trends, each
 * group by priority; companions of a name already chosen wait for what budget is left.
 */
export function planFollows<K extends string>({
  candidates,
  followed,
  budget,
  now,
  cooldownMs,
}: {
  candidates: SignalCandidate<K>[];
  /** Last follow per signal, by followKey. */
  followed: ReadonlyMap<string, FollowRecord>;
  budget: number;
  now: number;
  cooldownMs: number;
}): FollowPlan<K> {
  // Tier 0: a name a query can still decide (not a trend, not just followed to no avail); 1: the
  // rest of the rising signals; 2: new names (a long shot each).
  const tier = (c: { trend?: boolean; waiting: boolean; newName?: boolean }) => (c.newName ? 2 : c.trend || c.waiting ? 1 : 0);
  const ranked = candidates
    // A new name followed once already is known: if it had grown it would be a rising signal.
    .filter((c) => !(c.newName && followed.has(followKey(c))))
    .map((c) => ({ ...c, ...followPriority(c, followed.get(followKey(c)), { now, cooldownMs }) }))
    .sort((a, b) => tier(a) - tier(b) || b.priority - a.priority || b.creators - a.creators || followKey(a).localeCompare(followKey(b)));
  const take = Math.max(0, Math.floor(budget));
  const chosen: { follow: PlannedFollow<K>; creators: ReadonlySet<string> }[] = [];
  const companions: PlannedFollow<K>[] = [];
  const covered = new Set<string>();
  for (const { recentCreators = [], trend: _trend, waiting: _waiting, newName: _newName, ...follow } of ranked) {
    if (chosen.length >= take) break;
    if (recentCreators.length > 0 && recentCreators.every((c) => covered.has(c))) {
      const leader = chosen.find((c) => recentCreators.some((creator) => c.creators.has(creator)))!.follow;
      companions.push({ ...follow, reason: `${follow.reason}; its creators all use ${followKey(leader)} (a companion: served last)` });
      continue;
    }
    for (const c of recentCreators) covered.add(c);
    chosen.push({ follow, creators: new Set(recentCreators) });
  }
  const follow = [...chosen.map((c) => c.follow), ...companions].slice(0, take);
  return { follow, skipped: Math.max(0, ranked.length - follow.length) };
}

/** A daily bucket's state as the quota ledger reports it. */
export interface DailyBucketState {
  limit: number;
  remaining: number;
  /** When it resets (ms). */
  resetAt: number;
}

export interface FollowBudget {
  queries: number;
  /** How the number came about, for the discovery result. */
  basis: string;
}

/** Discovery runs left before the reset, this one included (at least 1). */
export function runsLeftToday({ now, resetAt, runIntervalMs }: { now: number; resetAt: number; runIntervalMs: number }): number {
  return Math.max(1, Math.ceil((resetAt - now) / Math.max(1, runIntervalMs)));
}

/**
 * Queries this run may make. With a daily search bucket: a scheduled run takes an even part of
 * what is left after the manual share still unspent, over the runs left today; a manual run takes
 * from the manual share only, at most `perRunCap`. Without one: `perRunCap`.
 */
export function followBudget(
  input:
    | { perRunCap: number }
    | {
        perRunCap: number;
        bucket: DailyBucketState;
        now: number;
        runIntervalMs: number;
        manualShare: number;
        /** What manual runs spent of the bucket today. */
        manualUsed: number;
        manual: boolean;
      },
): FollowBudget {
  if (!('bucket' in input)) return { queries: Math.max(0, input.perRunCap), basis: `${input.perRunCap} targeted queries per run` };
  const { bucket, perRunCap, manualShare, manualUsed } = input;
  const manualLeft = Math.max(0, Math.floor(bucket.limit * manualShare) - manualUsed);
  if (input.manual) {
    const queries = Math.max(0, Math.min(manualLeft, bucket.remaining, perRunCap));
    return { queries, basis: `manual run: ${manualLeft} of the manual share left today, at most ${perRunCap} per run` };
  }
  const runs = runsLeftToday({ now: input.now, resetAt: bucket.resetAt, runIntervalMs: input.runIntervalMs });
  const spendable = Math.max(0, bucket.remaining - manualLeft);
  return {
    queries: Math.floor(spendable / runs),
    basis: `${bucket.remaining} searches left today, ${manualLeft} held for manual runs, over ${runs} runs left`,
  };
}

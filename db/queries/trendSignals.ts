/**
 * Rising signals: hashtags, sounds and keywords that a few creators have started to use, more
 * than their own history leads one to expect, and that discovery should follow with targeted
 * queries (issue 12). The same evidence and burst test as trend analysis (detectedTrends.ts,
 * lib/domain/trendBurst.ts) with a lower bar: a name is a signal from `signalMinCreators`
 * creators once it clears half the trend bar, so an evergreen name never is one, a new or growing
 * one is, and a name that qualifies as a trend stays one (discovery keeps following it).
 *
 * And new names: hashtags one creator has just used that the product never saw in the windows it
 * watched (nor in the recent one by anybody else). Most are a creator's own tag, but every wave
 * starts as one, and only a targeted query tells which (it brings the wave's other creators, or
 * the one creator alone). Before the product watched any window every name is new: none then.
 */
import type { Knex } from 'knex';
import type { BurstSettings } from '../../lib/domain/trendBurst';
import type { PlatformName, SignalKind } from '../../platforms/types';
import { trendEvidence, type TrendGroup } from './detectedTrends';

export interface RisingSignal {
  kind: SignalKind;
  name: string;
  /** Distinct creators in the recent window. */
  creators: number;
  /** Distinct creators per window the name's trailing history leads one to expect. */
  baseline: number;
  /** How far above its baseline the recent window is (higher = stronger evidence). */
  burstScore: number;
  /** It qualifies as a trend already (a follow tracks it rather than decides it). */
  trend: boolean;
  /** Its creators in the recent window (`platform:creator`): a wave's companions share them. */
  recentCreators: string[];
  /** One creator's name never seen before (newNames): followed only with the budget left. */
  newName?: boolean;
}

const SIGNAL_KINDS: readonly SignalKind[] = ['hashtag', 'sound', 'keyword'];

export interface FollowCandidates {
  /** Strongest evidence first: burst score, then creators, then name (a stable order). */
  rising: RisingSignal[];
  /** Newest first (the name's first video), then name. */
  newNames: RisingSignal[];
}

const toSignal = (e: TrendGroup, extra: Partial<RisingSignal> = {}): RisingSignal => ({
  kind: e.kind as SignalKind,
  name: e.name,
  creators: e.creatorCount,
  baseline: e.burst.baseline,
  burstScore: e.burst.burstScore,
  trend: e.burst.qualifies,
  recentCreators: e.recentCreators ?? [],
  ...extra,
});

/**
 * What discovery may follow on one platform at `at` (data time), at most `limit` of each list,
 * from one reading of the evidence. `windowMs` is the analysis window; the baseline is
 * `tuning.baselineWindows` trailing windows.
 */
export async function followCandidates(
  db: Knex,
  { at, windowMs, platform, limit }: { at: Date; windowMs: number; platform: PlatformName; limit: number },
  tuning: BurstSettings & { baselineWindows: number },
): Promise<FollowCandidates> {
  const evidence = await trendEvidence(
    db,
    { at, windowMs, windows: tuning.baselineWindows, minCreators: 1, kinds: SIGNAL_KINDS, platform, recentCreators: true },
    tuning,
  );
  const rising = evidence
    .filter((e) => e.burst.candidate)
    .map((e) => toSignal(e))
    .sort((a, b) => b.burstScore - a.burstScore || b.creators - a.creators || a.name.localeCompare(b.name))
    .slice(0, limit);
  const newNames = evidence
    .filter((e) => e.kind === 'hashtag' && e.creatorCount === 1 && e.historyCreators === 0 && e.burst.knownWindows > 0)
    .sort((a, b) => (b.firstSeenAt?.getTime() ?? 0) - (a.firstSeenAt?.getTime() ?? 0) || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((e) => toSignal(e, { trend: false, newName: true }));
  return { rising, newNames };
}

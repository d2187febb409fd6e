/**
 * Rising signals: hashtags, sounds and keywords that a few creators have started to use, more
 * than their own history leads one to expect, and that discovery should follow with targeted
 * queries (issue 12). The same evidence and burst test as trend analysis (detectedTrends.ts,
 * lib/domain/trendBurst.ts) with a lower bar: a name is a signal from `signalMinCreators`
 * creators once it clears half the trend bar, so an evergreen name never is one, a new or growing
 * one is, and a name that qualifies as a trend stays one (discovery keeps following it).
 */
import type { Knex } from 'knex';
import type { BurstSettings } from '../../lib/domain/trendBurst';
import type { PlatformName, SignalKind } from '../../platforms/types';
import { trendEvidence } from './detectedTrends';

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
}

const SIGNAL_KINDS: readonly SignalKind[] = ['hashtag', 'sound', 'keyword'];

/**
 * The signals most worth a targeted query on one platform at `at` (data time), strongest
 * evidence first: burst score, then creators, then name (a stable order for equal evidence).
 * `windowMs` is the analysis window; the baseline is `tuning.baselineWindows` trailing windows.
 */
export async function risingSignals(
  db: Knex,
  { at, windowMs, platform, limit }: { at: Date; windowMs: number; platform: PlatformName; limit: number },
  tuning: BurstSettings & { baselineWindows: number },
): Promise<RisingSignal[]> {
  const evidence = await trendEvidence(
    db,
    {
      at,
      windowMs,
      windows: tuning.baselineWindows,
      minCreators: Math.min(tuning.signalMinCreators, tuning.minCreators),
      kinds: SIGNAL_KINDS,
      platform,
      recentCreators: true,
    },
    tuning,
  );
  return evidence
    .filter((e) => e.burst.candidate)
    .map((e) => ({
      kind: e.kind as SignalKind,
      name: e.name,
      creators: e.creatorCount,
      baseline: e.burst.baseline,
      burstScore: e.burst.burstScore,
      trend: e.burst.qualifies,
      recentCreators: e.recentCreators ?? [],
    }))
    .sort((a, b) => b.burstScore - a.burstScore || b.creators - a.creators || a.name.localeCompare(b.name))
    .slice(0, limit);
}

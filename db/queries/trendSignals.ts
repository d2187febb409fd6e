/**
 * Rising signals: hashtags, sounds and keywords that a few creators have started to use and that
 * discovery should follow with targeted queries (issue 12). PLACEHOLDER body: the detection work
 * replaces it with the baseline-aware version (burst score against each name's own history).
 */
import type { Knex } from 'knex';
import type { PlatformName, SignalKind } from '../../platforms/types';

export interface RisingSignal {
  kind: SignalKind;
  name: string;
  /** Distinct creators in the recent window. */
  creators: number;
  /** Distinct creators per window the name's trailing history leads one to expect. */
  baseline: number;
  /** How far above its baseline the recent window is (higher = stronger evidence). */
  burstScore: number;
}

/** The signals most worth a targeted query on one platform at `at`, strongest evidence first. */
export async function risingSignals(
  db: Knex,
  { at, windowMs, platform, limit }: { at: Date; windowMs: number; platform: PlatformName; limit: number },
): Promise<RisingSignal[]> {
  const { rows } = await db.raw<{ rows: { kind: SignalKind; name: string; creators: number }[] }>(
    `select kind, name, count(distinct creator_id)::int as creators from (
       select 'hashtag' as kind, unnest(hashtags) as name, creator_id from trend_videos
        where platform = :platform and published_at > :since and published_at <= :at
       union all select 'sound', sound_id, creator_id from trend_videos
        where platform = :platform and sound_id is not null and published_at > :since and published_at <= :at
     ) s group by kind, name having count(distinct creator_id) >= 2 order by creators desc, name limit :limit`,
    { platform, since: new Date(at.getTime() - windowMs), at, limit },
  );
  return rows.map((r) => ({ ...r, baseline: 0, burstScore: r.creators }));
}

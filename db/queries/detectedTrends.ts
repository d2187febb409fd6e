/**
 * Questions for trend analysis: each name's evidence against its own history (in SQL, one pass
 * over trend_videos by publish time), the trends known so far, and one run's word on them
 * written set-based (one upsert of the trends, one insert of their points).
 */
import type { Knex } from 'knex';
import { burstInput, burstOf, explainAway, type Burst, type BurstSettings, type PlatformWindowCount } from '../../lib/domain/trendBurst';
import { PLATFORM_NAMES } from '../../lib/domain/platforms';
import type { TrendLifecycleStatus } from '../../lib/domain/trendLifecycle';
import { DetectedTrend, type TrendKind } from '../models';

/** One name's evidence at a run: the recent window's figures and the burst test against its history. */
export interface TrendGroup {
  kind: TrendKind;
  name: string;
  /** Platforms it is used on in the recent window. */
  platforms: string[];
  videoCount: number;
  creatorCount: number;
  totalVelocity: number;
  totalAcceleration: number;
  /** Earliest publish time of a video carrying the name, within the windows looked at. */
  firstSeenAt: Date | null;
  /** Creators in its trailing windows the product watched (0: a name it never saw before). */
  historyCreators: number;
  burst: Burst;
  /** Who uses it in the recent window (`platform:creator`), when the query asked (`recentCreators`). */
  recentCreators?: string[];
}

export interface EvidenceQuery {
  /** The run's data time: the recent window ends here. */
  at: Date;
  /** Length of the recent window and of each trailing window. */
  windowMs: number;
  /** Trailing windows that make the baseline. */
  windows: number;
  /** Names with fewer distinct creators in the recent window are left out (known live trends are not). */
  minCreators: number;
  kinds?: readonly TrendKind[];
  platform?: string;
  /** Also every known trend that has not ended, whatever its count (analysis: so it can fade). */
  includeKnown?: boolean;
  /**
   * Test rising names again without the videos of stronger trends (explainAway): what analysis
   * reports. Discovery's signals keep companions: a wave's sound may lead to videos its tag misses.
   */
  explainAway?: boolean;
  /** Also list each name's creators of the recent window (discovery tells a wave's companions by them). */
  recentCreators?: boolean;
}

interface NameWindowsRow {
  kind: TrendKind;
  name: string;
  videoCount: number;
  totalVelocity: number;
  totalAcceleration: number;
  firstSeenAt: Date | null;
  counts: PlatformWindowCount[];
}

// The videos published in the recent window and the trailing ones, each with its window number
// (0 = recent). Every row counts, live or archived (archived videos are the names' history), but
// for the full pages of dense follows (trend_videos.evidence).
const IN_WINDOWS = `
  select platform::text as platform, platform || ':' || creator_id as creator, hashtags, topics, sound_id, format, keywords,
         coalesce(velocity, 0) as velocity, coalesce(acceleration, 0) as acceleration, published_at,
         floor(extract(epoch from (:at::timestamptz - published_at)) * 1000 / :windowMs)::int as win
  from trend_videos
  where published_at > :from and published_at <= :at and evidence and (:platform::text is null or platform::text = :platform)`;

// Raw results are not passed through the camelCase mappers: the aliases are quoted camelCase.
// Each video's names are unnested once; the recent window picks the names worth a look, and only
// their rows are counted per window and platform.
const NAME_WINDOWS_SQL = `
  with v as materialized (${IN_WINDOWS}),
  keyed as materialized (
    select 'hashtag' as kind, unnest(hashtags) as name, platform, creator, win, velocity, acceleration, published_at from v
    union all select 'topic', unnest(topics), platform, creator, win, velocity, acceleration, published_at from v
    union all select 'sound', sound_id, platform, creator, win, velocity, acceleration, published_at from v where sound_id is not null
    union all select 'format', format, platform, creator, win, velocity, acceleration, published_at from v where format is not null
    union all select 'keyword', unnest(keywords), platform, creator, win, velocity, acceleration, published_at from v
  ),
  wanted as (
    select kind, name from keyed where win = 0 and kind = any(:kinds::text[])
     group by kind, name having count(distinct creator) >= :minCreators
    union
    select kind, name from detected_trends where :includeKnown and status <> :ended and kind = any(:kinds::text[])
  ),
  counted as (
    select k.kind, k.name, k.win, k.platform, count(distinct k.creator)::int as creators, count(*)::int as videos,
           sum(k.velocity) as velocity, sum(k.acceleration) as acceleration, min(k.published_at) as first
      from keyed k join wanted w on w.kind = k.kind and w.name = k.name
     group by k.kind, k.name, k.win, k.platform
  )
  select kind, name,
         coalesce(sum(videos) filter (where win = 0), 0)::int as "videoCount",
         coalesce(sum(velocity) filter (where win = 0), 0)::float8 as "totalVelocity",
         coalesce(sum(acceleration) filter (where win = 0), 0)::float8 as "totalAcceleration",
         min(first) as "firstSeenAt",
         json_agg(json_build_array(win, platform, creators)) as counts
    from counted group by kind, name`;

// The recent window's videos with every name they carry (as `kind:name` keys), for explaining away.
const RECENT_NAMES_SQL = `
  select creator, array_remove(
           array_cat(array_cat(array_cat(
             array(select 'hashtag:' || h from unnest(hashtags) h),
             array(select 'topic:' || t from unnest(topics) t)),
             array(select 'keyword:' || k from unnest(keywords) k)),
             array['sound:' || sound_id, 'format:' || format]), null) as keys
    from (${IN_WINDOWS}) v where win = 0`;

// Distinct creators the product knows per platform and window (any name): the windows' volume.
const WINDOW_VOLUMES_SQL = `
  select platform, win, count(distinct creator)::int as creators from (${IN_WINDOWS}) v group by platform, win`;

// When the product first discovered a video on each platform (one index probe per platform).
const FIRST_DISCOVERY_SQL = `
  select p as platform, (select min(discovered_at) from trend_videos where platform::text = p) as first
    from unnest(:platforms::text[]) p`;

const EVIDENCE_WORK_MEM = '64MB';

export const TREND_KINDS_ANALYSED: readonly TrendKind[] = ['hashtag', 'topic', 'sound', 'format', 'keyword'];

/**
 * Every name used by at least `minCreators` distinct creators in the recent window (and, with
 * `includeKnown`, every live trend), with its recent figures and the burst test against its
 * trailing windows: two statements over trend_videos by publish time (index on published_at).
 */
export async function trendEvidence(db: Knex, query: EvidenceQuery, settings: BurstSettings): Promise<TrendGroup[]> {
  const { at, windowMs, windows } = query;
  const bindings = {
    at,
    windowMs,
    from: new Date(at.getTime() - (windows + 1) * windowMs),
    platform: query.platform ?? null,
  };
  const [names, volumes, firstDiscovery, recent] = await db.transaction(async (trx) => {
    // Counting distinct creators sorts every (name, window) row: in memory rather than temp files,
    // and without JIT, whose compile time exceeded its gain on this one-off query.
    await trx.raw(`set local work_mem = '${EVIDENCE_WORK_MEM}'`);
    await trx.raw('set local jit = off');
    return [
      await trx.raw<{ rows: NameWindowsRow[] }>(NAME_WINDOWS_SQL, {
        ...bindings,
        kinds: query.kinds ?? TREND_KINDS_ANALYSED,
        minCreators: query.minCreators,
        includeKnown: query.includeKnown ?? false,
        ended: 'ended' satisfies TrendLifecycleStatus,
      }),
      await trx.raw<{ rows: { platform: string; win: number; creators: number }[] }>(WINDOW_VOLUMES_SQL, bindings),
      await trx.raw<{ rows: { platform: string; first: Date | null }[] }>(FIRST_DISCOVERY_SQL, { platforms: [...PLATFORM_NAMES] }),
      query.explainAway || query.recentCreators
        ? await trx.raw<{ rows: { creator: string; keys: string[] }[] }>(RECENT_NAMES_SQL, bindings)
        : { rows: [] },
    ] as const;
  });
  // A trailing window that began before the product first discovered on a platform was (partly)
  // only seen looking back (the fresh window's most viewed, follow pages): unknown, not a baseline.
  const firstAt = new Map(firstDiscovery.rows.map((r) => [r.platform, r.first ? new Date(r.first).getTime() : Infinity]));
  const byPlatform = new Map<string, number[]>();
  for (const { platform, win, creators } of volumes.rows) {
    const row = byPlatform.get(platform) ?? new Array<number>(windows + 1).fill(0);
    const watched = win === 0 || at.getTime() - (win + 1) * windowMs >= (firstAt.get(platform) ?? Infinity);
    row[win] = watched ? creators : 0;
    byPlatform.set(platform, row);
  }
  const tested = names.rows.map(({ counts, ...row }) => {
    const input = burstInput(counts, byPlatform, windows);
    return { row, counts, input, key: trendKey(row), burst: burstOf(input, settings) };
  });
  // A name that rises only with a stronger trend's videos is its companion (lib/domain/trendBurst.ts).
  const explained = query.explainAway
    ? explainAway(
        tested,
        recent.rows.map((v) => ({ creator: v.creator, keys: new Set(v.keys) })),
        settings,
      )
    : new Map<string, Burst>();
  const creatorsByKey = query.recentCreators ? recentCreatorsByName(recent.rows) : null;
  return tested.map(({ row, counts, input, key, burst }) => ({
    ...row,
    platforms: [...new Set(counts.filter(([win]) => win === 0).map(([, platform]) => platform))].sort(),
    creatorCount: input.creators,
    historyCreators: input.history.reduce((sum, c, k) => sum + ((input.historyVolume[k] ?? 0) > 0 ? c : 0), 0),
    burst: explained.get(key) ?? burst,
    ...(creatorsByKey ? { recentCreators: [...(creatorsByKey.get(key) ?? [])].sort() } : {}),
  }));
}

function recentCreatorsByName(videos: readonly { creator: string; keys: readonly string[] }[]): Map<string, Set<string>> {
  const byKey = new Map<string, Set<string>>();
  for (const { creator, keys } of videos) {
    for (const key of keys) {
      const creators = byKey.get(key) ?? new Set<string>();
      creators.add(creator);
      byKey.set(key, creators);
    }
  }
  return byKey;
}

export function knownTrends(trx: Knex): PromiseLike<DetectedTrend[]> {
  return DetectedTrend.query(trx);
}

export const trendKey = (t: { kind: string; name: string }) => `${t.kind}:${t.name}`;

/** A trend's figures as one run saw them. */
export type TrendFigures = Pick<
  DetectedTrend,
  'score' | 'videoCount' | 'creatorCount' | 'totalVelocity' | 'totalAcceleration' | 'status' | 'baseline' | 'burstScore'
>;

/** One run's word on one trend: the row as it is to be (`row`, when this run is its latest) and the run's point. */
export interface TrendRunWrite {
  kind: TrendKind;
  name: string;
  /** Known already: its id. */
  id?: number;
  /** The trend's row after this run; absent when an older run (a backfill) only adds its point. */
  row?: TrendFigures &
    Pick<
      DetectedTrend,
      'platforms' | 'previousScore' | 'missedRuns' | 'endedAt' | 'windowStart' | 'windowEnd' | 'lastDetectedAt' | 'firstSeenAt'
    >;
  point: TrendFigures & { at: Date };
}

/** Columns an upsert replaces; kind, name and first_detected_at stay as first written (first_seen_at keeps the earliest). */
const UPDATED_COLUMNS = [
  'platforms',
  'score',
  'previousScore',
  'videoCount',
  'creatorCount',
  'totalVelocity',
  'totalAcceleration',
  'baseline',
  'burstScore',
  'status',
  'missedRuns',
  'endedAt',
  'windowStart',
  'windowEnd',
  'lastDetectedAt',
  'updatedAt',
] as const;

/**
 * Writes one analysis run: the trends' rows in one INSERT … ON CONFLICT (kind, name) DO UPDATE
 * (a new trend's first detection is the run's window end), then every trend's point in one
 * insert, where a point already written for (trend, run time) is left alone. A row a later run
 * wrote meanwhile is not taken back. Returns the trends' ids by `trendKey`.
 */
export async function saveTrendRun(trx: Knex, writes: TrendRunWrite[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const w of writes) if (w.id !== undefined) ids.set(trendKey(w), w.id);
  const rows = writes
    .filter((w) => w.row)
    .map(({ kind, name, row }) => ({
      kind,
      name,
      ...row!,
      firstDetectedAt: row!.windowEnd,
      updatedAt: new Date(),
    }));
  if (rows.length > 0) {
    const saved = (await trx('detected_trends')
      .insert(rows)
      .onConflict(['kind', 'name'])
      .merge({
        ...Object.fromEntries(UPDATED_COLUMNS.map((column) => [column, trx.raw('excluded.??', [column])])),
        firstSeenAt: trx.raw('least(detected_trends.first_seen_at, excluded.first_seen_at)'),
      })
      .where('detected_trends.window_end', '<', trx.raw('excluded.window_end'))
      .returning(['id', 'kind', 'name'])) as { id: number; kind: string; name: string }[];
    for (const t of saved) ids.set(trendKey(t), t.id);
  }
  const points = writes.filter((w) => ids.has(trendKey(w))).map((w) => ({ trendId: ids.get(trendKey(w))!, ...w.point }));
  if (points.length > 0) await trx('detected_trend_points').insert(points).onConflict(['trendId', 'at']).ignore();
  return ids;
}

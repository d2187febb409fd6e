/**
 * Questions for trend analysis: each name's evidence against its own history (in SQL, by publish
 * time over trend_video_names and trend_videos), the trends known so far, and one run's word on them
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

// The window a publish time falls in (0 = recent, ending at :at). Seconds as float8 (date_part),
// not numeric (extract): exact at microseconds for any window of whole milliseconds, and cheaper
// over hundreds of thousands of names.
const WINDOW_OF = (column: string) => `floor(date_part('epoch', :at::timestamptz - ${column}) * 1000 / :windowMs)::int`;

// The videos published in the recent window and the trailing ones, each with its window number
// (0 = recent). Every row counts, live or archived (archived videos are the names' history), but
// for the full pages of dense follows (trend_videos.evidence).
const IN_WINDOWS = `
  select platform::text as platform, platform || ':' || creator_id as creator, hashtags, topics, sound_id, format, keywords,
         coalesce(velocity, 0) as velocity, coalesce(acceleration, 0) as acceleration, published_at,
         ${WINDOW_OF('published_at')} as win
  from trend_videos
  where published_at > :from and published_at <= :at and evidence and (:platform::text is null or platform::text = :platform)`;

// Raw results are not passed through the camelCase mappers: the aliases are quoted camelCase.
// The names videos carry come unnested already, one row per (video, name), with integer name ids
// (trend_video_names, kept by triggers on trend_videos): the recent window picks the names worth
// a look, and only their rows are counted per window and platform. Velocity and acceleration are
// the videos' latest figures, read for the recent window only (they change with every snapshot).
// Counts and figures meet in one grouping, not a join: a join of two aggregates is where a
// planner that misjudges their sizes (a table not analyzed since a bulk insert) loops for seconds.
const NAME_WINDOWS_SQL = `
  with named as not materialized (
    select id, kind, name from trend_names where kind = any(:kinds::text[])
  ),
  recent as materialized (
    select video_id, name_id, creator from trend_video_names
     where evidence and published_at > :recentFrom and published_at <= :at and (:platform::text is null or platform = :platform)
  ),
  wanted as materialized (
    select r.name_id from recent r join named on named.id = r.name_id group by r.name_id having count(distinct r.creator) >= :minCreators
    union
    select named.id from detected_trends d join named on named.kind = d.kind and named.name = d.name
     where :includeKnown and d.status <> :ended
  ),
  counted as (
    select n.name_id, ${WINDOW_OF('n.published_at')} as win, n.platform, count(distinct n.creator)::int as creators,
           count(*)::int as videos, min(n.published_at) as first
      from trend_video_names n join wanted w on w.name_id = n.name_id
     where n.evidence and n.published_at > :from and n.published_at <= :at and (:platform::text is null or n.platform = :platform)
     group by 1, 2, 3
  ),
  moving as (
    select r.name_id, sum(coalesce(v.velocity, 0)) as velocity, sum(coalesce(v.acceleration, 0)) as acceleration
      from recent r join wanted w on w.name_id = r.name_id
      join (select id, velocity, acceleration from trend_videos where published_at > :recentFrom and published_at <= :at) v on v.id = r.video_id
     group by r.name_id
  ),
  figures as (
    select name_id, win, platform, creators, videos, first, null::float8 as velocity, null::float8 as acceleration from counted
    union all
    select name_id, null, null, null, null, null, velocity, acceleration from moving
  ),
  per_name as (
    select name_id,
           coalesce(sum(videos) filter (where win = 0), 0)::int as "videoCount",
           coalesce(sum(velocity), 0)::float8 as "totalVelocity",
           coalesce(sum(acceleration), 0)::float8 as "totalAcceleration",
           min(first) as "firstSeenAt",
           json_agg(json_build_array(win, platform, creators)) filter (where win is not null) as counts
      from figures group by name_id
  )
  select t.kind, t.name, p."videoCount", p."totalVelocity", p."totalAcceleration", p."firstSeenAt", p.counts
    from per_name p join trend_names t on t.id = p.name_id`;

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

/** One statement of an evidence reading and its bindings (knex named bindings). */
export interface EvidenceStatement {
  sql: string;
  bindings: Record<string, unknown>;
}

/**
 * The statements one evidence reading runs (`recentNames` only when the query needs each recent
 * video's names): trendEvidence runs them, bench:trend-analysis explains them.
 */
export function evidenceStatements(query: EvidenceQuery) {
  const { at, windowMs, windows } = query;
  const bindings = {
    at,
    windowMs,
    from: new Date(at.getTime() - (windows + 1) * windowMs),
    platform: query.platform ?? null,
  };
  return {
    nameWindows: {
      sql: NAME_WINDOWS_SQL,
      bindings: {
        ...bindings,
        recentFrom: new Date(at.getTime() - windowMs),
        kinds: query.kinds ?? TREND_KINDS_ANALYSED,
        minCreators: query.minCreators,
        includeKnown: query.includeKnown ?? false,
        ended: 'ended' satisfies TrendLifecycleStatus,
      },
    },
    windowVolumes: { sql: WINDOW_VOLUMES_SQL, bindings },
    firstDiscovery: { sql: FIRST_DISCOVERY_SQL, bindings: { platforms: [...PLATFORM_NAMES] } },
    recentNames: query.explainAway || query.recentCreators ? { sql: RECENT_NAMES_SQL, bindings } : null,
  } satisfies Record<string, EvidenceStatement | null>;
}

/**
 * Counting distinct creators sorts every (name, window) row: in memory rather than temp files,
 * and without JIT, whose compile time exceeded its gain on this one-off query. For each
 * transaction an evidence reading runs in.
 */
export async function evidenceSessionSettings(trx: Knex): Promise<void> {
  await trx.raw(`set local work_mem = '${EVIDENCE_WORK_MEM}'`);
  await trx.raw('set local jit = off');
}

/**
 * Every name used by at least `minCreators` distinct creators in the recent window (and, with
 * `includeKnown`, every live trend), with its recent figures and the burst test against its
 * trailing windows: the names' counts from trend_video_names, the windows' volumes and the recent
 * videos' names from trend_videos, each read by publish time (indexed).
 */
export async function trendEvidence(db: Knex, query: EvidenceQuery, settings: BurstSettings): Promise<TrendGroup[]> {
  const { at, windowMs, windows } = query;
  const statements = evidenceStatements(query);
  // The names' statement on one connection, the rest on another at the same time: each statement
  // reads its own snapshot under READ COMMITTED either way. Inside a caller's transaction (one
  // connection) they run one after the other.
  const reading = <T>(read: (run: <Row>(s: EvidenceStatement) => Promise<{ rows: Row[] }>) => Promise<T>) =>
    db.transaction(async (trx) => {
      await evidenceSessionSettings(trx);
      return read(<Row>(s: EvidenceStatement) => trx.raw<{ rows: Row[] }>(s.sql, s.bindings) as unknown as Promise<{ rows: Row[] }>);
    });
  const nameReading = () => reading((run) => run<NameWindowsRow>(statements.nameWindows));
  const restReading = () =>
    reading(
      async (run) =>
        [
          await run<{ platform: string; win: number; creators: number }>(statements.windowVolumes),
          await run<{ platform: string; first: Date | null }>(statements.firstDiscovery),
          statements.recentNames ? await run<{ creator: string; keys: string[] }>(statements.recentNames) : { rows: [] },
        ] as const,
    );
  const [names, [volumes, firstDiscovery, recent]] = db.isTransaction
    ? [await nameReading(), await restReading()]
    : await Promise.all([nameReading(), restReading()]);
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

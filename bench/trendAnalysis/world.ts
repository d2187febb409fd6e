/**
 * A week of Trend Watch data for bench:trend-analysis, written server-side (INSERT … SELECT over
 * generate_series, no rows through Node): live videos on YouTube and TikTok published over the
 * seven days before the bench's `now`, each found within two hours of its publish and snapshotted
 * every two hours since (at most 84 slots), with the columns discovery writes
 * (activities/trendDiscovery.ts toRow): hashtags, topics, a sound, a format, title keywords.
 *
 * Names are drawn log-uniformly from fixed vocabularies (Zipf-like: a few everyday names on a large
 * share of videos, a long tail of rare ones), the same way in every window, so nothing bursts by
 * design but `WAVES` hashtags used only in the last 20 hours by many creators: the analysis has
 * every name to test and real trends to find.
 */
import type { Knex } from 'knex';

const HOUR_MS = 3_600_000;
export const SNAPSHOT_INTERVAL_MS = 2 * HOUR_MS;
export const MAX_SLOTS = 84;
const SPAN_MS = 7 * 24 * HOUR_MS;
/** Ages are uniform over the week, so a video holds 42.5 snapshots on average (1 to 84). */
export const MEAN_SNAPSHOTS_PER_VIDEO = 42.5;
/** A wave's videos are all published within this many hours before `now`. */
const WAVE_HOURS = 20;

/** The planted bursting hashtags. */
export const WAVES = ['benchwave1', 'benchwave2', 'benchwave3', 'benchwave4', 'benchwave5'];

/** Vocabulary sizes: about what a week of the simulator's discovery shows, scaled up. */
const VOCABULARY = { hashtags: 5000, keywords: 8000, topics: 60, sounds: 3000 };

export interface World {
  videos: number;
  snapshots: number;
  /** Videos each planted wave holds (all in its last 20 hours). */
  videosPerWave: number;
}

/** A log-uniform draw from 1..n as a name: `prefix` || k, with P(k) ∝ 1/k. */
const zipf = (prefix: string, n: number) => `'${prefix}' || floor(exp(random() * ln(${n})))::int`;
/** `count` distinct Zipf draws as a text[] (correlated with the row through `g`, so drawn per row). */
const names = (prefix: string, n: number, count: string) =>
  `array(select distinct ${zipf(prefix, n)} from generate_series(1, ${count} + 0 * g))`;

// One chunk of videos (g in [first, last]) and every slot of theirs, in one statement. Every
// random() is per row: the outer select reads columns drawn in the inner one, so that times,
// counts and views agree with each other. Snapshots are taken two hours apart from discovery,
// views growing at the video's velocity.
const CHUNK_SQL = `
  with video as (
  insert into trend_videos (platform, platform_video_id, creator_id, creator_name, title, published_at, discovered_at,
                            hashtags, topics, sound_id, format, keywords, duration_seconds, initial_views, current_views,
                            velocity, acceleration, status, snapshot_count, last_snapshot_at, workflow_id, evidence)
  select platform, video_id, creator, creator, 'bench video ' || g, published_at, discovered_at,
         case when wave > 0 then hashtags || ('benchwave' || wave) else hashtags end,
         topics, sound_id, format, keywords, duration, initial_views,
         initial_views + round(velocity * extract(epoch from (discovered_at + (slots - 1) * interval '2 hours' - published_at)) / 3600),
         velocity, acceleration, 'monitoring', slots, discovered_at + (slots - 1) * interval '2 hours',
         'trend-video:' || platform || ':' || video_id, evidence
    from (
      select *, least(${MAX_SLOTS}, floor(extract(epoch from (:now::timestamptz - discovered_at)) * 1000 / ${SNAPSHOT_INTERVAL_MS})::int + 1) as slots,
             case when published_at > :now::timestamptz - interval '${WAVE_HOURS} hours' and wave_draw < :waveShare::float8 * ${WAVES.length}
                  then 1 + floor(wave_draw / :waveShare::float8)::int else 0 end as wave
        from (
          select g, platform, 'bench-' || g as video_id,
                 platform || '-creator-' || floor(random() * :creatorsPerPlatform::int)::int as creator,
                 published_at, least(:now::timestamptz, published_at + random() * interval '2 hours') as discovered_at,
                 ${names('t', VOCABULARY.hashtags, '(3 + floor(random() * 4)::int)')} as hashtags,
                 ${names('topic', VOCABULARY.topics, '(1 + floor(random() * 2)::int)')} as topics,
                 case when platform = 'tiktok' or random() < 0.3 then ${zipf('s', VOCABULARY.sounds)} end as sound_id,
                 case when platform = 'tiktok' or random() < 0.6 then 'short' else 'long' end as format,
                 ${names('w', VOCABULARY.keywords, '(3 + floor(random() * 3)::int)')} as keywords,
                 (15 + random() * 600)::int as duration, floor(random() * 1000)::bigint as initial_views,
                 exp(random() * 9) as velocity, (random() - 0.5) * 50 as acceleration,
                 random() < 0.95 as evidence, random() as wave_draw
            from (
              select g, case when g % 5 < 3 then 'youtube' else 'tiktok' end as platform,
                     :now::timestamptz - random() * interval '${SPAN_MS / 1000} seconds' as published_at
                from generate_series(:first::int, :last::int) g
            ) base
        ) drawn
    ) v
  returning id, discovered_at, initial_views, velocity, acceleration, snapshot_count
  )
  insert into trend_snapshots (video_id, slot, taken_at, views, likes, comments, shares, velocity, acceleration)
  select v.id, s, v.discovered_at + s * interval '2 hours',
         v.initial_views + round(v.velocity * 2 * s), round(v.velocity * s * 0.08), round(v.velocity * s * 0.01), round(v.velocity * s * 0.005),
         case when s > 0 then v.velocity * (0.9 + random() * 0.2) end, case when s > 1 then v.acceleration end
    from video v cross join lateral generate_series(0, v.snapshot_count - 1) s`;

const CHUNK_VIDEOS = 2000;

/**
 * Fills an empty, migrated database with `videos` videos and their snapshots (about 42.5 each) as
 * of `now`; `progress` hears after every chunk. Deterministic for a seed (PostgreSQL's setseed).
 */
export async function fillWorld(
  db: Knex,
  { now, videos, seed = 0.42 }: { now: Date; videos: number; seed?: number },
  progress: (done: { videos: number; snapshots: number }) => void,
): Promise<World> {
  // A wave carries about 1 % of the recent videos (at least 8, so a tiny run finds it too).
  const recentVideos = (videos * WAVE_HOURS * HOUR_MS) / SPAN_MS;
  const videosPerWave = Math.max(8, Math.round(recentVideos * 0.01));
  const waveShare = Math.min(1 / WAVES.length, videosPerWave / Math.max(1, recentVideos));
  // A creator posts about four videos a week.
  const creatorsPerPlatform = Math.max(20, Math.round(videos / 8));
  let snapshots = 0;
  await db.transaction(async (trx) => {
    // The fill is the bench's own scaffolding: nothing to gain from waiting for the WAL flush.
    await trx.raw('set local synchronous_commit = off');
    await trx.raw('select setseed(?)', [seed]);
    for (let first = 1; first <= videos; first += CHUNK_VIDEOS) {
      const last = Math.min(videos, first + CHUNK_VIDEOS - 1);
      const inserted = await trx.raw<{ rowCount: number }>(CHUNK_SQL, { now, first, last, waveShare, creatorsPerPlatform });
      snapshots += inserted.rowCount;
      progress({ videos: last, snapshots });
    }
  });
  // What autovacuum would have done long since on a table of this age.
  await db.raw('vacuum analyze trend_videos');
  await db.raw('vacuum analyze trend_snapshots');
  await db.raw('vacuum analyze trend_names');
  await db.raw('vacuum analyze trend_video_names');
  return { videos, snapshots, videosPerWave };
}

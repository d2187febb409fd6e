/**
 * trend_video_names: the names every trend video carries, one row per (video, name), kept by
 * triggers on trend_videos, so trend evidence (db/queries/detectedTrends.ts) reads narrow rows by
 * publish time instead of unnesting five arrays of every video of the last seven windows on each
 * run (bench:trend-analysis: about 300,000 names a run at 28,000 live videos, most of the time of
 * an analysis). Names get integer ids (trend_names), so a run groups integers, not text.
 *
 *  - An insert into trend_videos adds its videos' names (one statement-level trigger per insert,
 *    whatever the batch size); an update of a name column, the evidence flag, the publish time or
 *    the creator rewrites that video's rows. Snapshot writes (views, velocity) touch none of these
 *    columns, so they fire nothing.
 *  - A name a video carries twice is two rows, as an unnested array counted it.
 *  - creator is `platform:creator_id` in the "C" collation: compared bytewise, as equality did.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE trend_names (
      id serial PRIMARY KEY,
      kind text NOT NULL,
      name text NOT NULL,
      CONSTRAINT trend_names_kind_name_unique UNIQUE (kind, name)
    )`);
  await knex.raw(`
    CREATE TABLE trend_video_names (
      video_id bigint NOT NULL REFERENCES trend_videos (id) ON DELETE CASCADE,
      name_id integer NOT NULL REFERENCES trend_names (id) ON DELETE CASCADE,
      platform text NOT NULL,
      creator text COLLATE "C" NOT NULL,
      published_at timestamptz NOT NULL,
      evidence boolean NOT NULL
    )`);
  await knex.raw('CREATE INDEX trend_video_names_video_id ON trend_video_names (video_id)');
  // Evidence reads a span of publish times: an index-only scan of exactly the columns it counts.
  await knex.raw(`CREATE INDEX trend_video_names_evidence ON trend_video_names (published_at)
                  INCLUDE (name_id, platform, creator, video_id) WHERE evidence`);

  // A video's names, the way trend evidence has always read them (kind, name).
  await knex.raw(`
    CREATE FUNCTION trend_video_name_list(v trend_videos) RETURNS TABLE (kind text, name text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT 'hashtag', unnest(v.hashtags)
      UNION ALL SELECT 'topic', unnest(v.topics)
      UNION ALL SELECT 'sound', v.sound_id WHERE v.sound_id IS NOT NULL
      UNION ALL SELECT 'format', v.format WHERE v.format IS NOT NULL
      UNION ALL SELECT 'keyword', unnest(v.keywords)
    $$`);
  // Adds the names of a statement's new videos (transition table videos); new names get their id first.
  await knex.raw(`
    CREATE FUNCTION trend_video_names_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO trend_names (kind, name)
        SELECT DISTINCT n.kind, n.name FROM videos v CROSS JOIN LATERAL trend_video_name_list(v) n
        ORDER BY 1, 2
        ON CONFLICT (kind, name) DO NOTHING;
      INSERT INTO trend_video_names (video_id, name_id, platform, creator, published_at, evidence)
        SELECT v.id, t.id, v.platform, v.platform || ':' || v.creator_id, v.published_at, v.evidence
          FROM videos v CROSS JOIN LATERAL trend_video_name_list(v) n
          JOIN trend_names t ON t.kind = n.kind AND t.name = n.name;
      RETURN NULL;
    END $$`);
  await knex.raw(`
    CREATE FUNCTION trend_video_names_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM trend_video_names WHERE video_id = NEW.id;
      INSERT INTO trend_names (kind, name)
        SELECT DISTINCT n.kind, n.name FROM trend_video_name_list(NEW) n ORDER BY 1, 2
        ON CONFLICT (kind, name) DO NOTHING;
      INSERT INTO trend_video_names (video_id, name_id, platform, creator, published_at, evidence)
        SELECT NEW.id, t.id, NEW.platform, NEW.platform || ':' || NEW.creator_id, NEW.published_at, NEW.evidence
          FROM trend_video_name_list(NEW) n JOIN trend_names t ON t.kind = n.kind AND t.name = n.name;
      RETURN NULL;
    END $$`);
  await knex.raw(`
    CREATE TRIGGER trend_video_names_on_insert AFTER INSERT ON trend_videos
      REFERENCING NEW TABLE AS videos FOR EACH STATEMENT EXECUTE FUNCTION trend_video_names_add()`);
  await knex.raw(`
    CREATE TRIGGER trend_video_names_on_update
      AFTER UPDATE OF hashtags, topics, sound_id, format, keywords, evidence, published_at, creator_id, platform ON trend_videos
      FOR EACH ROW EXECUTE FUNCTION trend_video_names_rewrite()`);

  // The videos already there.
  await knex.raw(`
    INSERT INTO trend_names (kind, name)
      SELECT DISTINCT n.kind, n.name FROM trend_videos v CROSS JOIN LATERAL trend_video_name_list(v) n ORDER BY 1, 2`);
  await knex.raw(`
    INSERT INTO trend_video_names (video_id, name_id, platform, creator, published_at, evidence)
      SELECT v.id, t.id, v.platform, v.platform || ':' || v.creator_id, v.published_at, v.evidence
        FROM trend_videos v CROSS JOIN LATERAL trend_video_name_list(v) n
        JOIN trend_names t ON t.kind = n.kind AND t.name = n.name`);
  // Statistics now, not when autovacuum gets to it: the first analysis plans with them.
  await knex.raw('ANALYZE trend_names, trend_video_names');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS trend_video_names_on_update ON trend_videos');
  await knex.raw('DROP TRIGGER IF EXISTS trend_video_names_on_insert ON trend_videos');
  await knex.raw('DROP FUNCTION IF EXISTS trend_video_names_rewrite()');
  await knex.raw('DROP FUNCTION IF EXISTS trend_video_names_add()');
  await knex.raw('DROP TABLE IF EXISTS trend_video_names');
  await knex.raw('DROP FUNCTION IF EXISTS trend_video_name_list(trend_videos)');
  await knex.raw('DROP TABLE IF EXISTS trend_names');
}

/**
 * Trend detection against each name's own history (issue 12):
 *  - detected_trends / detected_trend_points carry the baseline the run compared with (distinct
 *    creators expected in one analysis window, from the name's trailing history) and the burst
 *    score (how far above that baseline the window was); `first_seen_at` is the earliest publish
 *    time of a video carrying the name that the product knows of.
 *  - a trend may be a title keyword (`kind = 'keyword'`); trend_videos keeps each video's keywords.
 *  - simulation_clock: the anchor of the simulated clock (TIME_SCALE > 1), shared by the API and
 *    the worker so both read the same simulated "now" (lib/clock.ts). One row at most.
 */
import type { Knex } from 'knex';

const KINDS = ['hashtag', 'topic', 'sound', 'format', 'keyword'];
const OLD_KINDS = ['hashtag', 'topic', 'sound', 'format'];
const check = (kinds: readonly string[]) => `CHECK (kind IN (${kinds.map((k) => `'${k}'`).join(', ')}))`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE detected_trends DROP CONSTRAINT IF EXISTS detected_trends_kind_check,
                  ADD CONSTRAINT detected_trends_kind_check ${check(KINDS)}`);
  await knex.schema.alterTable('detected_trends', (t) => {
    t.double('baseline').comment("distinct creators one analysis window held on average in the name's trailing history");
    t.double('burst_score').comment('how far above its baseline the latest window was (see lib/domain/trendBurst.ts)');
    t.timestamp('first_seen_at', { useTz: true }).comment('earliest publish time of a known video carrying the name');
  });
  await knex.schema.alterTable('detected_trend_points', (t) => {
    t.double('baseline');
    t.double('burst_score');
  });
  await knex.schema.alterTable('trend_videos', (t) => {
    t.specificType('keywords', 'text[]').notNullable().defaultTo('{}').comment('title words (lib/domain/keywords.ts)');
  });
  await knex.raw('CREATE INDEX trend_videos_keywords_gin ON trend_videos USING gin (keywords)');
  await knex.raw('CREATE INDEX trend_videos_sound_id ON trend_videos (sound_id) WHERE sound_id IS NOT NULL');
  await knex.raw('CREATE INDEX trend_videos_published_at ON trend_videos (published_at)');
  await knex.schema.createTable('simulation_clock', (t) => {
    t.smallint('id').primary().defaultTo(1);
    t.double('time_scale').notNullable();
    t.timestamp('sim_start', { useTz: true, precision: 3 }).notNullable();
    t.timestamp('real_start', { useTz: true, precision: 3 }).notNullable();
    t.text('clock_start').comment('the CLOCK_START setting the anchor was made with, if any');
  });
  await knex.raw('ALTER TABLE simulation_clock ADD CONSTRAINT simulation_clock_one_row CHECK (id = 1)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('simulation_clock');
  await knex.raw('DROP INDEX IF EXISTS trend_videos_published_at');
  await knex.raw('DROP INDEX IF EXISTS trend_videos_sound_id');
  await knex.schema.alterTable('trend_videos', (t) => t.dropColumn('keywords'));
  await knex.schema.alterTable('detected_trend_points', (t) => {
    t.dropColumn('baseline');
    t.dropColumn('burst_score');
  });
  await knex.schema.alterTable('detected_trends', (t) => {
    t.dropColumn('baseline');
    t.dropColumn('burst_score');
    t.dropColumn('first_seen_at');
  });
  await knex('detected_trends').where('kind', 'keyword').delete();
  await knex.raw(`ALTER TABLE detected_trends DROP CONSTRAINT IF EXISTS detected_trends_kind_check,
                  ADD CONSTRAINT detected_trends_kind_check ${check(OLD_KINDS)}`);
}

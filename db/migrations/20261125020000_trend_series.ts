/**
 * Trend Watch additions: the series of each detected trend (one point per analysis run, so the
 * API can chart how a trend rose and faded), and when a video was marked trending.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('detected_trend_points', (t) => {
    t.bigIncrements('id');
    t.bigInteger('trend_id').notNullable().references('id').inTable('detected_trends').onDelete('CASCADE');
    t.timestamp('at', { useTz: true }).notNullable();
    t.double('score').notNullable();
    t.double('total_velocity').notNullable();
    t.double('total_acceleration').notNullable();
    t.integer('video_count').notNullable();
    t.integer('creator_count').notNullable();
    t.text('status').notNullable();
    // One point per trend per analysis run: a retried activity writes the same `at` and is ignored.
    t.unique(['trend_id', 'at']);
  });
  await knex.schema.alterTable('trend_videos', (t) => {
    t.timestamp('trending_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('trend_videos', (t) => t.dropColumn('trending_at'));
  await knex.schema.dropTableIfExists('detected_trend_points');
}

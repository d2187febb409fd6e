/**
 * trend_videos.evidence: whether a video counts in trend evidence (db/queries/detectedTrends.ts).
 * A targeted query that comes back full (its page limit reached) has followed a dense name: it
 * holds only the newest slice of that name's videos, so counting them would fill the recent
 * window of the name — and of every name its videos carry — while its history stays sampled as
 * before: an evergreen tag would look like a burst. Those videos are still monitored and shown.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('trend_videos', (t) => {
    t.boolean('evidence')
      .notNullable()
      .defaultTo(true)
      .comment('counts in trend evidence; false for the page of a follow that came back full');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('trend_videos', (t) => t.dropColumn('evidence'));
}

/**
 * An index on trend_videos (platform, discovered_at): trend evidence asks when the product first
 * discovered a video on each platform, since a trailing window it was not yet watching is no
 * baseline (db/queries/detectedTrends.ts). discovered_at is data time from here on (the clock's now).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('trend_videos', (t) => t.index(['platform', 'discovered_at'], 'trend_videos_platform_discovered_at'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('trend_videos', (t) => t.dropIndex(['platform', 'discovered_at'], 'trend_videos_platform_discovered_at'));
}

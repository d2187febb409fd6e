/**
 * The whole data model (README "Database"): accounts and plans, tracked bloggers with per-video
 * history, the global Trend Watch tables, refresh tokens, the audit log and daily usage.
 * Tenant-owned tables carry user_id (row-level security builds on it).
 */
import type { Knex } from 'knex';

const PLATFORMS = ['youtube', 'tiktok', 'instagram'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_limits', (t) => {
    t.text('plan').primary();
    // -1 means unlimited.
    t.integer('max_bloggers').notNullable();
    t.integer('max_videos_per_day').notNullable();
    t.boolean('trend_watch_enabled').notNullable();
    t.integer('api_rate_limit').notNullable().comment('requests per minute');
    t.timestamps(true, true);
  });
  await knex('user_limits').insert([
    { plan: 'free', max_bloggers: 5, max_videos_per_day: 100, trend_watch_enabled: false, api_rate_limit: 100 },
    { plan: 'pro', max_bloggers: 50, max_videos_per_day: 1000, trend_watch_enabled: true, api_rate_limit: 1000 },
    { plan: 'enterprise', max_bloggers: -1, max_videos_per_day: -1, trend_watch_enabled: true, api_rate_limit: -1 },
  ]);

  await knex.schema.createTable('users', (t) => {
    t.increments('id');
    t.text('email').notNullable();
    t.text('password_hash').notNullable();
    t.enu('role', ['user', 'admin']).notNullable().defaultTo('user');
    t.text('plan').notNullable().defaultTo('free').references('plan').inTable('user_limits').onUpdate('CASCADE').onDelete('RESTRICT');
    t.boolean('is_active').notNullable().defaultTo(true);
    t.timestamp('last_login', { useTz: true });
    t.timestamps(true, true);
  });
  // Emails are compared case-insensitively; the app also stores them normalised.
  await knex.raw('CREATE UNIQUE INDEX users_email_lower_unique ON users (lower(email))');
  await knex.schema.alterTable('users', (t) => t.index(['plan']));

  await knex.schema.createTable('bloggers', (t) => {
    t.increments('id');
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('youtube_url');
    t.text('tiktok_url');
    t.text('instagram_url');
    // Canonical ids parsed from the URLs; what the platforms are asked about.
    t.text('youtube_channel_id');
    t.text('youtube_handle');
    t.text('tiktok_username');
    t.text('instagram_username');
    t.boolean('is_active').notNullable().defaultTo(true);
    t.text('sync_status').notNullable().defaultTo('pending').comment('pending | syncing | idle | paused | error');
    t.jsonb('platform_links').notNullable().defaultTo('{}').comment('per platform: state, reason, resolved ids');
    t.timestamp('last_synced_at', { useTz: true });
    t.timestamp('next_sync_at', { useTz: true });
    t.timestamps(true, true);
    t.index(['user_id', 'created_at']);
  });
  // One tracked creator per user and platform identity; other users may track the same one.
  for (const column of ['youtube_channel_id', 'youtube_handle', 'tiktok_username', 'instagram_username']) {
    await knex.raw(
      `CREATE UNIQUE INDEX bloggers_user_${column}_unique ON bloggers (user_id, lower(${column})) WHERE ${column} IS NOT NULL`,
    );
  }

  await knex.schema.createTable('video_history', (t) => {
    t.bigIncrements('id');
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.integer('blogger_id').notNullable().references('id').inTable('bloggers').onDelete('CASCADE');
    t.enu('platform', PLATFORMS).notNullable();
    t.text('platform_video_id').notNullable();
    t.text('video_url');
    t.text('title');
    t.timestamp('published_at', { useTz: true });
    // Counts are null when the platform does not expose them (hidden likes, IG photo views).
    t.bigInteger('views');
    t.bigInteger('likes');
    t.bigInteger('comments');
    t.bigInteger('shares');
    t.double('engagement_rate');
    t.double('viral_score');
    t.timestamp('fetched_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // One row per (video, fetch): a retried activity writes the same fetched_at and is ignored.
    t.unique(['blogger_id', 'platform', 'platform_video_id', 'fetched_at']);
    t.index(['blogger_id', 'fetched_at']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('trend_videos', (t) => {
    t.bigIncrements('id');
    t.enu('platform', PLATFORMS).notNullable();
    t.text('platform_video_id').notNullable();
    t.text('creator_id').notNullable();
    t.text('creator_name');
    t.text('title');
    t.text('description');
    t.text('video_url');
    t.timestamp('published_at', { useTz: true }).notNullable();
    t.timestamp('discovered_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.specificType('hashtags', 'text[]').notNullable().defaultTo('{}');
    t.specificType('topics', 'text[]').notNullable().defaultTo('{}');
    t.text('sound_id');
    t.text('format').comment('short | long | live | reel | photo | carousel');
    t.integer('duration_seconds');
    t.bigInteger('initial_views');
    t.bigInteger('current_views');
    t.bigInteger('current_likes');
    t.bigInteger('current_comments');
    t.bigInteger('current_shares');
    t.double('velocity').comment('views per hour between the last two snapshots');
    t.double('acceleration').comment('change of velocity per hour');
    t.enu('status', ['monitoring', 'trending', 'paused', 'archived', 'dropped', 'gone']).notNullable().defaultTo('monitoring');
    t.integer('snapshot_count').notNullable().defaultTo(0);
    t.timestamp('last_snapshot_at', { useTz: true });
    t.timestamp('archived_at', { useTz: true });
    t.text('workflow_id');
    t.timestamps(true, true);
    t.unique(['platform', 'platform_video_id']);
    t.index(['status', 'published_at']);
    t.index(['velocity']);
    t.index(['creator_id']);
  });
  await knex.raw('CREATE INDEX trend_videos_hashtags_gin ON trend_videos USING gin (hashtags)');
  await knex.raw('CREATE INDEX trend_videos_topics_gin ON trend_videos USING gin (topics)');

  // Grows fastest (one row per video every 2 h for 7 days). Not partitioned yet: a partitioned
  // table could not enforce UNIQUE (video_id, slot) without the partition key; see the README.
  await knex.schema.createTable('trend_snapshots', (t) => {
    t.bigIncrements('id');
    t.bigInteger('video_id').notNullable().references('id').inTable('trend_videos').onDelete('CASCADE');
    t.smallint('slot').notNullable().comment('snapshot number, 0..83 over 7 days');
    t.timestamp('taken_at', { useTz: true }).notNullable();
    t.bigInteger('views');
    t.bigInteger('likes');
    t.bigInteger('comments');
    t.bigInteger('shares');
    t.double('velocity');
    t.double('acceleration');
    t.unique(['video_id', 'slot']);
    t.index(['taken_at']);
  });

  await knex.schema.createTable('detected_trends', (t) => {
    t.bigIncrements('id');
    t.enu('kind', ['hashtag', 'topic', 'sound', 'format']).notNullable();
    t.text('name').notNullable();
    t.specificType('platforms', 'text[]').notNullable().defaultTo('{}');
    t.double('score').notNullable();
    t.double('previous_score');
    t.integer('video_count').notNullable();
    t.integer('creator_count').notNullable();
    t.double('total_velocity').notNullable();
    t.double('total_acceleration').notNullable();
    t.enu('status', ['emerging', 'peaking', 'fading']).notNullable();
    t.timestamp('window_start', { useTz: true }).notNullable();
    t.timestamp('window_end', { useTz: true }).notNullable();
    t.timestamp('first_detected_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_detected_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamps(true, true);
    t.unique(['kind', 'name']);
    t.index(['status', 'score']);
  });

  await knex.schema.createTable('refresh_tokens', (t) => {
    t.bigIncrements('id');
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.uuid('family_id').notNullable();
    t.text('token_hash').notNullable().unique().comment('SHA-256 of the opaque token; the token itself is never stored');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('rotated_at', { useTz: true });
    t.bigInteger('replaced_by_id').references('id').inTable('refresh_tokens').onDelete('SET NULL');
    t.timestamp('revoked_at', { useTz: true });
    t.text('revoked_reason');
    t.text('ip');
    t.text('user_agent');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['family_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('audit_logs', (t) => {
    t.bigIncrements('id');
    t.integer('actor_id').references('id').inTable('users').onDelete('SET NULL');
    t.text('actor_email');
    t.text('action').notNullable().comment('e.g. auth.login, auth.login_failed, admin.user_update');
    t.text('target_type');
    t.text('target_id');
    t.jsonb('before');
    t.jsonb('after');
    t.jsonb('meta');
    t.text('ip');
    t.text('request_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
    t.index(['actor_id', 'created_at']);
    t.index(['action', 'created_at']);
  });

  await knex.schema.createTable('usage_daily', (t) => {
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.date('day').notNullable();
    t.integer('videos_fetched').notNullable().defaultTo(0);
    t.integer('api_requests').notNullable().defaultTo(0);
    t.timestamps(true, true);
    t.primary(['user_id', 'day']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'usage_daily',
    'audit_logs',
    'refresh_tokens',
    'detected_trends',
    'trend_snapshots',
    'trend_videos',
    'video_history',
    'bloggers',
    'users',
    'user_limits',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}

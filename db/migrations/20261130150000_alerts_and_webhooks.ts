/**
 * Alert rules and their outbound delivery (issue 14):
 *   alert_rules                 a tenant's rules: kind, params, channels, debounce, mute
 *   alert_firings               every firing, muted or not; UNIQUE (rule, dedupe key), so a retried
 *                               activity finds the firing it recorded instead of firing twice
 *   webhook_endpoints           a tenant's HTTPS receivers and the secret their payloads are signed with
 *   webhook_deliveries          one row per (event, endpoint): status, attempts, dead letter
 *   webhook_delivery_attempts   one row per attempt: status code, error, duration
 *   blogger_follower_counts     one follower count per blogger link and data day (follower_change rules)
 * and the plans' limits user_limits.max_alert_rules / max_webhooks (-1 = unlimited).
 *
 * Every table is a tenant table: user_id, a foreign key to users ON DELETE CASCADE, row-level
 * security forced like the other tenant tables (the app role's grants come from the default
 * privileges of the row-level security migration).
 */
import type { Knex } from 'knex';

const TABLES = [
  'alert_rules',
  'alert_firings',
  'webhook_endpoints',
  'webhook_deliveries',
  'webhook_delivery_attempts',
  'blogger_follower_counts',
] as const;

const PLAN_LIMITS = [
  { plan: 'free', max_alert_rules: 3, max_webhooks: 1 },
  { plan: 'pro', max_alert_rules: 50, max_webhooks: 10 },
  { plan: 'enterprise', max_alert_rules: -1, max_webhooks: -1 },
];

const tenant = (t: Knex.CreateTableBuilder) => t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('user_limits', (t) => {
    t.integer('max_alert_rules').notNullable().defaultTo(0).comment('-1 means unlimited');
    t.integer('max_webhooks').notNullable().defaultTo(0).comment('-1 means unlimited');
  });
  for (const { plan, ...limits } of PLAN_LIMITS) await knex('user_limits').where({ plan }).update(limits);

  await knex.schema.createTable('alert_rules', (t) => {
    t.increments('id');
    tenant(t);
    t.text('name').notNullable();
    t.text('kind').notNullable();
    t.jsonb('params').notNullable().defaultTo('{}');
    // null: every blogger of the user (kinds about bloggers); a deleted blogger takes its rules along.
    t.integer('blogger_id').references('id').inTable('bloggers').onDelete('CASCADE');
    t.jsonb('channels')
      .notNullable()
      .defaultTo(JSON.stringify({ email: false, webhookIds: [] }));
    t.integer('debounce_minutes').notNullable().defaultTo(60);
    t.timestamp('muted_until', { useTz: true });
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('last_fired_at', { useTz: true });
    t.timestamps(true, true);
    t.index(['user_id', 'id']);
    t.index(['blogger_id']);
  });
  await knex.raw(
    "ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_kind_check CHECK (kind IN ('video_outlier', 'follower_change', 'trend_match', 'velocity_threshold', 'link_broken'))",
  );
  await knex.raw('ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_debounce_check CHECK (debounce_minutes >= 0)');
  // Evaluation looks rules up by kind (velocity and trend rules across tenants, blogger rules per user).
  await knex.raw('CREATE INDEX alert_rules_enabled_kind ON alert_rules (kind, user_id) WHERE enabled');

  await knex.schema.createTable('alert_firings', (t) => {
    t.bigIncrements('id');
    tenant(t);
    t.integer('rule_id').notNullable().references('id').inTable('alert_rules').onDelete('CASCADE');
    t.text('dedupe_key').notNullable().comment('the triggering fact: a retried activity finds its firing by it');
    t.jsonb('subject').notNullable().comment('what fired: blogger, video, trend, figures');
    t.text('message').notNullable();
    t.timestamp('fired_at', { useTz: true }).notNullable().comment('data time');
    t.boolean('muted').notNullable().defaultTo(false);
    t.jsonb('channels').notNullable().comment('where it is delivered: { email, webhookIds }');
    t.text('email_status').comment('pending | sent | failed; null without the email channel');
    t.timestamp('email_sent_at', { useTz: true });
    t.text('email_error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['rule_id', 'dedupe_key']);
    t.index(['rule_id', 'fired_at']);
    t.index(['user_id', 'fired_at']);
  });

  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.increments('id');
    tenant(t);
    t.text('url').notNullable();
    t.text('description');
    t.text('secret').notNullable().comment('whsec_…: signs every payload; shown to the user only when created or rotated');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamps(true, true);
    t.index(['user_id', 'id']);
  });

  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id');
    tenant(t);
    t.integer('endpoint_id').notNullable().references('id').inTable('webhook_endpoints').onDelete('CASCADE');
    t.bigInteger('firing_id').references('id').inTable('alert_firings').onDelete('CASCADE');
    t.text('event_id').notNullable().unique().comment('webhook-id header: the same for every attempt, so receivers can deduplicate');
    t.text('event_type').notNullable();
    t.jsonb('payload').notNullable();
    t.text('status').notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('last_status_code');
    t.text('last_error');
    t.timestamp('delivered_at', { useTz: true });
    t.timestamp('dead_at', { useTz: true });
    t.timestamps(true, true);
    // One delivery of a firing per endpoint, however often the firing activity is retried.
    t.unique(['endpoint_id', 'firing_id']);
    t.index(['endpoint_id', 'id']);
    t.index(['firing_id']);
  });
  await knex.raw(
    "ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'delivered', 'dead'))",
  );
  await knex.raw("CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (created_at) WHERE status = 'pending'");

  await knex.schema.createTable('webhook_delivery_attempts', (t) => {
    t.bigIncrements('id');
    tenant(t);
    t.bigInteger('delivery_id').notNullable().references('id').inTable('webhook_deliveries').onDelete('CASCADE');
    t.integer('attempt').notNullable();
    t.integer('status_code');
    t.text('error');
    t.integer('duration_ms').notNullable();
    t.timestamp('attempted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['delivery_id', 'attempt']);
  });

  await knex.schema.createTable('blogger_follower_counts', (t) => {
    t.bigIncrements('id');
    tenant(t);
    t.integer('blogger_id').notNullable().references('id').inTable('bloggers').onDelete('CASCADE');
    t.text('platform').notNullable();
    t.date('day').notNullable().comment('data day (UTC) of the lookup');
    t.bigInteger('followers').notNullable();
    t.timestamp('fetched_at', { useTz: true }).notNullable();
    t.unique(['blogger_id', 'platform', 'day']);
    t.index(['user_id']);
  });

  for (const table of TABLES) {
    await knex.raw('ALTER TABLE ?? ENABLE ROW LEVEL SECURITY', [table]);
    await knex.raw('ALTER TABLE ?? FORCE ROW LEVEL SECURITY', [table]);
    await knex.raw(
      `CREATE POLICY tenant_isolation ON ?? USING (app_is_admin() OR user_id = app_user_id()) WITH CHECK (app_is_admin() OR user_id = app_user_id())`,
      [table],
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [...TABLES].reverse()) await knex.schema.dropTableIfExists(table);
  await knex.schema.alterTable('user_limits', (t) => {
    t.dropColumn('max_alert_rules');
    t.dropColumn('max_webhooks');
  });
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { createDb, type Knex } from '.';
import { MigrationFiles } from './knexfile';
import { testConfig } from '../test/harness';

const TABLES = [
  'users',
  'user_limits',
  'bloggers',
  'video_history',
  'trend_videos',
  'trend_snapshots',
  'trend_names',
  'trend_video_names',
  'detected_trends',
  'detected_trend_points',
  'refresh_tokens',
  'account_tokens',
  'alert_rules',
  'alert_firings',
  'webhook_endpoints',
  'webhook_deliveries',
  'webhook_delivery_attempts',
  'blogger_follower_counts',
  'audit_logs',
  'usage_daily',
  'simulation_clock',
];

async function admin<T>(fn: (client: PgClient) => Promise<T>): Promise<T> {
  const url = new URL(testConfig.DATABASE_URL);
  url.pathname = '/postgres';
  const client = new PgClient({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function tables(db: Knex): Promise<string[]> {
  const { rows } = await db.raw<{ rows: { tablename: string }[] }>(
    "select tablename from pg_tables where schemaname = 'public' and tablename not like 'knex_%' order by 1",
  );
  return rows.map((r) => r.tablename);
}

describe('migrations', () => {
  const name = `ba_scratch_${randomBytes(4).toString('hex')}`;
  let db: Knex;

  before(async () => {
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    const url = new URL(testConfig.DATABASE_URL);
    url.pathname = `/${name}`;
    db = createDb({ url: url.toString(), poolMax: 1 });
  });

  after(async () => {
    await db?.destroy();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });

  it('when a scratch database is migrated up, down and up again, then the whole schema comes and goes cleanly', async () => {
    await db.migrate.latest();
    assert.deepEqual(await tables(db), [...TABLES].sort());

    await db.migrate.rollback(undefined, true);
    assert.deepEqual(await tables(db), [], 'down removes every table');

    await db.migrate.latest();
    assert.deepEqual(await tables(db), [...TABLES].sort());
  });

  it('when migrated, then user_limits holds the plan table (-1 = unlimited)', async () => {
    const plans = await db('user_limits')
      .select('plan', 'maxBloggers', 'maxVideosPerDay', 'trendWatchEnabled', 'apiRateLimit')
      .orderBy('maxBloggers');
    assert.deepEqual(plans, [
      { plan: 'enterprise', maxBloggers: -1, maxVideosPerDay: -1, trendWatchEnabled: true, apiRateLimit: -1 },
      { plan: 'free', maxBloggers: 5, maxVideosPerDay: 100, trendWatchEnabled: false, apiRateLimit: 100 },
      { plan: 'pro', maxBloggers: 50, maxVideosPerDay: 1000, trendWatchEnabled: true, apiRateLimit: 1000 },
    ]);
  });

  it("when migrated, then user_limits holds each plan's alert rules and webhooks (-1 = unlimited)", async () => {
    const plans = await db('user_limits').select('plan', 'maxAlertRules', 'maxWebhooks').orderBy('plan');
    assert.deepEqual(plans, [
      { plan: 'enterprise', maxAlertRules: -1, maxWebhooks: -1 },
      { plan: 'free', maxAlertRules: 3, maxWebhooks: 1 },
      { plan: 'pro', maxAlertRules: 50, maxWebhooks: 10 },
    ]);
  });

  it('when a snapshot slot is written twice for one video, then the unique (video, slot) constraint refuses it', async () => {
    const [video] = await db('trend_videos')
      .insert({ platform: 'youtube', platformVideoId: 'abc123def45', creatorId: 'UC1', publishedAt: new Date() })
      .returning('id');
    const row = { videoId: video.id, slot: 0, takenAt: new Date(), views: 10 };
    await db('trend_snapshots').insert(row);
    await assert.rejects(db('trend_snapshots').insert(row), /trend_snapshots_video_id_slot_unique/);
  });

  it('when two users register the same email in different case, then the second is refused', async () => {
    await db('users').insert({ email: 'Same@Example.com', passwordHash: 'x' });
    await assert.rejects(db('users').insert({ email: 'same@example.com', passwordHash: 'x' }), /users_email_lower_unique/);
  });

  it('when account self-service is migrated onto existing accounts, then they count as verified; accounts registered later do not', async () => {
    const name = '20261130140000_account_self_service.ts';
    await db.migrate.down({ name });
    await db('users').insert({ email: 'before-verification@example.com', passwordHash: 'x' });
    await db.migrate.up({ name });
    await db('users').insert({ email: 'after-verification@example.com', passwordHash: 'x' });
    const rows = await db('users').whereIn('email', ['before-verification@example.com', 'after-verification@example.com']).orderBy('id');
    assert.deepEqual(
      rows.map((r: { email: string; emailVerifiedAt: Date | null }) => [r.email, r.emailVerifiedAt instanceof Date]),
      [
        ['before-verification@example.com', true],
        ['after-verification@example.com', false],
      ],
    );
  });
});

describe('migration names', () => {
  it('when migrations run compiled from dist/ (.js), then they carry the names of the source tree (.ts), so a database migrated either way stays consistent', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
    try {
      for (const f of [
        '20260101000000_first.js',
        '20260102000000_second.js',
        '20260101000000_first.d.ts',
        '20260101000000_first.js.map',
        'README.md',
      ]) {
        writeFileSync(path.join(dir, f), f.endsWith('.js') ? 'exports.up = async () => {}; exports.down = async () => {};' : '');
      }
      const source = new MigrationFiles(dir);
      const files = await source.getMigrations();
      assert.deepEqual(files, ['20260101000000_first.js', '20260102000000_second.js']);
      assert.deepEqual(
        files.map((f) => source.getMigrationName(f)),
        ['20260101000000_first.ts', '20260102000000_second.ts'],
      );
      assert.equal(typeof (await source.getMigration(files[0]!)).up, 'function');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when the source tree is listed, then every migration is there by its own .ts name', async () => {
    const source = new MigrationFiles();
    const names = (await source.getMigrations()).map((f) => source.getMigrationName(f));
    assert.ok(names.length >= 6 && names.every((n) => /^\d{14}_\w+\.ts$/.test(n)), names.join(', '));
  });
});

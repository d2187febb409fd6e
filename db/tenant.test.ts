import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../lib/config';
import { createDb, type Knex } from '.';
import { Blogger, User } from './models';
import { assertRowLevelSecurity, TENANT_TABLES, UnsafeDatabaseRoleError, withTenant } from './tenant';
import { testConfig, testDb, testAppDb } from '../test/harness';

describe('row-level security (second wall of tenant isolation)', () => {
  let alice: User;
  let bob: User;

  before(async () => {
    const db = testDb(); // the owner: sets up rows regardless of policies
    [alice, bob] = (await Promise.all(
      ['alice', 'bob'].map((n) => User.query(db).insertAndFetch({ email: `${n}-${randomUUID()}@example.com`, passwordHash: 'x' })),
    )) as [User, User];
    await Blogger.query(db).insert([
      { userId: alice.id, name: 'Alice blogger 1' },
      { userId: alice.id, name: 'Alice blogger 2' },
      { userId: bob.id, name: 'Bob blogger' },
    ]);
  });
  after(async () => {
    await User.query(testDb()).delete().whereIn('id', [alice.id, bob.id]);
  });

  it('when the app role queries a tenant table without the setting, then it sees no rows at all', async () => {
    const rows = await testAppDb().raw('select * from bloggers');
    assert.equal(rows.rows.length, 0);
    const owner = await testDb()('bloggers').whereIn('userId', [alice.id, bob.id]);
    assert.equal(owner.length, 3, 'the rows do exist');
  });

  it("when the setting names a user, then only that user's rows are visible", async () => {
    const names = await withTenant(testAppDb(), { userId: alice.id }, (trx) => Blogger.query(trx).select('name').orderBy('name'));
    assert.deepEqual(
      names.map((b) => b.name),
      ['Alice blogger 1', 'Alice blogger 2'],
    );
  });

  it('when a tenant tries to insert or move a row into another tenant, then PostgreSQL refuses it', async () => {
    await assert.rejects(
      withTenant(testAppDb(), { userId: alice.id }, (trx) => Blogger.query(trx).insert({ userId: bob.id, name: 'sneaky' })),
      /row-level security/,
    );
    const moved = await withTenant(testAppDb(), { userId: alice.id }, (trx) =>
      Blogger.query(trx)
        .patch({ userId: bob.id } as Partial<Blogger>)
        .where('userId', alice.id)
        .catch((e: Error) => e),
    );
    assert.ok(moved instanceof Error && /row-level security/.test(moved.message));
  });

  it("when a pool of one connection serves A then an unscoped query, then A's tenant does not leak into the next", async () => {
    const single: Knex = createDb({ url: testConfig.appDatabaseUrl, poolMax: 1 });
    try {
      const seenByAlice = await withTenant(single, { userId: alice.id }, (trx) => Blogger.query(trx).resultSize());
      assert.equal(seenByAlice, 2);
      const pid = async (k: Knex) => (await k.raw('select pg_backend_pid() as pid')).rows[0].pid;
      const [afterPid, leaked] = [
        await pid(single),
        await single.raw("select current_setting('app.user_id', true) as uid, count(*)::int as n from bloggers"),
      ];
      assert.equal(leaked.rows[0].n, 0, 'same connection, no setting: nothing visible');
      assert.ok(!leaked.rows[0].uid, 'the setting ended with the transaction');
      const seenByBob = await withTenant(single, { userId: bob.id }, (trx) => Blogger.query(trx).resultSize());
      assert.equal(seenByBob, 1);
      assert.equal(await pid(single), afterPid, 'it really was one connection');
    } finally {
      await single.destroy();
    }
  });

  it('when the app role tries to bypass RLS or change plans, then it lacks the rights', async () => {
    const role = (await testAppDb().raw('select rolbypassrls, rolsuper from pg_roles where rolname = current_user')).rows[0];
    assert.deepEqual(role, { rolbypassrls: false, rolsuper: false });
    const owner = (await testAppDb().raw("select tableowner from pg_tables where tablename = 'bloggers'")).rows[0].tableowner;
    assert.notEqual(owner, testConfig.appDatabaseUrl.match(/\/\/([^@:]+)/)![1]);
    await assert.rejects(testAppDb()('user_limits').update({ apiRateLimit: -1 }).where('plan', 'free'), /permission denied/);
  });
});

describe('row-level security cannot be silently off', function () {
  this.timeout(60_000);

  /** A throw-away login role on the test database (roles are cluster-wide: unique name, dropped after). */
  async function withRole<T>(attributes: string, work: (db: Knex, role: string) => Promise<T>): Promise<T> {
    const role = `rls_probe_${randomUUID().slice(0, 8)}`;
    await testDb().raw(`CREATE ROLE ${role} LOGIN ${attributes}`);
    await testDb().raw(`DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${role}', current_database()); END $$`);
    const url = new URL(testConfig.DATABASE_URL);
    url.username = role;
    const db = createDb({ url: url.toString(), poolMax: 1 });
    try {
      return await work(db, role);
    } finally {
      await db.destroy();
      await testDb().raw(`DROP OWNED BY ${role}`);
      await testDb().raw(`DROP ROLE ${role}`);
    }
  }

  const refusal = (pattern: RegExp) => (err: unknown) => {
    assert.ok(err instanceof UnsafeDatabaseRoleError, String(err));
    assert.match(err.message, /^Refusing to start: tenant isolation by row-level security would be off/);
    assert.match(err.message, pattern);
    assert.match(err.message, /APP_DATABASE_URL/);
    return true;
  };

  it('when the tenant tables are inspected, then row-level security is enabled and forced on each', async () => {
    const { rows } = await testDb().raw(
      "select relname, relrowsecurity, relforcerowsecurity from pg_class where relname = any(?) and relnamespace = 'public'::regnamespace order by 1",
      [[...TENANT_TABLES]],
    );
    assert.deepEqual(
      rows,
      [...TENANT_TABLES].sort().map((relname) => ({ relname, relrowsecurity: true, relforcerowsecurity: true })),
    );
  });

  it('when the start-up check runs as the app role, then it passes', async () => {
    await assertRowLevelSecurity(testAppDb());
  });

  it("when it runs as a superuser (the migrations' owner), then it refuses with a clear error", async () => {
    await assert.rejects(assertRowLevelSecurity(testDb()), refusal(/is a superuser/));
  });

  it('when it runs as a role with BYPASSRLS, then it refuses', async () => {
    await withRole('NOSUPERUSER BYPASSRLS', (db) => assert.rejects(assertRowLevelSecurity(db), refusal(/has BYPASSRLS/)));
  });

  it('when it runs as a role that owns a table, then it refuses and names the table', async () => {
    const table = `rls_probe_owned_${randomUUID().slice(0, 8)}`;
    await withRole('NOSUPERUSER NOBYPASSRLS', async (db, role) => {
      await testDb().raw(`CREATE TABLE ${table} (id int)`);
      try {
        await testDb().raw(`ALTER TABLE ${table} OWNER TO ${role}`);
        await assert.rejects(assertRowLevelSecurity(db), refusal(new RegExp(`owns .*${table}`)));
      } finally {
        await testDb().raw(`DROP TABLE ${table}`);
      }
    });
  });

  it('when row-level security is not forced on a tenant table, then the app role is refused too', async () => {
    await testDb().raw('ALTER TABLE usage_daily NO FORCE ROW LEVEL SECURITY');
    try {
      await assert.rejects(assertRowLevelSecurity(testAppDb()), refusal(/not forced on usage_daily/));
    } finally {
      await testDb().raw('ALTER TABLE usage_daily FORCE ROW LEVEL SECURITY');
    }
  });

  describe('at start-up', () => {
    const run = promisify(execFile);
    const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
    for (const [name, entry] of [
      ['API', 'api/server.ts'],
      ['worker', 'temporal/worker.ts'],
    ] as const) {
      it(`when the ${name} is given the owner's (superuser) connection as its app connection, then it exits non-zero saying why`, async () => {
        const env = {
          ...process.env,
          NODE_ENV: 'test',
          LOG_LEVEL: 'silent',
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: testConfig.DATABASE_URL,
          APP_DATABASE_URL: testConfig.DATABASE_URL,
          REDIS_URL: testConfig.REDIS_URL,
          TEMPORAL_NAMESPACE: testConfig.TEMPORAL_NAMESPACE,
          TEMPORAL_TASK_QUEUE: `rls-refusal-${randomUUID()}`,
          SCHEDULES_ENABLED: 'false',
        };
        await assert.rejects(
          run(tsx, [path.join(PROJECT_ROOT, entry)], { env, timeout: 45_000 }),
          (err: { code: number; stderr: string }) => {
            assert.equal(err.code, 1, err.stderr);
            assert.match(err.stderr, new RegExp(`${name}: Refusing to start: .*is a superuser`));
            return true;
          },
        );
      });
    }
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createDb, type Knex } from '.';
import { Blogger, User } from './models';
import { withTenant } from './tenant';
import { testConfig, testDb, testAppDb } from '../test/harness';

describe('row-level security (second wall of tenant isolation)', () => {
  let alice: User;
  let bob: User;

  before(async () => {
    const db = testDb(); // the owner: sets up rows regardless of policies
    [alice, bob] = await Promise.all(
      ['alice', 'bob'].map((n) => User.query(db).insertAndFetch({ email: `${n}-${randomUUID()}@example.com`, passwordHash: 'x' })),
    ) as [User, User];
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

  it('when the setting names a user, then only that user\'s rows are visible', async () => {
    const names = await withTenant(testAppDb(), { userId: alice.id }, (trx) => Blogger.query(trx).select('name').orderBy('name'));
    assert.deepEqual(names.map((b) => b.name), ['Alice blogger 1', 'Alice blogger 2']);
  });

  it('when a tenant tries to insert or move a row into another tenant, then PostgreSQL refuses it', async () => {
    await assert.rejects(
      withTenant(testAppDb(), { userId: alice.id }, (trx) => Blogger.query(trx).insert({ userId: bob.id, name: 'sneaky' })),
      /row-level security/,
    );
    const moved = await withTenant(testAppDb(), { userId: alice.id }, (trx) => Blogger.query(trx).patch({ userId: bob.id } as Partial<Blogger>).where('userId', alice.id).catch((e: Error) => e));
    assert.ok(moved instanceof Error && /row-level security/.test(moved.message));
  });

  it('when a pool of one connection serves A then an unscoped query, then A\'s tenant does not leak into the next', async () => {
    const single: Knex = createDb({ url: testConfig.appDatabaseUrl, poolMax: 1 });
    try {
      const seenByAlice = await withTenant(single, { userId: alice.id }, (trx) => Blogger.query(trx).resultSize());
      assert.equal(seenByAlice, 2);
      const pid = async (k: Knex) => (await k.raw('select pg_backend_pid() as pid')).rows[0].pid;
      const [afterPid, leaked] = [await pid(single), await single.raw("select current_setting('app.user_id', true) as uid, count(*)::int as n from bloggers")];
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

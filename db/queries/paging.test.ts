/** pageWithTotal and knexPageWithTotal against real PostgreSQL: the page and its total in one statement, and the edges. */
import assert from 'node:assert/strict';
import { User } from '../models';
import { resetDb, testDb } from '../../test/harness';
import { knexPageWithTotal, pageWithTotal } from './paging';

describe('pageWithTotal (real PostgreSQL)', () => {
  before(async () => {
    await resetDb();
    for (let i = 1; i <= 5; i++)
      await User.query(testDb()).insert({ email: `page${i}@example.com`, passwordHash: 'x', role: 'user', plan: 'free' });
  });
  after(() => resetDb());

  const users = () => User.query(testDb()).whereLike('email', 'page%').orderBy('email');

  it('when a middle page is asked, then it holds its rows and the total of all pages, and no helper column leaks', async () => {
    const { results, total } = await pageWithTotal(users(), 2, 2);
    assert.deepEqual(
      results.map((u) => u.email),
      ['page3@example.com', 'page4@example.com'],
    );
    assert.equal(total, 5);
    assert.ok(!('pageTotal' in results[0]!) && !('pageTotal' in results[0]!.$toDatabaseJson()));
    assert.ok(results[0]!.createdAt instanceof Date, 'whole rows, mapped as the model maps them');
  });

  it('when a page past the end or an empty list is asked, then the total is still exact', async () => {
    assert.deepEqual(await pageWithTotal(users(), 4, 2), { results: [], total: 5 });
    assert.deepEqual(await pageWithTotal(users().where('email', 'nobody'), 1, 2), { results: [], total: 0 });
  });

  it('when the query selects its own columns, then they are kept', async () => {
    const { results, total } = await pageWithTotal(users().select('id', 'email'), 1, 2);
    assert.deepEqual(Object.keys(results[0]!.$toDatabaseJson()).sort(), ['email', 'id']);
    assert.equal(total, 5);
  });
});

describe('knexPageWithTotal (real PostgreSQL)', () => {
  before(async () => {
    await resetDb();
    for (let i = 1; i <= 5; i++)
      await User.query(testDb()).insert({ email: `knexpage${i}@example.com`, passwordHash: 'x', role: 'user', plan: 'free' });
  });
  after(() => resetDb());

  const users = () => testDb()('users').whereLike('email', 'knexpage%').orderBy('email', 'desc');

  it("when a middle page is asked, then it holds whole rows in the caller's order and the total, without the helper column", async () => {
    const { results, total } = await knexPageWithTotal<{ email: string; pageTotal?: unknown }>(users(), 2, 2);
    assert.deepEqual(
      results.map((u) => u.email),
      ['knexpage3@example.com', 'knexpage2@example.com'],
    );
    assert.equal(total, 5);
    assert.ok(!('pageTotal' in results[0]!));
  });

  it('when a page past the end or an empty list is asked, then the total is still exact', async () => {
    assert.deepEqual(await knexPageWithTotal(users(), 4, 2), { results: [], total: 5 });
    assert.deepEqual(await knexPageWithTotal(users().where('email', 'nobody'), 1, 2), { results: [], total: 0 });
  });
});

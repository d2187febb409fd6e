import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Blogger, User } from '../models';
import { withTenant } from '../tenant';
import { testAppDb, testDb } from '../../test/harness';
import { createWithinPlanLimit, PlanLimitError } from './planLimits';

describe('plan limit helper', () => {
  let user: User;
  before(async () => {
    user = await User.query(testDb()).insertAndFetch({ email: `limits-${randomUUID()}@example.com`, passwordHash: 'x' });
  });
  after(async () => {
    await User.query(testDb()).deleteById(user.id);
  });

  const createBlogger = (name: string, limit: number) =>
    withTenant(testAppDb(), { userId: user.id }, (trx) =>
      createWithinPlanLimit(trx, {
        userId: user.id,
        plan: 'free',
        resource: 'bloggers',
        limit,
        noun: ['blogger', 'bloggers'],
        count: (t) => Blogger.query(t).where('userId', user.id).resultSize(),
        create: (t) => Blogger.query(t).insert({ userId: user.id, name }),
      }),
    );

  it('when twenty creates race at limit−1, then exactly one succeeds and the rest get plan_limit_reached', async () => {
    for (let i = 0; i < 4; i++) await createBlogger(`seed ${i}`, 5);
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => createBlogger(`racer ${i}`, 5)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 1);
    assert.equal(refused.length, 19);
    for (const r of refused) {
      assert.ok(r.reason instanceof PlanLimitError, String(r.reason));
      assert.match(r.reason.message, /free plan allows 5 bloggers and you have 5/);
    }
    assert.equal(await Blogger.query(testDb()).where('userId', user.id).resultSize(), 5);
  });

  it('when the limit is -1 (unlimited), then creates are never refused', async () => {
    await createBlogger('beyond', -1);
    assert.equal(await Blogger.query(testDb()).where('userId', user.id).resultSize(), 6);
  });

  it('when the limit is one or none, then the refusal counts in plain words', async () => {
    const refusal = async (limit: number) => {
      const err = await createBlogger('one too many', limit).then(
        () => assert.fail('created beyond the limit'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof PlanLimitError, String(err));
      return err.message;
    };
    assert.match(await refusal(1), /free plan allows 1 blogger and you have 6\. Remove one, or move to a larger plan\./);
    await Blogger.query(testDb()).where('userId', user.id).delete();
    assert.equal(await refusal(0), 'Your free plan allows no bloggers and you have 0. Move to a larger plan.');
  });
});

/**
 * The quota ledger's per-tenant accounting, capped purposes (manual discovery) and the fair share
 * policy, against real Redis (a key prefix of its own, removed afterwards).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { testRedis } from '../test/harness';
import { PlatformError } from './errors';
import { fairShare, outsideQuotaScope, QuotaLedger, withQuotaScope, type QuotaBucket } from './quota';

const bucket = (limit: number): QuotaBucket => ({ platform: 'youtube', name: 'units', limit, resetTimeZone: 'America/Los_Angeles' });

describe('quota ledger: per-tenant use and capped purposes', () => {
  const prefix = `test:quota:${randomUUID()}`;
  const ledger = new QuotaLedger(testRedis(), () => new Date(), prefix);
  after(async () => {
    const keys = await testRedis().keys(`${prefix}:*`);
    if (keys.length) await testRedis().del(...keys);
  });

  it("when calls run in tenants' scopes, then each tenant's use is counted for the day; calls outside any scope charge no tenant", async () => {
    const units = { ...bucket(100), name: `units-${randomUUID()}` };
    await withQuotaScope({ tenantId: 7 }, async () => {
      await ledger.reserve(units, 3);
      // A call shared by tenants (the batcher) runs outside the scope; the caller charges its part.
      await outsideQuotaScope(() => ledger.reserve(units, 1));
      await ledger.chargeTenant(units, 7, 1);
    });
    await withQuotaScope({ tenantId: 8 }, () => ledger.reserve(units, 2));
    await ledger.reserve(units, 5); // Trend Watch: nobody's tenant
    assert.deepEqual(Object.fromEntries(await ledger.usageByTenant(units)), { 7: 4, 8: 2 });
    assert.equal((await ledger.usage(units)).used, 11);
  });

  it('when manual calls reach their share of a bucket, then they are refused and the rest stays for scheduled calls', async () => {
    const search = { ...bucket(10), name: `search-${randomUUID()}` };
    const manual = { name: 'manual', share: 0.2 };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 25 }, () => withQuotaScope({ capped: manual }, () => ledger.reserve(search, 1))),
    );
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 2, 'two of ten calls for manual runs');
    const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!.reason as PlatformError;
    assert.equal(refused.kind, 'quota_exhausted');
    assert.match(refused.message, /manual calls may use 2 of the 10 daily search-.*the rest is kept for scheduled work/);
    assert.deepEqual(await ledger.cappedUsage(search, manual), {
      used: 2,
      limit: 2,
      remaining: 0,
      resetAt: (await ledger.usage(search)).resetAt,
    });
    assert.equal((await ledger.usage(search)).remaining, 8);
    for (let i = 0; i < 8; i++) await ledger.reserve(search, 1); // the schedule can still spend all of its part
    await assert.rejects(ledger.reserve(search, 1), /daily search-.* quota would be exceeded/);
  });
});

describe('fair share of a daily bucket among tenants', () => {
  const used = (...counts: number[]) => counts.map((u) => ({ used: u }));

  it('when nobody has used anything, then each tenant may use its equal split and the rest is held for the others', () => {
    assert.deepEqual(fairShare({ limit: 100, used: 0, mine: { used: 0 }, others: used(0, 0, 0) }), {
      allowance: 25,
      equalSplit: 25,
      heldForOthers: 75,
    });
  });

  it('when a tenant has used its equal split while others have not, then it gets nothing more of theirs', () => {
    assert.equal(fairShare({ limit: 100, used: 25, mine: { used: 25 }, others: used(0, 0, 0) }).allowance, 0);
    assert.equal(fairShare({ limit: 100, used: 45, mine: { used: 25 }, others: used(20, 0, 0) }).allowance, 0);
    assert.equal(
      fairShare({ limit: 100, used: 40, mine: { used: 0 }, others: used(40) }).allowance,
      50,
      'another tenant past its split cannot take mine',
    );
  });

  it('when the others need less than their split before the reset, then what they do not need is spare for a busy tenant', () => {
    // Two others with one small blogger each: 6 units each until the reset, not their 33.
    const others = [
      { used: 2, demand: 6 },
      { used: 0, demand: 6 },
    ];
    assert.deepEqual(fairShare({ limit: 100, used: 40, mine: { used: 38, demand: 500 }, others }), {
      allowance: 48,
      equalSplit: 33,
      heldForOthers: 12,
    });
  });

  it('when other work spent the bucket below what tenants are owed, then what is left is split in proportion to what each is owed', () => {
    // Trend Watch used 90 of 100: two tenants owed 50 each share the 10 left.
    assert.equal(fairShare({ limit: 100, used: 90, mine: { used: 0 }, others: used(0) }).allowance, 5);
    assert.equal(
      fairShare({ limit: 100, used: 95, mine: { used: 50 }, others: used(0) }).allowance,
      0,
      'a tenant past its split gets nothing while others are owed',
    );
  });
});

/**
 * A tenant's part of a platform's daily quota (see fairShare in platforms/quota.ts for the policy),
 * shared by the sync activity (may this sync call the platform?) and the API (why did my sync
 * wait?). The tenants owed a share are the users with active bloggers linked on the platform.
 */
import type { Knex } from 'knex';
import type { PlatformName } from '../../lib/domain/platforms';
import { withTenant } from '../tenant';
import { fairShare, type QuotaBucket, type QuotaLedger } from '../../platforms/quota';

export interface TenantQuota {
  platform: PlatformName;
  /** The daily bucket, e.g. 'units' (YouTube) or 'requests' (TikTok). */
  bucket: string;
  /** The whole day's budget and what everyone (Trend Watch included) has used of it. */
  limit: number;
  usedByAll: number;
  /** What this tenant's syncs used today, and what it may still use. */
  usedByYou: number;
  yourAllowance: number;
  equalSplit: number;
  tenants: number;
  resetAt: string;
}

/** Users with active bloggers whose link on the platform is in use or will be retried, and how many such bloggers each has. */
export async function tenantsOnPlatform(db: Knex, platform: PlatformName): Promise<Map<number, number>> {
  const rows = (await withTenant(db, { admin: true }, (trx) =>
    trx('bloggers')
      .join('users', 'users.id', 'bloggers.userId')
      .select('bloggers.userId as userId')
      .count('* as bloggers')
      .groupBy('bloggers.userId')
      .where('bloggers.isActive', true)
      .where('users.isActive', true)
      .whereRaw(
        "bloggers.platform_links -> ? is not null and (bloggers.platform_links -> ? ->> 'state' <> 'broken' or bloggers.platform_links -> ? ->> 'retryAt' is not null)",
        [platform, platform, platform],
      ),
  )) as { userId: number; bloggers: number }[];
  return new Map(rows.map((r) => [r.userId, r.bloggers]));
}

/** How a tenant's demand for the rest of the quota day is estimated: each blogger syncs every interval at about this cost. */
export interface SyncDemand {
  callsPerSync: number;
  /** Data time between two syncs of a blogger (the quota day is data time too). */
  syncIntervalMs: number;
}

export async function tenantQuota(
  db: Knex,
  ledger: QuotaLedger,
  bucket: QuotaBucket,
  userId: number,
  demand: SyncDemand | undefined,
  /** Data time now (lib/clock.ts). */
  now: number,
): Promise<TenantQuota> {
  const [tenants, usage, byTenant] = await Promise.all([
    tenantsOnPlatform(db, bucket.platform),
    ledger.usage(bucket),
    ledger.usageByTenant(bucket),
  ]);
  const syncsLeft = demand ? Math.max(1, Math.ceil((Date.parse(usage.resetAt) - now) / demand.syncIntervalMs)) : 0;
  const useOf = (id: number) => ({
    used: byTenant.get(id) ?? 0,
    ...(demand ? { demand: (tenants.get(id) ?? 1) * demand.callsPerSync * syncsLeft } : {}),
  });
  const others = [...tenants.keys()].filter((id) => id !== userId).map(useOf);
  const mine = useOf(userId);
  const share = fairShare({ limit: bucket.limit, used: usage.used, mine, others });
  return {
    platform: bucket.platform,
    bucket: bucket.name,
    limit: bucket.limit,
    usedByAll: usage.used,
    usedByYou: mine.used,
    yourAllowance: share.allowance,
    equalSplit: share.equalSplit,
    tenants: others.length + 1,
    resetAt: usage.resetAt,
  };
}

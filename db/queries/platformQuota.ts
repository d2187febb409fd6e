/**
 * A tenant's part of a platform's daily quota (see fairShare in platforms/quota.ts for the policy),
 * shared by the sync activity (may this sync call the platform?) and the API (why did my sync
 * wait?). The tenants owed a share are the users with active bloggers linked on the platform.
 */
import type { Knex } from 'knex';
import type { Platform } from '../models';
import { withTenant } from '../tenant';
import { fairShare, type QuotaBucket, type QuotaLedger } from '../../platforms/quota';

export interface TenantQuota {
  platform: Platform;
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

/** Users with an active blogger whose link on the platform is in use or will be retried. */
export async function tenantsOnPlatform(db: Knex, platform: Platform): Promise<number[]> {
  const rows = await withTenant(db, { admin: true }, (trx) =>
    trx('bloggers').join('users', 'users.id', 'bloggers.userId').distinct('bloggers.userId as userId')
      .where('bloggers.isActive', true).where('users.isActive', true)
      .whereRaw("bloggers.platform_links -> ? is not null and (bloggers.platform_links -> ? ->> 'state' <> 'broken' or bloggers.platform_links -> ? ->> 'retryAt' is not null)", [platform, platform, platform])) as { userId: number }[];
  return rows.map((r) => Number(r.userId));
}

export async function tenantQuota(db: Knex, ledger: QuotaLedger, bucket: QuotaBucket, userId: number): Promise<TenantQuota> {
  const [tenants, usage, byTenant] = await Promise.all([tenantsOnPlatform(db, bucket.platform), ledger.usage(bucket), ledger.usageByTenant(bucket)]);
  const others = tenants.filter((id) => id !== userId).map((id) => byTenant.get(id) ?? 0);
  const mine = byTenant.get(userId) ?? 0;
  const share = fairShare({ limit: bucket.limit, used: usage.used, mine, others });
  return {
    platform: bucket.platform, bucket: bucket.name, limit: bucket.limit, usedByAll: usage.used, usedByYou: mine,
    yourAllowance: share.allowance, equalSplit: share.equalSplit, tenants: others.length + 1, resetAt: usage.resetAt,
  };
}

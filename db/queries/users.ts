/** Questions about user accounts across tenants (admin statistics). */
import type { Knex } from 'knex';
import { User, type Role } from '../models';

/** How many users each plan has (plans without users are absent). */
export async function usersByPlan(db: Knex): Promise<Map<string, number>> {
  const rows = (await User.query(db).select('plan').count('* as count').groupBy('plan')) as unknown as { plan: string; count: number }[];
  return new Map(rows.map((r) => [r.plan, r.count]));
}

/** What an open event stream keeps checking about its user (api/stream): still there and active, signed out, which audiences. */
export interface StreamAccount {
  id: number;
  isActive: boolean;
  role: Role;
  sessionsRevokedAt: Date | null;
  trendWatchEnabled: boolean;
}

/** The accounts of many users in one query (users that no longer exist are absent). */
export async function streamAccounts(db: Knex, ids: number[]): Promise<Map<number, StreamAccount>> {
  if (ids.length === 0) return new Map();
  // Identifiers in camelCase: the connection maps them to snake_case columns and back.
  const rows = (await db('users')
    .join('userLimits', 'userLimits.plan', 'users.plan')
    .whereIn('users.id', ids)
    .select('users.id', 'users.isActive', 'users.role', 'users.sessionsRevokedAt', 'userLimits.trendWatchEnabled')) as StreamAccount[];
  return new Map(rows.map((r) => [r.id, { ...r, sessionsRevokedAt: r.sessionsRevokedAt ?? null }]));
}

/** Questions about user accounts across tenants (admin statistics). */
import type { Knex } from 'knex';
import { User } from '../models';

/** How many users each plan has (plans without users are absent). */
export async function usersByPlan(db: Knex): Promise<Map<string, number>> {
  const rows = (await User.query(db).select('plan').count('* as count').groupBy('plan')) as unknown as { plan: string; count: number }[];
  return new Map(rows.map((r) => [r.plan, r.count]));
}

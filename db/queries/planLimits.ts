/**
 * Plan limits that hold under concurrency. "Count, compare, insert" races: twenty parallel
 * creates at limit−1 would all see room. So the check runs inside the caller's transaction after
 * a transaction-scoped advisory lock on (resource, user): parallel creates of one user queue up
 * and each sees the rows the previous one committed; other users are not blocked.
 */
import type { Knex } from 'knex';
import { AppError } from '../../lib/errors';

/** Advisory-lock namespaces, one per limited resource (first key of pg_advisory_xact_lock). */
const LOCK_NAMESPACE = { bloggers: 1001, videosPerDay: 1002, alertRules: 1003, webhooks: 1004 } as const;
export type LimitedResource = keyof typeof LOCK_NAMESPACE;

export class PlanLimitError extends AppError {
  constructor(message: string, details: { resource: LimitedResource; limit: number; used: number; plan: string }) {
    super(403, 'plan_limit_reached', message, details);
  }
}

export interface PlanLimitCheck<T> {
  userId: number;
  plan: string;
  resource: LimitedResource;
  /** The plan's limit; -1 means unlimited. */
  limit: number;
  /** How many the user has now (runs under the lock, in the transaction). */
  count: (trx: Knex.Transaction) => PromiseLike<number>;
  /** Creates the new item (runs under the lock, in the transaction). */
  create: (trx: Knex.Transaction) => PromiseLike<T>;
  /** Human name for messages, singular and plural, e.g. ["blogger", "bloggers"]. */
  noun: readonly [one: string, many: string];
}

/** Runs `create` only when the user is under the limit; the caller's transaction holds the lock until it ends. */
export async function createWithinPlanLimit<T>(trx: Knex.Transaction, check: PlanLimitCheck<T>): Promise<T> {
  await trx.raw('select pg_advisory_xact_lock(?, ?)', [LOCK_NAMESPACE[check.resource], check.userId]);
  if (check.limit >= 0) {
    const used = await check.count(trx);
    if (used >= check.limit) {
      throw new PlanLimitError(
        `Your ${check.plan} plan allows ${counted(check.limit, check.noun)} and you have ${used}. ${used > 0 ? 'Remove one, or move' : 'Move'} to a larger plan.`,
        { resource: check.resource, limit: check.limit, used, plan: check.plan },
      );
    }
  }
  return check.create(trx);
}

/** "no webhooks", "1 webhook", "5 webhooks". */
function counted(n: number, [one, many]: readonly [string, string]): string {
  return n === 0 ? `no ${many}` : `${n} ${n === 1 ? one : many}`;
}

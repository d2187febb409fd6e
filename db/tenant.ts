/**
 * Runs work in one short transaction whose first statement sets the row-level security scope
 * (see the app_role_and_row_level_security migration). The settings are transaction-local
 * (`set_config(..., true)`), so they vanish at COMMIT/ROLLBACK and a pooled connection never
 * carries one request's tenant into the next.
 */
import type { Knex } from 'knex';

export type TenantScope = { userId: number } | { admin: true };

export async function setTenantScope(trx: Knex.Transaction, scope: TenantScope): Promise<void> {
  if ('userId' in scope) {
    if (!Number.isSafeInteger(scope.userId) || scope.userId <= 0) throw new Error(`invalid tenant user id: ${scope.userId}`);
    await trx.raw("select set_config('app.user_id', ?, true), set_config('app.admin', '', true)", [String(scope.userId)]);
  } else {
    await trx.raw("select set_config('app.user_id', '', true), set_config('app.admin', 'on', true)");
  }
}

export function withTenant<T>(db: Knex, scope: TenantScope, work: (trx: Knex.Transaction) => PromiseLike<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await setTenantScope(trx, scope);
    return await work(trx);
  });
}

/**
 * Runs work in one short transaction whose first statement sets the row-level security scope
 * (see the app_role_and_row_level_security migration). The settings are transaction-local
 * (`set_config(..., true)`), so they vanish at COMMIT/ROLLBACK and a pooled connection never
 * carries one request's tenant into the next.
 */
import type { Knex } from 'knex';

export type TenantScope = { userId: number } | { admin: true };

async function setTenantScope(trx: Knex.Transaction, scope: TenantScope): Promise<void> {
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

/** Tables whose rows belong to one tenant; the RLS migrations give each a tenant_isolation policy. */
export const TENANT_TABLES = [
  'bloggers',
  'video_history',
  'usage_daily',
  'account_tokens',
  'alert_rules',
  'alert_firings',
  'webhook_endpoints',
  'webhook_deliveries',
  'webhook_delivery_attempts',
  'blogger_follower_counts',
] as const;

export class UnsafeDatabaseRoleError extends Error {
  override name = 'UnsafeDatabaseRoleError';
}

/**
 * Refuses a connection on which row-level security would be silently off: a superuser, a role
 * with BYPASSRLS, a role that owns (or is a member of the owner of) a table, or tables whose RLS is
 * not enabled and forced. The API and worker run it at start-up; the error says what to fix.
 */
export async function assertRowLevelSecurity(db: Knex): Promise<void> {
  const role = (
    await db.raw<{ rows: { rolname: string; rolsuper: boolean; rolbypassrls: boolean }[] }>(
      'select rolname, rolsuper, rolbypassrls from pg_roles where rolname = current_user',
    )
  ).rows[0]!;
  const owned = (
    await db.raw<{ rows: { relname: string }[] }>(
      `select c.relname from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and pg_has_role(current_user, c.relowner, 'MEMBER')
      order by 1`,
    )
  ).rows.map((r) => r.relname);
  const tables = (
    await db.raw<{ rows: { relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }[] }>(
      "select relname, relrowsecurity, relforcerowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')",
    )
  ).rows;

  const problems: string[] = [];
  if (role.rolsuper) problems.push(`role "${role.rolname}" is a superuser`);
  if (role.rolbypassrls) problems.push(`role "${role.rolname}" has BYPASSRLS`);
  if (!role.rolsuper && owned.length) problems.push(`role "${role.rolname}" owns (or is a member of the owner of) ${owned.join(', ')}`);
  const missing = TENANT_TABLES.filter((t) => !tables.some((r) => r.relname === t && r.relrowsecurity));
  if (missing.length) problems.push(`row-level security is not enabled on ${missing.join(', ')} (run \`npm run migrate\`)`);
  const unforced = tables
    .filter((r) => r.relrowsecurity && !r.relforcerowsecurity)
    .map((r) => r.relname)
    .sort();
  if (unforced.length) problems.push(`row-level security is not forced on ${unforced.join(', ')} (run \`npm run migrate\`)`);
  if (problems.length) {
    throw new UnsafeDatabaseRoleError(
      `Refusing to start: tenant isolation by row-level security would be off on this database connection: ${problems.join('; ')}. ` +
        'Connect the API and worker as the app role (APP_DATABASE_URL; by default DATABASE_URL with the user blogger_app and APP_DATABASE_PASSWORD), ' +
        'which neither owns the tables nor bypasses row-level security; migrations keep running as the owner (DATABASE_URL).',
    );
  }
}

/**
 * The start-up check without blocking start-up on an unreachable database: retried until
 * PostgreSQL answers, then resolves (safe) or rejects with UnsafeDatabaseRoleError.
 */
export async function verifyRowLevelSecurityWhenReachable(db: Knex, onRetry: (err: Error) => void, retryMs = 2000): Promise<void> {
  for (;;) {
    try {
      return await assertRowLevelSecurity(db);
    } catch (err) {
      if (err instanceof UnsafeDatabaseRoleError) throw err;
      onRetry(err as Error);
      await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
    }
  }
}

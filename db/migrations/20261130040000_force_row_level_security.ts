/**
 * Row-level security that cannot be silently off:
 *  - FORCE ROW LEVEL SECURITY on every table that has RLS (bloggers, video_history, usage_daily,
 *    and any later one), so even the tables' owner is bound by the policies unless it is a
 *    superuser. (A migration that must touch every tenant's rows sets app.admin, see db/tenant.ts.)
 *  - the app role gets APP_DATABASE_PASSWORD when it is configured, so it can log in under
 *    password authentication (docker compose); `npm run migrate` re-applies it on every run.
 * The API and worker check all this at start-up (db/tenant.ts, assertRowLevelSecurity).
 */
import type { Knex } from 'knex';
import { getConfig, APP_DB_ROLE } from '../../lib/config';
import { setRolePassword } from '../appRole';

async function tablesWithRls(knex: Knex): Promise<string[]> {
  const { rows } = await knex.raw<{ rows: { relname: string }[] }>(
    "select c.relname from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and c.relrowsecurity order by 1",
  );
  return rows.map((r) => r.relname);
}

export async function up(knex: Knex): Promise<void> {
  for (const table of await tablesWithRls(knex)) await knex.raw('ALTER TABLE ?? FORCE ROW LEVEL SECURITY', [table]);
  const password = getConfig().APP_DATABASE_PASSWORD;
  if (password) await setRolePassword(knex, APP_DB_ROLE, password);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of await tablesWithRls(knex)) await knex.raw('ALTER TABLE ?? NO FORCE ROW LEVEL SECURITY', [table]);
  // The password stays: the role is cluster-wide and other databases may log in with it.
}

/**
 * Tenant isolation, second wall. The API and worker connect as `blogger_app`, a role that
 * neither owns the tables nor bypasses row-level security; migrations keep running as the owner.
 * Tenant tables get policies that read transaction-local settings (set by db/tenant.ts at the
 * start of each request's transaction):
 *   app.user_id  the caller's id: only rows with that user_id are visible or writable
 *   app.admin    'on' for admin requests and system jobs: every row
 * A missing or empty setting matches nothing, so a query that forgot to set it sees no rows.
 */
import type { Knex } from 'knex';

const ROLE = 'blogger_app';
const TENANT_TABLES = ['bloggers', 'video_history', 'usage_daily'];

export async function up(knex: Knex): Promise<void> {
  // Roles are cluster-wide (shared by the dev and test databases), so create only when missing.
  await knex.raw(`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}') THEN
        CREATE ROLE ${ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
      END IF;
    END $$`);
  await knex.raw(`DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${ROLE}', current_database()); END $$`);
  await knex.raw(`GRANT USAGE ON SCHEMA public TO ${ROLE}`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${ROLE}`);
  await knex.raw(`REVOKE ALL ON knex_migrations, knex_migrations_lock FROM ${ROLE}`);
  await knex.raw(`REVOKE INSERT, UPDATE, DELETE ON user_limits FROM ${ROLE}`);
  await knex.raw(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${ROLE}`);
  // Tables and sequences of later migrations get the same grants.
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${ROLE}`);
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${ROLE}`);

  await knex.raw(`
    CREATE FUNCTION app_user_id() RETURNS integer LANGUAGE sql STABLE AS
      $$ SELECT nullif(current_setting('app.user_id', true), '')::integer $$`);
  await knex.raw(`
    CREATE FUNCTION app_is_admin() RETURNS boolean LANGUAGE sql STABLE AS
      $$ SELECT coalesce(current_setting('app.admin', true), '') = 'on' $$`);

  for (const table of TENANT_TABLES) {
    await knex.raw(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
    await knex.raw(`
      CREATE POLICY tenant_isolation ON ${table}
        USING (app_is_admin() OR user_id = app_user_id())
        WITH CHECK (app_is_admin() OR user_id = app_user_id())`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TENANT_TABLES) {
    await knex.raw(`DROP POLICY IF EXISTS tenant_isolation ON ${table}`);
    await knex.raw(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
  }
  await knex.raw('DROP FUNCTION IF EXISTS app_is_admin()');
  await knex.raw('DROP FUNCTION IF EXISTS app_user_id()');
  await knex.raw(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${ROLE}`);
  await knex.raw(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${ROLE}`);
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM ${ROLE}`);
  await knex.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM ${ROLE}`);
  await knex.raw(`REVOKE USAGE ON SCHEMA public FROM ${ROLE}`);
  await knex.raw(`DO $$ BEGIN EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM ${ROLE}', current_database()); END $$`);
  // The role itself stays: other databases of the cluster (dev, test) may still use it.
}

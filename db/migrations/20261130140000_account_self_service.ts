/**
 * Account self-service by email (issue 14):
 *   users.email_verified_at   when the account proved it reads its mail (null: not yet). Accounts
 *                             that exist before this migration are taken as verified (their owners
 *                             were never asked), from the time of the migration.
 *   users.daily_digest        the user asked for the daily digest mail (off by default);
 *   users.digest_sent_on      the last day it was sent (at most one a day, claimed before sending).
 *   account_tokens            single-use tokens mailed to the account: password resets and email
 *                             verifications. Only a SHA-256 hash of a token is stored; a token
 *                             works until expires_at, once (used_at).
 *
 * account_tokens is a tenant table: user_id, a foreign key to users ON DELETE CASCADE, row-level
 * security forced like the other tenant tables. A token is looked up by its hash before anyone
 * knows whose it is, so that one lookup runs in the admin scope (api/auth/accountTokens.ts);
 * everything else runs in the user's scope. The app role's grants come from the default
 * privileges of the row-level security migration.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.timestamp('email_verified_at', { useTz: true });
    t.boolean('daily_digest').notNullable().defaultTo(false);
    t.date('digest_sent_on');
  });
  await knex.raw('CREATE INDEX users_daily_digest ON users (id) WHERE daily_digest');
  await knex('users').update({ email_verified_at: knex.fn.now() });

  await knex.schema.createTable('account_tokens', (t) => {
    t.bigIncrements('id');
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('purpose').notNullable();
    t.text('token_hash').notNullable().unique().comment('SHA-256 (hex) of the token; the token itself is only ever in the mail');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'purpose']);
  });
  await knex.raw(
    "ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check CHECK (purpose IN ('password_reset', 'email_verification'))",
  );
  await knex.raw('ALTER TABLE account_tokens ENABLE ROW LEVEL SECURITY');
  await knex.raw('ALTER TABLE account_tokens FORCE ROW LEVEL SECURITY');
  await knex.raw(`
    CREATE POLICY tenant_isolation ON account_tokens
      USING (app_is_admin() OR user_id = app_user_id())
      WITH CHECK (app_is_admin() OR user_id = app_user_id())`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('account_tokens');
  await knex.schema.alterTable('users', (t) => t.dropColumns('email_verified_at', 'daily_digest', 'digest_sent_on'));
}

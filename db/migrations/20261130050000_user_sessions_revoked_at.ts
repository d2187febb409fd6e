/**
 * users.sessions_revoked_at: access tokens issued at or before this instant stop working (the
 * auth middleware compares it with the token's iat on every request). Set when an account
 * changes hands (`admin:create --promote`), so its earlier sessions cannot ride on the new role.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.timestamp('sessions_revoked_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => t.dropColumn('sessions_revoked_at'));
}

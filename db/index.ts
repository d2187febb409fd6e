/**
 * Opens a PostgreSQL connection pool. Models are deliberately not bound to a global knex: every
 * query names its connection or transaction (`User.query(trx)`), because the app holds pools for
 * two roles (the schema owner and the row-level-security bound app role).
 */
import knex, { type Knex } from 'knex';
import { knexConfig, type DbOptions } from './knexfile';

export type { Knex };

export function createDb(options: DbOptions): Knex {
  return knex(knexConfig(options));
}

/** Applies every pending migration; returns the names applied. */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}

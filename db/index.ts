/** Opens the PostgreSQL connection pool and binds the Objection models to it. */
import knex, { type Knex } from 'knex';
import { Model } from 'objection';
import { knexConfig, type DbOptions } from './knexfile';

export type { Knex };

export function createDb(options: DbOptions): Knex {
  const db = knex(knexConfig(options));
  Model.knex(db);
  return db;
}

/** Applies every pending migration; returns the names applied. */
export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}

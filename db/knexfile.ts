/**
 * Knex configuration. Column names are snake_case in PostgreSQL and camelCase in code; the
 * mappers convert both ways for every query, models and raw knex alike.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { knexSnakeCaseMappers } from 'objection';
import { pgTypes } from './bigint';

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/**
 * The migrations, named as in the source tree (`<timestamp>_<name>.ts`) whether they run from
 * there (tsx) or compiled from dist/ (`.js`): knex records each name, and a database migrated one
 * way must not look "corrupt" (names it cannot find) when migrated or rolled back the other way.
 */
export class MigrationFiles implements Knex.MigrationSource<string> {
  constructor(private readonly directory: string = MIGRATIONS_DIR) {}

  async getMigrations(): Promise<string[]> {
    const files = readdirSync(this.directory).filter((f) => /^\d+_.*(?<!\.d)\.(ts|js)$/.test(f) && !/\.test\.(ts|js)$/.test(f));
    return files.sort();
  }

  getMigrationName(file: string): string {
    return file.replace(/\.js$/, '.ts');
  }

  async getMigration(file: string): Promise<Knex.Migration> {
    // require, as knex's own source does: it goes through tsx's loader for .ts under tsx and mocha.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(this.directory, file)) as Knex.Migration;
  }
}

export interface DbOptions {
  url: string;
  poolMax?: number;
  /** Name shown in pg_stat_activity, so operators see which process holds a connection. */
  applicationName?: string;
  /** Where knex's own warnings go (e.g. a failed connection attempt): the process's structured log. */
  logger?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

export function knexConfig({ url, poolMax = 10, applicationName = 'blogger-analytics', logger }: DbOptions): Knex.Config {
  return {
    ...(logger && {
      log: {
        warn: (message: unknown) => logger.warn({ knex: message }, 'database warning'),
        error: (message: unknown) => logger.error({ knex: message }, 'database error'),
        deprecate: (method: string, alternative: string) => logger.warn({ method, alternative }, 'knex deprecation'),
        debug: (message: unknown) => logger.debug({ knex: message }, 'database debug'),
      },
    }),
    client: 'pg',
    connection: {
      connectionString: url,
      application_name: applicationName,
      // A stopped or unreachable server must fail fast, never hang a request.
      connectionTimeoutMillis: 3000,
      statement_timeout: 30_000,
      types: pgTypes,
    },
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 5000,
    migrations: { migrationSource: new MigrationFiles(), tableName: 'knex_migrations' },
    ...knexSnakeCaseMappers(),
  };
}

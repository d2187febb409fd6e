/** Everything the API needs from the outside world, built once by server.ts (or by a test). */
import type { Client, Connection } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { PasswordHasher } from './auth/passwords';

export interface ApiDeps {
  config: Config;
  logger: Logger;
  db: Knex;
  redis: Redis;
  temporal: { connection: Connection; client: Client };
  /** Password hashing (bcrypt); tests hand in a counting spy. */
  passwords?: PasswordHasher;
}

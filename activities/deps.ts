/** What activities need from the outside world: narrow, so tests hand in real local services. */
import type { Knex } from 'knex';
import type { Logger } from '../lib/logger';

export interface ActivityDeps {
  db: Knex;
  logger: Logger;
}

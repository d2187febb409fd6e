/** Start-up guard shared by the API and worker entry points (see assertRowLevelSecurity). */
import type { Knex } from 'knex';
import type { Logger } from '../lib/logger';
import { verifyRowLevelSecurityWhenReachable } from './tenant';

/**
 * Ends the process with the reason when the app role could bypass row-level security. Resolves
 * once the check passed (retrying while PostgreSQL is unreachable): the API does not wait for it
 * (readiness reports a database that is down), the worker does, before it runs any activity.
 */
export function refuseUnsafeDatabaseRole(db: Knex, logger: Logger, processName: string): Promise<void> {
  return verifyRowLevelSecurityWhenReachable(db, (err) =>
    logger.warn({ err: err.message }, 'row-level security check: database not reachable yet, retrying'),
  )
    .then(() => logger.info('row-level security check passed'))
    .catch((err: Error) => {
      logger.fatal(err.message);
      console.error(`${processName}: ${err.message}`);
      process.exit(1);
    });
}

/**
 * Database migrations on DATABASE_URL.
 *
 *   npm run migrate            apply every pending migration (and set the app role's password
 *                              when APP_DATABASE_PASSWORD is configured)
 *   npm run migrate:rollback   undo the last batch
 */
import { createDb } from '../db';
import { setRolePassword } from '../db/appRole';
import { APP_DB_ROLE, getConfig } from '../lib/config';
import { exitWithReason } from './services';

async function main(command: string | undefined): Promise<void> {
  const config = getConfig();
  const db = createDb({ url: config.DATABASE_URL, poolMax: 1, applicationName: 'migrate' });
  try {
    if (command === 'rollback') {
      const [batch, names] = (await db.migrate.rollback()) as [number, string[]];
      console.log(names.length ? `rolled back batch ${batch}: ${names.join(', ')}` : 'nothing to roll back');
    } else {
      const [batch, names] = (await db.migrate.latest()) as [number, string[]];
      console.log(names.length ? `applied batch ${batch}: ${names.join(', ')}` : 'already up to date');
      if (config.APP_DATABASE_PASSWORD) {
        // Every run, not only the migration that first set it: a changed password takes effect.
        await setRolePassword(db, APP_DB_ROLE, config.APP_DATABASE_PASSWORD);
        console.log(`password of role ${APP_DB_ROLE} set from APP_DATABASE_PASSWORD`);
      }
    }
  } finally {
    await db.destroy();
  }
}

main(process.argv[2]).catch(exitWithReason);

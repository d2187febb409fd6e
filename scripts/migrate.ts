/**
 * Database migrations on DATABASE_URL.
 *
 *   npm run migrate            apply every pending migration
 *   npm run migrate:rollback   undo the last batch
 */
import { createDb } from '../db';
import { getConfig } from '../lib/config';
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
    }
  } finally {
    await db.destroy();
  }
}

main(process.argv[2]).catch(exitWithReason);

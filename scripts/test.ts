/**
 * `npm test`: everything the suite needs, then the suite.
 *   1. PostgreSQL, Redis and the Temporal dev server up (started when needed; see services.ts),
 *   2. a fresh test database, migrated to the latest schema, and an empty test Redis database,
 *   3. mocha over every suite, type-check and lint included (test/staticChecks.test.ts),
 *      ending with the line "N passed, N failed",
 *   4. the dev server stopped again if this run started it.
 * Extra arguments go to mocha, e.g. `npm test -- --grep cleanup`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import { migrateLatest, createDb } from '../db';
import { getConfig, PROJECT_ROOT } from '../lib/config';
import { ensureServices, exitWithReason, recreateDatabase } from './services';

const ALL_SUITES = '{lib,db,api,activities,workflows,temporal,platforms,events,notifications,scripts,test}/**/*.test.ts';

async function main(): Promise<number> {
  const config = getConfig();
  const services = await ensureServices(config, {
    databaseUrls: [config.TEST_DATABASE_URL],
    redisUrl: config.TEST_REDIS_URL,
    namespaces: [config.TEMPORAL_TEST_NAMESPACE],
  });
  try {
    await recreateDatabase(config.TEST_DATABASE_URL);
    // The test Redis database starts empty too: its keys name ids that the fresh database reuses.
    const redis = new Redis(config.TEST_REDIS_URL, { lazyConnect: true });
    await redis.connect();
    await redis.flushdb().finally(() => redis.quit());
    const db = createDb({ url: config.TEST_DATABASE_URL, poolMax: 1, applicationName: 'test-migrate' });
    try {
      await migrateLatest(db);
    } finally {
      await db.destroy();
    }
    console.log(`[test] test database ready (${config.TEST_DATABASE_URL.replace(/\/\/[^@]*@/, '//')})`);

    const mocha = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'mocha');
    const args = process.argv.slice(2);
    // Test files named on the command line run alone; otherwise every suite runs.
    if (!args.some((a) => a.endsWith('.ts'))) args.push(ALL_SUITES);
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(mocha, args, {
        cwd: PROJECT_ROOT,
        stdio: 'inherit',
        env: { ...process.env, NODE_ENV: 'test' },
      });
      child.on('error', reject);
      child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    });
    // Nothing is printed after mocha: its "N passed, N failed" line closes the run.
    return code;
  } finally {
    await services.stop();
  }
}

main().then((code) => process.exit(code), exitWithReason);

/**
 * Benchmark: snapshot ingest through the product's batched path against a raw COPY into the same
 * table on the same PostgreSQL (issue 13 target: ≥ 0.25 of COPY). bench/snapshotIngest/run.ts
 * says what each side does.
 *
 *   npm run bench:ingest
 *   npm run bench:ingest -- --videos 20000 --slots 10 --batch-size 50 --concurrency 8 --write-docs
 *
 * Runs on its own database (blogger_analytics_bench_ingest next to DATABASE_URL, made afresh;
 * `--database` names another).
 */
import { parseArgs } from 'node:util';
import { createDb, migrateLatest } from '../db';
import { getConfig } from '../lib/config';
import { ensurePostgres, exitWithReason, recreateDatabase } from '../scripts/services';
import { dedicatedUrl } from './dedicated';
import { machineDescription, writeDocsSection } from './docsSection';
import { runIngest, type IngestOptions } from './snapshotIngest/run';

const TARGET = 0.25;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      videos: { type: 'string', default: '20000' },
      slots: { type: 'string', default: '10' },
      'batch-size': { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '8' },
      database: { type: 'string', default: 'blogger_analytics_bench_ingest' },
      'write-docs': { type: 'boolean', default: false },
    },
  });
  const opts: IngestOptions = {
    videos: Number(values.videos),
    slots: Number(values.slots),
    batchSize: Number(values['batch-size']),
    concurrency: Number(values.concurrency),
  };
  const databaseUrl = dedicatedUrl(getConfig().DATABASE_URL, `/${values.database}`);
  await ensurePostgres(databaseUrl);
  await recreateDatabase(databaseUrl);
  const db = createDb({ url: databaseUrl, poolMax: opts.concurrency + 1, applicationName: 'bench-ingest' });
  try {
    await migrateLatest(db);
    const r = await runIngest(db, opts, (line) => console.error(`[bench:ingest] ${line}`));
    const verdict = r.ratio >= TARGET ? 'met' : 'not met';
    const lines = [
      `| rows | COPY | product (batches of ${opts.batchSize}, ${opts.concurrency} at once) | ÷ COPY | target ≥ ${TARGET} |`,
      '| --- | --- | --- | --- | --- |',
      `| ${r.rows.toLocaleString('en')} | ${Math.round(r.copyRowsPerSecond).toLocaleString('en')} rows/s (${r.copySeconds.toFixed(2)} s) | ${Math.round(r.productRowsPerSecond).toLocaleString('en')} rows/s (${r.productSeconds.toFixed(2)} s) | ${r.ratio.toFixed(2)} | ${verdict} |`,
    ];
    console.log(lines.join('\n'));
    if (values['write-docs']) {
      const command = `npm run bench:ingest -- --videos ${opts.videos} --slots ${opts.slots} --batch-size ${opts.batchSize} --concurrency ${opts.concurrency} --write-docs`;
      const body = [
        '## Snapshot ingest against raw COPY',
        '',
        `Machine: ${machineDescription()}. Command: \`${command}\`.`,
        '',
        `The same ${r.rows.toLocaleString('en')} snapshot rows (${opts.videos.toLocaleString('en')} live videos × ${opts.slots} slots, slot by slot) written into trend_snapshots by a raw COPY, then (table emptied) by the product's path: ${opts.concurrency} snapshot batches of ${opts.batchSize} in flight (a grid point's burst), each reading its state and writing through the worker's SnapshotStore, which merges the reads and the writes that reach it in the same turn of the event loop into statements of up to 200 rows (writeSnapshots: the video's row updated while live, which locks it, then each (video, slot) inserted once).`,
        '',
        ...lines,
      ].join('\n');
      console.log(`wrote ${await writeDocsSection('bench:ingest', body)}`);
    }
  } finally {
    await db.destroy();
  }
}

main().catch(exitWithReason);

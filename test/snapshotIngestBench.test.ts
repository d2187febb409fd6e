/**
 * A tiny run of the snapshot ingest benchmark (bench/snapshotIngest.ts), so it never rots: as its
 * own process on a database beside the test database (dropped afterwards), 200 videos × 2 slots. It checks that both sides wrote every row
 * and a ratio came out, never a figure.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../lib/config';
import { benchDatabaseBeside, testConfig } from './harness';

const run = promisify(execFile);

describe('snapshot ingest benchmark (tiny run, real PostgreSQL)', function () {
  this.timeout(120_000);
  const { name: database, drop } = benchDatabaseBeside('bench_ingest');
  after(drop);

  it('when it runs, then COPY and the product both write every row and their ratio is reported', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'bench/snapshotIngest.ts', '--videos', '200', '--slots', '2', '--database', database],
      { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: testConfig.TEST_DATABASE_URL } },
    );
    const row = stdout.split('\n').find((line) => /^\| 400 \|/.test(line));
    assert.ok(row, `a result row for 400 rows in:\n${stdout}`);
    const ratio = Number(row.split('|')[4]!.trim());
    assert.ok(ratio > 0 && Number.isFinite(ratio));
  });
});

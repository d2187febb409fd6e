/**
 * A tiny run of the trend-analysis benchmark (bench/trendAnalysis.ts), so it never rots: 1,000
 * videos (about 42,000 snapshots), one run each, as its own process on a database of its own
 * beside the test database (dropped afterwards). It checks that the analysis found the waves the
 * bench planted, that every reading was timed and every statement explained, never a figure.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../lib/config';
import { benchDatabaseBeside, testConfig } from './harness';

const run = promisify(execFile);

describe('trend-analysis benchmark (tiny run, real PostgreSQL and Redis)', function () {
  this.timeout(120_000);
  const { name: database, drop } = benchDatabaseBeside('bench_analysis');
  after(drop);

  it('when it runs, then the analysis finds every planted wave, and every reading is timed and every statement explained', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'bench/trendAnalysis.ts', '--videos', '1000', '--runs', '1', '--database', database],
      { cwd: PROJECT_ROOT, env: { ...process.env, DATABASE_URL: testConfig.TEST_DATABASE_URL }, maxBuffer: 16 * 1024 * 1024 },
    );
    const found = /bursting names found: (\d+) of (\d+) planted/.exec(stdout);
    assert.ok(found, stdout);
    assert.equal(found[1], found[2], 'every planted wave is a trend');

    const timings = stdout
      .split('\n')
      .filter((line) => /^\| `(analyzeTrends|followCandidates)/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    assert.deepEqual(
      timings.map((r) => [r[1], r[2]]),
      [
        ['`analyzeTrends` full run', '1'],
        ['`analyzeTrends` incremental run', '1'],
        ['`followCandidates` (one platform)', '2'],
      ],
    );
    for (const row of timings) assert.match(row[3]!, /^\d+ ms$/, `${row[1]} was timed`);

    const explained = stdout.split('\n').filter((line) => line.startsWith('EXPLAIN (ANALYZE, BUFFERS) '));
    assert.equal(explained.length, 9, 'the evidence statements, markTrendingVideos and the API’s names-in-window');
    for (const line of explained) assert.match(line, /execution \d+\.\d ms/);
  });
});

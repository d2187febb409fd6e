/**
 * A tiny run of the workflow memory benchmark (bench/workflowMemory.ts), so it never rots: as its
 * own process against the test's Temporal, 20 idle workflows per mode. It checks that both modes
 * held every workflow and reported a figure, never the figure itself.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../lib/config';
import { testConfig } from './harness';

const run = promisify(execFile);

describe('workflow memory benchmark (tiny run, real Temporal)', function () {
  this.timeout(180_000);

  it('when it runs, then each mode holds every workflow in its cache and reports its memory per workflow', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/workflowMemory.ts', '--workflows', '20'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: testConfig.TEMPORAL_ADDRESS,
        TEMPORAL_NAMESPACE: testConfig.TEMPORAL_NAMESPACE,
        DATABASE_URL: testConfig.TEST_DATABASE_URL,
        REDIS_URL: testConfig.REDIS_URL,
      },
    });
    const rows = stdout.split('\n').filter((line) => /^\| the (SDK's workflow thread|main isolate)/.test(line));
    assert.equal(rows.length, 2, stdout);
    for (const row of rows) {
      const cells = row.split('|').map((c) => c.trim());
      assert.equal(cells[2], '20', `every workflow cached: ${row}`);
      assert.match(cells[3]!, /^-?\d+ KiB$/);
    }
  });
});

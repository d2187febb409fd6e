/**
 * A tiny run of the API hot-path benchmark (bench/apiHotPath.ts), so it never rots: one second per
 * request, two connections, as its own process (it starts the bare handler and the real API as
 * processes of their own). It checks that every request was measured and answered without errors,
 * never a figure.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../lib/config';

const run = promisify(execFile);

describe('API hot-path benchmark (tiny run, real PostgreSQL and Redis)', function () {
  this.timeout(120_000);

  it('when it runs, then it measures the bare handler and the three API reads, each answered without errors', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/apiHotPath.ts', '--duration', '1', '--connections', '2'], {
      cwd: PROJECT_ROOT,
      env: process.env,
    });
    const rows = stdout
      .split('\n')
      .filter((line) => /^\| (bare|`GET)/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    assert.deepEqual(
      rows.map((r) => r[1]),
      [
        'bare Koa JSON',
        '`GET /api/auth/me` (enterprise, no rate limit)',
        '`GET /api/bloggers`',
        '`GET /api/bloggers/:id/stats` (Redis cache)',
      ],
    );
    for (const row of rows) {
      assert.ok(Number(row[2]!.replace(/,/g, '')) > 0, `${row[1]} was answered`);
      assert.equal(row[5], '0 / 0', `${row[1]}: no errors, every answer 2xx`);
    }
    assert.equal(rows[0]![3], '1.000');
  });
});

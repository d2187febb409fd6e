/**
 * One vocabulary per status: the database's check constraints allow exactly the words of the
 * domain lists that the workflows, activities and API use (lib/domain).
 */
import assert from 'node:assert/strict';
import { videosQuery, trendingQuery } from '../api/trends/schema';
import { TREND_STATUSES } from '../lib/domain/trendLifecycle';
import { TREND_VIDEO_STATUSES } from '../lib/domain/trendVideoStatus';
import { testDb } from '../test/harness';

async function allowedWords(table: string, column: string): Promise<string[]> {
  const { rows } = await testDb().raw<{ rows: { def: string }[] }>(
    `select pg_get_constraintdef(c.oid) as def from pg_constraint c
      where c.conrelid = ?::regclass and c.contype = 'c' and pg_get_constraintdef(c.oid) like ?`,
    [table, `%${column}%`],
  );
  assert.equal(rows.length, 1, `one check constraint on ${table}.${column}`);
  return [...rows[0]!.def.matchAll(/'([^']+)'/g)].map((m) => m[1]!).sort();
}

describe('status vocabulary', () => {
  it('when the schema is migrated, then trend_videos.status allows exactly the trend video statuses', async () => {
    assert.deepEqual(await allowedWords('trend_videos', 'status'), [...TREND_VIDEO_STATUSES].sort());
  });

  it('when the schema is migrated, then detected_trends.status allows exactly the trend lifecycle statuses (ended included)', async () => {
    assert.deepEqual(await allowedWords('detected_trends', 'status'), [...TREND_STATUSES].sort());
  });

  it('when the API filters by status, then it takes the same words (and trends also live/all)', () => {
    assert.deepEqual([...videosQuery.shape.status.unwrap().options].sort(), [...TREND_VIDEO_STATUSES].sort());
    assert.deepEqual([...trendingQuery.shape.status.removeDefault().options].sort(), [...TREND_STATUSES, 'all', 'live'].sort());
  });
});

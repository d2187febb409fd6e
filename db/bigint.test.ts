import assert from 'node:assert/strict';
import { testDb } from '../test/harness';

describe('bigint columns', () => {
  it('when a bigint (a count, a sum cast back, a bigserial id) is read, then it arrives as a number', async () => {
    const { rows } = await testDb().raw<{ rows: { c: unknown; s: unknown; big: unknown }[] }>(
      'select count(*) as c, sum(x)::bigint as s, 9007199254740991::bigint as big from (values (3000000000::bigint), (2)) v(x)',
    );
    assert.deepEqual(rows[0], { c: 2, s: 3000000002, big: Number.MAX_SAFE_INTEGER });
  });

  it('when a bigint is beyond what a number holds exactly, then its query fails instead of rounding', async () => {
    await assert.rejects(testDb().raw('select 9007199254740993::bigint as big'), /beyond the integers a number holds exactly/);
  });
});

import assert from 'node:assert/strict';
import { StatsBatcher } from './batcher';
import { PlatformError } from './errors';
import type { PlatformClient, VideoStats } from './types';

/** A platform that counts its calls, knows every id but the missing ones, and fails calls that `fail` picks. */
function countingClient(missing = new Set<string>(), fail?: (ids: string[]) => PlatformError | undefined) {
  const calls: string[][] = [];
  const client: PlatformClient = {
    platform: 'youtube',
    source: 'youtube-data-api-v3',
    capabilities: { views: 'all', likes: 'all', shares: false, discovery: true, maxBatchSize: 50, searchBy: [], notes: '' },
    resolveCreator: () => Promise.reject(new Error('unused')),
    listCreatorVideos: () => Promise.reject(new Error('unused')),
    discoverFresh: () => Promise.reject(new Error('unused')),
    searchFresh: () => Promise.reject(new Error('unused')),
    async getVideoStats(ids) {
      calls.push(ids);
      assert.ok(ids.length <= 50, 'never more than the platform allows');
      const failure = fail?.(ids);
      if (failure) throw failure;
      await new Promise((r) => setTimeout(r, 5));
      return new Map(
        ids
          .filter((id) => !missing.has(id))
          .map((id): [string, VideoStats] => [
            id,
            {
              platform: 'youtube',
              id,
              metrics: { views: id.length, likes: null, comments: null, shares: null },
              fetchedAt: new Date().toISOString(),
              source: 'youtube-data-api-v3',
            },
          ]),
      );
    },
  };
  return { client, calls };
}

describe('stats batcher', () => {
  it('when 500 single-id requests arrive together, then at most 11 upstream calls are made and each caller gets its own video', async () => {
    const { client, calls } = countingClient();
    const batcher = new StatsBatcher(client, { windowMs: 20 });
    const ids = Array.from({ length: 500 }, (_, i) => `video${String(i).padStart(6, '0')}`);
    const results = await Promise.all(ids.map((id) => batcher.get(id)));
    assert.ok(calls.length <= 11, `${calls.length} calls`);
    assert.deepEqual(
      results.map((r) => r.id),
      ids,
    );
    assert.equal(batcher.upstreamCalls, calls.length);
    assert.equal(batcher.idsRequested, 500);
  });

  it('when one id is missing upstream, then only its caller fails with not_found', async () => {
    const { client, calls } = countingClient(new Set(['gone']));
    const batcher = new StatsBatcher(client, { windowMs: 10 });
    const settled = await Promise.allSettled(['a', 'gone', 'b'].map((id) => batcher.get(id)));
    assert.equal(calls.length, 1);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    const reason = (settled[1] as PromiseRejectedResult).reason;
    assert.ok(reason instanceof PlatformError && reason.kind === 'not_found');
  });

  it('when one upstream call fails, then exactly the callers of that batch get its error', async () => {
    const outage = new PlatformError('youtube', 'retryable', 'HTTP 503');
    const { client, calls } = countingClient(new Set(), (ids) => (ids.includes('c') ? outage : undefined));
    const batcher = new StatsBatcher(client, { windowMs: 10, maxBatchSize: 2 });
    const settled = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((id) => batcher.get(id)));
    assert.deepEqual(calls, [['a', 'b'], ['c', 'd'], ['e']]);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled'],
    );
    for (const s of settled.filter((r) => r.status === 'rejected')) assert.equal(s.reason, outage);
  });

  it('when the same id is asked twice at once, then it is sent upstream once and both callers get it', async () => {
    const { client, calls } = countingClient();
    const batcher = new StatsBatcher(client, { windowMs: 10 });
    const [single, many] = await Promise.all([batcher.get('x'), batcher.getMany(['x', 'x', 'y'])]);
    assert.deepEqual(calls, [['x', 'y']]);
    assert.equal(batcher.idsRequested, 2);
    assert.equal(single.id, 'x');
    assert.equal((many.get('x') as VideoStats).id, 'x');
  });

  it('when several ids are asked at once and one is missing, then the map holds its not_found error next to the others', async () => {
    const { client } = countingClient(new Set(['gone']));
    const many = await new StatsBatcher(client, { windowMs: 0 }).getMany(['a', 'gone']);
    assert.equal((many.get('a') as VideoStats).id, 'a');
    const missing = many.get('gone');
    assert.ok(missing instanceof PlatformError && missing.kind === 'not_found');
  });
});

/**
 * The event bus on real Redis, below HTTP: publishing once per key, and a feed that stays whole
 * when its process's subscriber connection is lost and comes back (pub/sub drops what is sent
 * meanwhile; the feed reads it from the stream).
 */
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { audienceStreamKey, type ProductEventInput } from '../lib/domain/events';
import { eventually } from '../test/eventually';
import { testLogger, testRedis } from '../test/harness';
import { EventFeed, type FeedEntry } from './feed';
import { EventHub } from './hub';
import { publishEvent } from './publish';

/** A user id no other suite uses: its stream is this file's alone. */
const userId = 900_000_000 + Math.floor(Math.random() * 1_000_000);

const bus = () => ({ redis: testRedis(), logger: testLogger });

function event(n: number, key?: string): ProductEventInput {
  return {
    type: 'blogger.link_restored',
    audience: { userId },
    ...(key ? { key } : {}),
    data: { bloggerId: n, platform: 'youtube' },
  };
}

describe('event bus (events/: publish, hub, feed)', () => {
  let hub: EventHub;
  before(() => {
    hub = new EventHub(testRedis(), testLogger, { pingMs: 60_000, subscribeTimeoutMs: 2000 });
  });
  after(async () => {
    await hub.close();
    await testRedis().del(audienceStreamKey({ userId }));
  });

  it('when an event with a key is published twice (a retried activity), then the stream holds it once and both calls get its id', async () => {
    const first = await publishEvent(bus(), event(1, `once-${userId}`));
    const second = await publishEvent(bus(), event(1, `once-${userId}`));
    assert.ok(first);
    assert.equal(second, first);
    const entries = await testRedis().xrange(audienceStreamKey({ userId }), first!, first!);
    assert.equal(entries.length, 1);
  });

  it('when the subscriber connection is lost while events are published, then the feed catches up from the stream: every event once, in order', async () => {
    const delivered: FeedEntry[] = [];
    const failures: string[] = [];
    const feed = new EventFeed(
      { redis: testRedis(), hub },
      {
        deliver: (e) => void delivered.push(e),
        reset: () => void failures.push('reset'),
        fail: (reason) => void failures.push(reason),
      },
      { maxBufferBytes: 1 << 20 },
    );
    await feed.attach([{ userId }]);
    await feed.start(null);
    const numbers = () => delivered.map((e) => JSON.parse(e.event).data.bloggerId as number);
    for (let n = 10; n < 15; n++) await publishEvent(bus(), event(n));
    await eventually(
      async () => numbers().length,
      (count) => count === 5,
    );

    // The process's subscriber drops its connection; ioredis reconnects, the hub subscribes again and the feed resyncs.
    (hub as unknown as { subscriber: Redis }).subscriber.disconnect(true);
    for (let n = 15; n < 25; n++) await publishEvent(bus(), event(n));
    await eventually(
      async () => numbers().length,
      (count) => count >= 10,
      10_000,
    );
    for (let n = 25; n < 30; n++) await publishEvent(bus(), event(n));
    await eventually(
      async () => numbers().length,
      (count) => count >= 20,
      10_000,
    );
    assert.deepEqual(
      numbers(),
      Array.from({ length: 20 }, (_, i) => 10 + i),
    );
    assert.deepEqual(failures, []);
    assert.equal(delivered.at(-1)!.cursor, `u${userId}:${delivered.at(-1)!.id}`, 'each delivery carries the cursor after it');
    feed.close();
  });
});

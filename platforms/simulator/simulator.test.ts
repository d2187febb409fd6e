import assert from 'node:assert/strict';
import { PlatformError } from '../errors';
import { velocity } from '../../lib/domain/metrics';
import { createSimulator, personalTag } from '.';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 25, 12);

function sim(opts: { seed?: number; timeScale?: number; platform?: 'youtube' | 'tiktok' | 'instagram'; at?: () => number } = {}) {
  return createSimulator({ platform: opts.platform ?? 'youtube', seed: opts.seed ?? 42, creators: 60, timeScale: opts.timeScale ?? 1, clock: opts.at ?? (() => NOW) });
}

describe('simulator platform', () => {
  it('when two simulators share a seed, then they produce the same videos and the same metric series', async () => {
    const a = sim();
    const b = sim();
    const va = await a.discoverFresh({ publishedAfter: new Date(NOW - 3 * DAY), limit: 20 });
    const vb = await b.discoverFresh({ publishedAfter: new Date(NOW - 3 * DAY), limit: 20 });
    assert.deepEqual(va, vb);
    const series = (s: typeof a) => Promise.all([0, 2, 4, 6].map((h) => s.world.metrics(s.world.video(s.world.creators[3]!, 1000), NOW + h * HOUR)));
    assert.deepEqual(await series(a), await series(b));
  });

  it('when the seed differs, then the world differs', async () => {
    const [x] = await sim({ seed: 1 }).discoverFresh({ publishedAfter: new Date(NOW - DAY), limit: 1 });
    const [y] = await sim({ seed: 2 }).discoverFresh({ publishedAfter: new Date(NOW - DAY), limit: 1 });
    assert.notEqual(x!.id, y!.id);
  });

  it('when time passes, then views never decrease, and most videos slow down while some take off', () => {
    const s = sim();
    let decaying = 0;
    let takingOff = 0;
    for (const creator of s.world.creators.slice(0, 20)) {
      for (const video of s.world.videosOf(creator, NOW - 2 * DAY, NOW)) {
        const views = [0, 6, 12, 24, 36, 48].map((h) => s.world.metrics(video, video.publishedAt + h * HOUR).views!);
        for (let i = 1; i < views.length; i++) assert.ok(views[i]! >= views[i - 1]!, `views of ${video.k} decreased`);
        const early = views[2]! - views[1]!;
        const late = views[5]! - views[4]!;
        if (late < early) decaying++;
        else takingOff++;
      }
    }
    assert.ok(decaying > takingOff, `most decay (${decaying} vs ${takingOff})`);
    assert.ok(takingOff > 0, 'some take off');
  });

  it('when a seeded trend is emerging, then ≥ 3 creators use its hashtag and their summed velocity rises over a simulated day', async () => {
    const s = sim();
    const [trend] = s.world.emergingTrendsAt(NOW);
    assert.ok(trend, 'one of the three waves is always rising');
    const fresh = await s.discoverFresh({ publishedAfter: new Date(NOW - 2 * DAY), limit: 10_000 });
    const tagged = fresh.filter((v) => v.hashtags.includes(trend.hashtag));
    assert.ok(new Set(tagged.map((v) => v.creatorId)).size >= 3, 'several creators');

    const summedVelocity = (at: number) => s.world.creators
      .flatMap((c) => s.world.videosOf(c, at - 2 * DAY, at))
      .filter((v) => v.hashtags.includes(trend.hashtag))
      .reduce((sum, v) => sum + (velocity({ value: s.world.metrics(v, at - HOUR).views, at: at - HOUR }, { value: s.world.metrics(v, at).views, at }) ?? 0), 0);
    const start = summedVelocity(NOW - DAY);
    const end = summedVelocity(NOW);
    assert.ok(end > start, `summed velocity rose: ${start.toFixed(0)} → ${end.toFixed(0)} views/h`);
  });

  it("when a creator's own tag is counted, then only that creator ever uses it", async () => {
    const s = sim();
    const fresh = await s.discoverFresh({ publishedAfter: new Date(NOW - 7 * DAY), limit: 10_000 });
    const owner = fresh[0]!;
    const tag = personalTag(s.world.creatorByKey(s.world.creators.find((c) => owner.hashtags.includes(personalTag(c)))!.key));
    assert.deepEqual([...new Set(fresh.filter((v) => v.hashtags.includes(tag)).map((v) => v.creatorId))], [owner.creatorId]);
  });

  it('when any handle is resolved, then a believable creator comes back; reserved names are not found', async () => {
    const s = sim();
    const creator = await s.resolveCreator({ platform: 'youtube', kind: 'handle', value: 'somebody' });
    assert.match(creator.id, /^UC[A-Za-z0-9_-]{22}$/);
    assert.equal(creator.handle, 'somebody');
    assert.ok(creator.followers! > 0);
    assert.deepEqual(await s.resolveCreator({ platform: 'youtube', kind: 'channelId', value: creator.id }).then((c) => c.id), creator.id);
    const videos = await s.listCreatorVideos(creator.id, { since: new Date(NOW - 14 * DAY), limit: 5 });
    assert.ok(videos.length > 0 && videos.length <= 5);
    assert.ok(videos.every((v) => Date.parse(v.publishedAt) >= NOW - 14 * DAY));
    await assert.rejects(s.resolveCreator({ platform: 'youtube', kind: 'handle', value: 'notfound-x' }), (e: unknown) => e instanceof PlatformError && e.kind === 'not_found');
  });

  it('when stats are asked for known and unknown ids, then unknown ones are simply absent', async () => {
    const s = sim({ platform: 'tiktok' });
    const fresh = await s.discoverFresh({ publishedAfter: new Date(NOW - DAY), limit: 3 });
    assert.match(fresh[0]!.id, /^7\d{18}$/, 'TikTok ids are 19-digit strings');
    const stats = await s.getVideoStats([...fresh.map((v) => v.id), '7999999999999999999', 'garbage']);
    assert.deepEqual([...stats.keys()], fresh.map((v) => v.id));
    assert.equal(typeof stats.get(fresh[0]!.id)!.metrics.shares, 'number');
  });

  it('when Instagram photos are simulated, then their views are unknown (null), never 0', async () => {
    const s = sim({ platform: 'instagram' });
    const fresh = await s.discoverFresh({ publishedAfter: new Date(NOW - 7 * DAY), limit: 500 });
    const photo = fresh.find((v) => v.format === 'photo');
    const reel = fresh.find((v) => v.format === 'reel');
    assert.equal(photo?.metrics.views, null);
    assert.equal(typeof reel?.metrics.views, 'number');
  });

  it('when discovery is asked, then only videos published after the cut-off come back, at most the limit, most viewed first', async () => {
    const after = new Date(NOW - 12 * HOUR);
    const fresh = await sim().discoverFresh({ publishedAfter: after, limit: 7 });
    assert.equal(fresh.length, 7);
    assert.ok(fresh.every((v) => Date.parse(v.publishedAt) >= after.getTime()));
    const views = fresh.map((v) => v.metrics.views!);
    assert.deepEqual(views, [...views].sort((a, b) => b - a));
  });

  it('when the time scale is 1440, then a real minute ages a video by a simulated day', () => {
    const s = sim({ timeScale: 1440 });
    const video = s.world.video(s.world.creators[0]!, 5_000_000);
    assert.equal(s.world.ageHours(video, video.publishedAt + 60_000), 24);
  });
});

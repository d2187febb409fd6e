import assert from 'node:assert/strict';
import { velocity } from '../../lib/domain/metrics';
import { PlatformError } from '../errors';
import type { PlatformName, Video, VideoStats } from '../types';
import { createSimulator, personalTag, simulatorTrendSeeds, type SimulatorClient } from '.';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 25, 12);

/** A simulator whose clock the test moves (`s.at = …`). */
function sim(opts: { seed?: number; timeScale?: number; platform?: PlatformName; creators?: number } = {}) {
  const clock = { at: NOW };
  const client = createSimulator({
    platform: opts.platform ?? 'youtube',
    seed: opts.seed ?? 42,
    creators: opts.creators ?? 60,
    timeScale: opts.timeScale ?? 1,
    clock: () => clock.at,
  });
  return Object.assign(client, { clock });
}

/** getVideoStats for any number of ids, in batches the platform accepts. */
async function statsOf(s: SimulatorClient, ids: string[]): Promise<Map<string, VideoStats>> {
  const all = new Map<string, VideoStats>();
  for (let i = 0; i < ids.length; i += s.capabilities.maxBatchSize) {
    for (const [id, stats] of await s.getVideoStats(ids.slice(i, i + s.capabilities.maxBatchSize))) all.set(id, stats);
  }
  return all;
}

/** Views of each id at each of the times (null while the platform does not return it: not yet published, or deleted). */
async function viewSeries(s: ReturnType<typeof sim>, ids: string[], times: number[]): Promise<(number | null)[][]> {
  const series: (number | null)[][] = [];
  for (const at of times) {
    s.clock.at = at;
    const stats = await statsOf(s, ids);
    series.push(ids.map((id) => stats.get(id)?.metrics.views ?? null));
  }
  return series;
}

/** Summed views/hour between consecutive samples of the videos still there (a new one starts from 0). */
function summedVelocity(series: (number | null)[][], times: number[]): number[] {
  return times.slice(1).map((at, h) => {
    const gained = series[h + 1]!.reduce<number>((sum, views, i) => (views === null ? sum : sum + views - (series[h]![i] ?? 0)), 0);
    return velocity({ value: 0, at: times[h]! }, { value: gained, at })!;
  });
}

const hourly = (from: number, hours: number) => Array.from({ length: hours + 1 }, (_, h) => from + h * HOUR);
const creatorsOf = (videos: Video[]) => new Set(videos.map((v) => v.creatorId));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('simulator platform', () => {
  it('when two simulators share a seed, then they produce the same videos and the same metric series', async () => {
    const a = sim();
    const b = sim();
    const va = await a.discoverFresh({ publishedAfter: new Date(NOW - 3 * DAY), limit: 40 });
    const vb = await b.discoverFresh({ publishedAfter: new Date(NOW - 3 * DAY), limit: 40 });
    assert.equal(va.length, 40);
    assert.deepEqual(va, vb);
    const ids = va.map((v) => v.id);
    const times = hourly(NOW, 12);
    assert.deepEqual(await viewSeries(a, ids, times), await viewSeries(b, ids, times));
  });

  it('when the seed differs, then the world differs', async () => {
    const one = await sim({ seed: 1 }).discoverFresh({ publishedAfter: new Date(NOW - DAY), limit: 50 });
    const two = await sim({ seed: 2 }).discoverFresh({ publishedAfter: new Date(NOW - DAY), limit: 50 });
    const shared = one.filter((v) => two.some((w) => w.id === v.id));
    assert.equal(shared.length, 0, 'no video of one world exists in the other');
    assert.notDeepEqual([...creatorsOf(one)].sort(), [...creatorsOf(two)].sort());
  });

  it('when time passes, then views never decrease, most videos slow down and some take off', async () => {
    const s = sim({ platform: 'tiktok' });
    const videos = await s.discoverFresh({ publishedAfter: new Date(NOW - 12 * HOUR), limit: 10_000 });
    assert.ok(videos.length > 30, `${videos.length} fresh videos`);
    const series = await viewSeries(
      s,
      videos.map((v) => v.id),
      hourly(NOW, 72),
    );
    let slowing = 0;
    let takingOff = 0;
    videos.forEach((video, i) => {
      const views = series.map((at) => at[i]!).filter((v) => v !== null); // until it is deleted
      views.slice(1).forEach((v, h) => assert.ok(v >= views[h]!, `views of ${video.id} fell at hour ${h + 1}`));
      if (views.length < 73) return;
      const firstHour = views[1]! - views[0]!;
      const lastHour = views[72]! - views[71]!;
      if (lastHour < firstHour) slowing++;
      else takingOff++;
    });
    assert.ok(slowing > takingOff, `most slow down (${slowing} vs ${takingOff})`);
    assert.ok(takingOff > 0, 'some take off');
  });

  for (const seed of [1, 42, 1234]) {
    it(`when a seeded trend is emerging (seed ${seed}), then ≥ 3 creators use its hashtag, topic and sound, and their summed velocity rises over a simulated day`, async () => {
      const s = sim({ seed, platform: 'tiktok' });
      const [trend] = s.world.emergingTrendsAt(NOW);
      assert.ok(trend, 'one of the waves is always rising');
      assert.ok(
        simulatorTrendSeeds(seed, 60).some((t) => t.hashtag === trend.hashtag),
        'the exported seeds name it',
      );

      const fresh = await s.discoverFresh({ publishedAfter: new Date(NOW - 3 * DAY), limit: 10_000 });
      const tagged = fresh.filter((v) => v.hashtags.includes(trend.hashtag));
      assert.ok(creatorsOf(tagged).size >= 3, `${creatorsOf(tagged).size} creators use #${trend.hashtag}`);
      assert.ok(creatorsOf(fresh.filter((v) => v.soundId === trend.soundId)).size >= 3, 'and its sound');

      // Hourly samples over the last simulated day; velocity between consecutive samples.
      const times = hourly(NOW - DAY, 24);
      const series = await viewSeries(
        s,
        tagged.map((v) => v.id),
        times,
      );
      const summed = summedVelocity(series, times);
      const early = mean(summed.slice(0, 6));
      const late = mean(summed.slice(-6));
      assert.ok(late > early * 1.1, `summed velocity rose: ${early.toFixed(0)} → ${late.toFixed(0)} views/h`);
    });
  }

  it('when the simulated YouTube tags trends, then the trend topic spans ≥ 3 creators too', async () => {
    const s = sim();
    const [trend] = s.world.emergingTrendsAt(NOW);
    const fresh = await s.discoverFresh({ publishedAfter: new Date(NOW - 3 * DAY), limit: 10_000 });
    assert.ok(creatorsOf(fresh.filter((v) => v.topics.includes(trend!.topic))).size >= 3);
  });

  it("when a creator's own tag is counted, then only that creator ever uses it", async () => {
    const s = sim();
    const fresh = await s.discoverFresh({ publishedAfter: new Date(NOW - 7 * DAY), limit: 10_000 });
    const creator = s.world.creators[5]!;
    const tag = personalTag(creator);
    const users = creatorsOf(fresh.filter((v) => v.hashtags.includes(tag)));
    assert.equal(users.size, 1, `#${tag} used by ${[...users]}`);
    const owner = await s.resolveCreator({ platform: 'youtube', kind: 'handle', value: creator.username });
    assert.deepEqual([...users], [owner.id]);
  });

  it('when any handle is resolved, then a believable creator comes back with their videos', async () => {
    const s = sim();
    const creator = await s.resolveCreator({ platform: 'youtube', kind: 'handle', value: '@somebody' });
    assert.match(creator.id, /^UC[A-Za-z0-9_-]{22}$/);
    assert.equal(creator.handle, 'somebody');
    assert.equal(creator.source, 'simulator');
    assert.ok(creator.followers! > 0 && creator.videoCount! > 0);
    assert.equal((await s.resolveCreator({ platform: 'youtube', kind: 'channelId', value: creator.id })).id, creator.id);
    assert.equal(
      (await s.resolveCreator({ platform: 'youtube', kind: 'handle', value: 'somebody' })).id,
      creator.id,
      'with or without "@"',
    );

    const videos = await s.listCreatorVideos(creator.id, { since: new Date(NOW - 14 * DAY), limit: 5 });
    assert.ok(videos.length > 0 && videos.length <= 5);
    assert.ok(
      videos.every((v) => v.creatorId === creator.id && Date.parse(v.publishedAt) >= NOW - 14 * DAY && Date.parse(v.publishedAt) <= NOW),
    );
    assert.match(videos[0]!.id, /^[A-Za-z0-9_-]{11}$/);
    const published = videos.map((v) => Date.parse(v.publishedAt));
    assert.deepEqual(
      published,
      [...published].sort((a, b) => b - a),
      'newest first',
    );

    for (const platform of ['tiktok', 'instagram'] as const) {
      const other = await sim({ platform }).resolveCreator({ platform, kind: 'username', value: 'some.body_1' });
      assert.equal(other.id, 'some.body_1');
    }
  });

  it('when a reserved or impossible name is resolved, then it is not found', async () => {
    const notFound = (e: unknown) => e instanceof PlatformError && e.kind === 'not_found';
    await assert.rejects(sim().resolveCreator({ platform: 'youtube', kind: 'handle', value: 'notfound-x' }), notFound);
    await assert.rejects(
      sim({ platform: 'tiktok' }).resolveCreator({ platform: 'tiktok', kind: 'username', value: 'deleted_user' }),
      notFound,
    );
    await assert.rejects(
      sim({ platform: 'instagram' }).resolveCreator({ platform: 'instagram', kind: 'username', value: 'has space' }),
      notFound,
    );
    await assert.rejects(sim().resolveCreator({ platform: 'youtube', kind: 'channelId', value: 'UCxxxxxxxxxxxxxxxxxxxxxx' }), notFound);
  });

  it('when stats are asked for known, unknown and not-yet-published ids, then only the known ones come back', async () => {
    const s = sim({ platform: 'tiktok' });
    s.clock.at = NOW + DAY;
    const future = await s.discoverFresh({ publishedAfter: new Date(NOW + HOUR), limit: 3 });
    s.clock.at = NOW;
    const fresh = await s.discoverFresh({ publishedAfter: new Date(NOW - DAY), limit: 3 });
    assert.match(fresh[0]!.id, /^7\d{18}$/, 'TikTok ids are 19-digit strings');
    const stats = await s.getVideoStats([
      ...fresh.map((v) => v.id),
      ...future.map((v) => v.id),
      '7999999999999999999',
      '7999999990000000001',
      'garbage',
    ]);
    assert.deepEqual(
      [...stats.keys()],
      fresh.map((v) => v.id),
    );
    assert.equal(typeof stats.get(fresh[0]!.id)!.metrics.shares, 'number');
  });

  it('when a video is deleted, then its stats are absent from then on', async () => {
    const s = sim();
    s.clock.at = NOW - 5 * DAY;
    const earlier = await s.discoverFresh({ publishedAfter: new Date(NOW - 7 * DAY), limit: 10_000 });
    const before = await statsOf(
      s,
      earlier.map((v) => v.id),
    );
    assert.equal(before.size, earlier.length);
    s.clock.at = NOW;
    const after = await statsOf(
      s,
      earlier.map((v) => v.id),
    );
    const gone = earlier.filter((v) => !after.has(v.id));
    assert.ok(gone.length > 0 && gone.length < earlier.length / 10, `${gone.length} of ${earlier.length} deleted`);
  });

  it('when counts are hidden or do not exist, then they are null, never 0', async () => {
    const instagram = await sim({ platform: 'instagram' }).discoverFresh({ publishedAfter: new Date(NOW - 7 * DAY), limit: 500 });
    assert.equal(instagram.find((v) => v.format === 'photo')?.metrics.views, null, 'Instagram photos have no views');
    assert.equal(typeof instagram.find((v) => v.format === 'reel')?.metrics.views, 'number');
    assert.match(instagram[0]!.url!, /^https:\/\/www\.instagram\.com\/(p|reel)\/[A-Za-z0-9_-]+\/$/);
    const youtube = await sim().discoverFresh({ publishedAfter: new Date(NOW - 7 * DAY), limit: 10_000 });
    assert.ok(
      youtube.some((v) => v.metrics.likes === null),
      'some YouTube videos hide likes',
    );
    assert.ok(
      youtube.every((v) => v.metrics.shares === null),
      'YouTube has no share counts',
    );
  });

  it('when discovery is asked, then only videos published after the cut-off come back, at most the limit, most viewed first', async () => {
    const s = sim();
    const after = new Date(NOW - 12 * HOUR);
    const fresh = await s.discoverFresh({ publishedAfter: after, limit: 7 });
    assert.equal(fresh.length, 7);
    assert.ok(fresh.every((v) => Date.parse(v.publishedAt) >= after.getTime() && Date.parse(v.publishedAt) <= NOW));
    const views = fresh.map((v) => v.metrics.views!);
    assert.deepEqual(
      views,
      [...views].sort((a, b) => b - a),
    );

    s.clock.at = NOW + 6 * HOUR;
    const newer = await s.discoverFresh({ publishedAfter: new Date(NOW), limit: 1000 });
    assert.ok(newer.length > 0, 'new videos keep appearing');
  });

  it('when the time scale is 1440, then a real minute is a simulated day', async () => {
    const s = sim({ timeScale: 1440 });
    const [video] = s.world.videosOf(s.world.creators[0]!, NOW - DAY, NOW);
    assert.equal(s.world.ageHours(video!, video!.publishedAt + 60_000), 24);

    // A creator posting every C simulated hours posts about 240 / C videos in ten real minutes.
    const creator = s.world.creators.find((c) => !s.world.trends.some((t) => t.creatorKeys.includes(c.key)))!;
    const id = (await s.resolveCreator({ platform: 'youtube', kind: 'handle', value: creator.username })).id;
    const posted = await s.listCreatorVideos(id, { since: new Date(NOW - 10 * 60_000), limit: 1000 });
    assert.ok(
      Math.abs(posted.length - 240 / creator.cadenceHours) <= 1.5,
      `${posted.length} videos at a ${creator.cadenceHours} h cadence`,
    );
  });
});

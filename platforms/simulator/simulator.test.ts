import assert from 'node:assert/strict';
import { velocity } from '../../lib/domain/metrics';
import { PlatformError } from '../errors';
import type { PlatformName, Video, VideoStats } from '../types';
import { createSimulator, EVERGREEN_TAGS, personalTag, simulatorGroundTruth, type GroundTruthEvent, type SimulatorClient } from '.';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Data time the tests start from (the world is a function of time: any instant after 2026 would do). */
const NOW = Date.UTC(2026, 10, 25, 12);
const SEEDS = [1, 42, 1234];

/** A simulator whose data clock the test moves (`s.clock.at = …`). */
function sim(opts: { seed?: number; platform?: PlatformName; creators?: number } = {}) {
  const clock = { at: NOW };
  const client = createSimulator({
    platform: opts.platform ?? 'youtube',
    seed: opts.seed ?? 42,
    creators: opts.creators ?? 60,
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

/** Summed views/hour between consecutive samples of the videos there (a new one starts from 0). */
function summedVelocity(series: (number | null)[][], times: number[]): number[] {
  return times.slice(1).map((at, h) => {
    const gained = series[h + 1]!.reduce<number>((sum, views, i) => (views === null ? sum : sum + views - (series[h]![i] ?? 0)), 0);
    return velocity({ value: 0, at: times[h]! }, { value: gained, at })!;
  });
}

const hourly = (from: number, hours: number) => Array.from({ length: hours + 1 }, (_, h) => from + h * HOUR);
const creatorsOf = (videos: Video[]) => new Set(videos.map((v) => v.creatorId));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const ofKind = (events: GroundTruthEvent[], kind: GroundTruthEvent['kind']) => events.filter((e) => e.kind === kind);

/** Every video of an event, searched for by its hashtag over its whole life (seen from its end). */
async function videosOfEvent(s: ReturnType<typeof sim>, event: GroundTruthEvent): Promise<Video[]> {
  s.clock.at = event.endAt;
  return s.searchFresh({ signal: { kind: 'hashtag', name: event.names.hashtag }, publishedAfter: new Date(event.startAt), limit: 1000 });
}

/** Distinct creators of the videos published by a time. */
const creatorsBy = (videos: Video[], time: number) => creatorsOf(videos.filter((v) => Date.parse(v.publishedAt) <= time)).size;

describe('simulator platform', () => {
  describe('the seeded world', () => {
    it('when two simulators share a seed, then they produce the same videos, metric series and ground truth', async () => {
      const a = sim();
      const b = sim();
      const va = await a.discoverFresh({ publishedAfter: new Date(NOW - 3 * DAY), limit: 40 });
      const vb = await b.discoverFresh({ publishedAfter: new Date(NOW - 3 * DAY), limit: 40 });
      assert.equal(va.length, 40);
      assert.deepEqual(va, vb);
      const ids = va.map((v) => v.id);
      const times = hourly(NOW, 12);
      assert.deepEqual(await viewSeries(a, ids, times), await viewSeries(b, ids, times));
      assert.deepEqual(a.world.groundTruth(NOW - 7 * DAY, NOW), simulatorGroundTruth({ seed: 42, creators: 60 }, NOW - 7 * DAY, NOW));
    });

    it('when the seed differs, then the videos, the events’ names and their times differ', async () => {
      const one = await sim({ seed: 1 }).discoverFresh({ publishedAfter: new Date(NOW - DAY), limit: 50 });
      const two = await sim({ seed: 2 }).discoverFresh({ publishedAfter: new Date(NOW - DAY), limit: 50 });
      assert.equal(one.filter((v) => two.some((w) => w.id === v.id)).length, 0, 'no video of one world exists in the other');

      const events = (seed: number) =>
        simulatorGroundTruth({ seed, creators: 60 }, NOW - 7 * DAY, NOW).filter((e) => e.kind !== 'evergreen');
      const [first, second] = [events(1), events(2)];
      const shared = first.filter((e) => second.some((f) => f.names.hashtag === e.names.hashtag || f.peakAt === e.peakAt));
      assert.deepEqual(shared, [], 'no name or peak in common');
    });

    it('when a week passes, then each season brings its own waves and decoys with invented names', () => {
      for (const seed of SEEDS) {
        const truth = simulatorGroundTruth({ seed, creators: 300 }, NOW - 21 * DAY, NOW);
        const bySeason = new Map<string, GroundTruthEvent[]>();
        for (const e of truth.filter((e) => e.kind !== 'evergreen')) {
          const season = e.id.split('-')[0]!;
          bySeason.set(season, [...(bySeason.get(season) ?? []), e]);
        }
        // The middle seasons lie wholly in the interval.
        const middle = [...bySeason.values()].filter((events) => events.length === 10);
        assert.ok(middle.length >= 2, `seed ${seed}: ${middle.length} full seasons`);
        for (const events of middle) {
          assert.deepEqual(
            events.map((e) => e.kind).sort(),
            ['fizzle', 'solo', ...Array<string>(8).fill('wave')],
            'eight waves, a fizzle and a solo hit',
          );
          assert.equal(new Set(events.map((e) => e.names.hashtag)).size, events.length, 'names are unique in a season');
        }
        const names = truth.filter((e) => e.kind !== 'evergreen').map((e) => e.names.hashtag);
        assert.ok(
          names.every((n) => /^[a-z]+$/.test(n) && !EVERGREEN_TAGS.includes(n)),
          `invented names: ${names.join(', ')}`,
        );
      }
    });

    it('when time passes, then views never decrease, most videos slow down and some take off', async () => {
      const s = sim({ platform: 'tiktok', creators: 300 });
      const videos = s.world.freshVideos(NOW - 12 * HOUR, NOW).filter((v) => !v.event);
      assert.ok(videos.length > 30, `${videos.length} fresh videos`);
      const ids = videos.map((v) => s.videoId(v));
      const series = await viewSeries(s, ids, hourly(NOW, 72));
      let slowing = 0;
      let takingOff = 0;
      ids.forEach((id, i) => {
        const views = series.map((at) => at[i]!).filter((v) => v !== null); // until it is deleted
        views.slice(1).forEach((v, h) => assert.ok(v >= views[h]!, `views of ${id} fell at hour ${h + 1}`));
        if (views.length < 73) return;
        const gains = views.slice(1).map((v, h) => v - views[h]!);
        if (gains[71]! < gains[0]!) slowing++;
        // Its fastest hour comes half a day or more after the start of the series.
        if (gains.indexOf(Math.max(...gains)) >= 12) takingOff++;
      });
      assert.ok(slowing > 2 * takingOff, `most slow down (${slowing} vs ${takingOff})`);
      assert.ok(takingOff > 0, 'some take off');
    });

    it('when the clock says T, then T is data time: ages and cadences are read from it unscaled', async () => {
      const s = sim();
      const creator = s.world.creators[0]!;
      const [video] = s.world.videosOf(creator, NOW - 3 * DAY, NOW).filter((v) => !v.event);
      assert.equal(s.world.ageHours(video!, video!.publishedAt + DAY), 24);
      const uploads = s.world.videosOf(creator, NOW - 10 * DAY, NOW).filter((v) => !v.event);
      assert.ok(
        Math.abs(uploads.length - 240 / creator.cadenceHours) <= 1.5,
        `${uploads.length} uploads in 10 days at a ${creator.cadenceHours} h cadence`,
      );
    });
  });

  describe('ground truth', () => {
    for (const seed of SEEDS) {
      it(`when a wave's videos are searched (seed ${seed}), then they carry its names and their distinct creators rise towards the peak`, async () => {
        const s = sim({ seed, platform: 'tiktok', creators: 300 });
        const waves = ofKind(s.world.groundTruth(NOW - 14 * DAY, NOW - 7 * DAY), 'wave');
        assert.ok(waves.length >= 8, `${waves.length} waves`);
        for (const wave of waves) {
          const videos = await videosOfEvent(s, wave);
          assert.equal(videos.length, wave.videos, `${wave.id}: every video carries #${wave.names.hashtag}`);
          assert.ok(wave.videos >= 28 && wave.videos <= 42, `${wave.id}: ${wave.videos} videos`);
          assert.equal(creatorsOf(videos).size, wave.creators);
          assert.ok(wave.creators >= 10 && wave.creators <= 20, `${wave.id}: ${wave.creators} creators`);
          assert.ok(
            videos.every((v) => v.soundId === wave.names.sound),
            'and its sound',
          );
          if (wave.names.keyword)
            assert.ok(
              videos.every((v) => v.title!.toLowerCase().includes(wave.names.keyword!)),
              'and its keyword',
            );
          const riseHours = (wave.peakAt - wave.startAt) / HOUR;
          assert.ok(riseHours >= 36 && riseHours <= 96, `${wave.id}: rises for ${riseHours} h`);

          const halfway = (wave.startAt + wave.peakAt) / 2;
          assert.ok(creatorsBy(videos, halfway) < creatorsBy(videos, wave.peakAt), `${wave.id}: creators join towards the peak`);
          assert.ok(creatorsBy(videos, wave.peakAt) >= 3, `${wave.id}: ≥ 3 creators by the peak`);
          const published = videos.map((v) => Date.parse(v.publishedAt));
          const rise = wave.peakAt - wave.startAt;
          const inThird = (third: number) =>
            published.filter((t) => t >= wave.startAt + (third * rise) / 3 && t < wave.startAt + ((third + 1) * rise) / 3).length;
          assert.ok(inThird(0) < inThird(2), `${wave.id}: adoption accelerates (${inThird(0)} then ${inThird(2)})`);
        }
      });
    }

    it("when a wave rises, then its videos' summed velocity rises over its last day before the peak", async () => {
      for (const seed of SEEDS) {
        const s = sim({ seed, creators: 300 });
        const [wave] = ofKind(s.world.groundTruth(NOW - 14 * DAY, NOW - 7 * DAY), 'wave');
        const ids = (await videosOfEvent(s, wave!)).map((v) => v.id);
        const times = hourly(wave!.peakAt - DAY, 24);
        const summed = summedVelocity(await viewSeries(s, ids, times), times);
        const [early, late] = [mean(summed.slice(0, 6)), mean(summed.slice(-6))];
        assert.ok(late > early * 1.5, `seed ${seed}: ${early.toFixed(0)} → ${late.toFixed(0)} views/h`);
      }
    });

    it('when the decoys are looked at, then a fizzle stays with ≤ 3 creators and stops, and a solo hit is one creator with enormous views', async () => {
      for (const seed of SEEDS) {
        const s = sim({ seed, platform: 'tiktok', creators: 300 });
        const truth = s.world.groundTruth(NOW - 21 * DAY, NOW - 7 * DAY);
        for (const fizzle of ofKind(truth, 'fizzle')) {
          const videos = await videosOfEvent(s, fizzle);
          assert.equal(videos.length, fizzle.videos);
          assert.ok(fizzle.creators >= 2 && fizzle.creators <= 3 && creatorsOf(videos).size === fizzle.creators, `${fizzle.id}`);
          assert.ok(videos.length <= 6 && videos.every((v) => Date.parse(v.publishedAt) <= fizzle.peakAt), 'nothing after it peters out');
        }
        for (const solo of ofKind(truth, 'solo')) {
          const videos = await videosOfEvent(s, solo);
          assert.equal(creatorsOf(videos).size, 1);
          assert.ok(solo.creators === 1 && videos.length === solo.videos && solo.videos <= 2);
          assert.ok(
            videos.every((v) => v.metrics.views! > 1_000_000),
            `views: ${videos.map((v) => v.metrics.views)}`,
          );
        }
        assert.ok(ofKind(truth, 'fizzle').length >= 1 && ofKind(truth, 'solo').length >= 1, 'every season has its decoys');
      }
    });

    it('when any day is looked at, then every evergreen tag is used by many creators that day', () => {
      const s = sim({ creators: 300 });
      for (let day = 0; day < 7; day++) {
        const from = NOW - (day + 1) * DAY;
        const evergreen = ofKind(s.world.groundTruth(from, from + DAY), 'evergreen');
        assert.deepEqual(evergreen.map((e) => e.names.hashtag).sort(), [...EVERGREEN_TAGS].sort());
        for (const tag of evergreen) assert.ok(tag.creators >= 5, `#${tag.names.hashtag} on day -${day + 1}: ${tag.creators} creators`);
      }
    });

    it("when a creator's own tag is counted, then only that creator ever uses it", async () => {
      const s = sim();
      const creator = s.world.creators[5]!;
      const users = creatorsOf(
        await s.searchFresh({
          signal: { kind: 'hashtag', name: personalTag(creator) },
          publishedAfter: new Date(NOW - 7 * DAY),
          limit: 1000,
        }),
      );
      const owner = await s.resolveCreator({ platform: 'youtube', kind: 'handle', value: creator.username });
      assert.deepEqual([...users], [owner.id]);
    });
  });

  describe('discovery and search', () => {
    it('when a wave is searched by hashtag, sound or keyword mid-rise, then its videos so far come back newest first', async () => {
      const s = sim({ platform: 'tiktok', creators: 300 });
      const wave = ofKind(s.world.groundTruth(NOW - 14 * DAY, NOW - 7 * DAY), 'wave').find((w) => w.names.keyword)!;
      s.clock.at = wave.peakAt - 6 * HOUR;
      const publishedAfter = new Date(wave.startAt);
      const expected = wave.adoption.filter((a) => a.publishedAt <= s.clock.at).length;
      for (const signal of [
        { kind: 'hashtag' as const, name: wave.names.hashtag },
        { kind: 'sound' as const, name: wave.names.sound! },
        { kind: 'keyword' as const, name: wave.names.keyword! },
      ]) {
        const found = await s.searchFresh({ signal, publishedAfter, limit: 100 });
        assert.equal(found.length, expected, `by ${signal.kind}`);
        const published = found.map((v) => Date.parse(v.publishedAt));
        assert.deepEqual(
          published,
          [...published].sort((a, b) => b - a),
          'newest first',
        );
        assert.ok(published.every((t) => t <= s.clock.at));
      }
      assert.equal((await s.searchFresh({ signal: { kind: 'hashtag', name: wave.names.hashtag }, publishedAfter, limit: 5 })).length, 5);
    });

    it('when a platform cannot be searched by a kind, then searchFresh is bad_input', async () => {
      const badInput = (e: unknown) => e instanceof PlatformError && e.kind === 'bad_input';
      assert.deepEqual(sim({ platform: 'instagram' }).capabilities.searchBy, ['hashtag']);
      assert.deepEqual(sim().capabilities.searchBy, ['hashtag', 'keyword']);
      await assert.rejects(
        sim().searchFresh({ signal: { kind: 'sound', name: '7000000000000000001' }, publishedAfter: new Date(NOW - DAY), limit: 10 }),
        badInput,
      );
    });

    it('when discovery is asked on a full-size world, then it sees at most about 100 of the many fresh videos', async () => {
      const s = sim({ creators: 1500 });
      const publishedAfter = new Date(NOW - 2 * DAY);
      const fresh = s.world.freshVideos(publishedAfter.getTime(), NOW);
      const seen = await s.discoverFresh({ publishedAfter, limit: 10_000 });
      assert.ok(fresh.length > 1000, `${fresh.length} fresh videos`);
      assert.ok(seen.length > 50 && seen.length <= 100, `${seen.length} discovered`);
      assert.ok(seen.filter((v) => Date.parse(v.publishedAt) >= NOW - DAY).length >= 50, "the day's chart is part of it");
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
      assert.ok((await s.discoverFresh({ publishedAfter: new Date(NOW), limit: 1000 })).length > 0, 'new videos keep appearing');
    });
  });

  describe('creators and stats', () => {
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

    it("when a wave's creator lists their videos, then the wave's posts are among them with the platform's ids", async () => {
      const s = sim({ platform: 'tiktok', creators: 300 });
      const [wave] = ofKind(s.world.groundTruth(NOW - 14 * DAY, NOW - 7 * DAY), 'wave');
      const first = wave!.adoption[0]!;
      s.clock.at = wave!.endAt;
      const listed = await s.listCreatorVideos(first.creator, { since: new Date(first.publishedAt), limit: 1000 });
      const post = listed.find((v) => Date.parse(v.publishedAt) === first.publishedAt);
      assert.ok(post, 'the first post is listed');
      assert.ok(post.hashtags.includes(wave!.names.hashtag));
      assert.match(post.id, /^7\d{18}$/);
      assert.equal((await s.getVideoStats([post.id])).get(post.id)?.metrics.views, post.metrics.views);
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

    it('when stats are asked for known, unknown, forged and not-yet-published ids, then only the known ones come back', async () => {
      const s = sim({ platform: 'tiktok' });
      s.clock.at = NOW + DAY;
      const future = await s.discoverFresh({ publishedAfter: new Date(NOW + HOUR), limit: 3 });
      s.clock.at = NOW;
      const fresh = await s.discoverFresh({ publishedAfter: new Date(NOW - DAY), limit: 3 });
      assert.match(fresh[0]!.id, /^7\d{18}$/, 'TikTok ids are 19-digit strings');
      // An event post's number under a creator who did not post it.
      const wavePost = s.world.freshVideos(NOW - 7 * DAY, NOW).find((v) => v.event)!;
      const forged = s.videoId({ ...wavePost, creator: s.world.creators.find((c) => c.key !== wavePost.creator.key)! });
      const stats = await s.getVideoStats([
        ...fresh.map((v) => v.id),
        ...future.map((v) => v.id),
        '7999999999999999999',
        '7999999990000000001',
        forged,
        'garbage',
      ]);
      assert.deepEqual(
        [...stats.keys()],
        fresh.map((v) => v.id),
      );
      assert.equal(typeof stats.get(fresh[0]!.id)!.metrics.shares, 'number');
    });

    it('when a video is deleted, then its stats are absent from then on', async () => {
      const s = sim({ creators: 300 });
      const earlier = s.world.freshVideos(NOW - 7 * DAY, NOW - 5 * DAY).map((v) => s.videoId(v));
      s.clock.at = NOW - 5 * DAY;
      assert.equal((await statsOf(s, earlier)).size, earlier.length);
      s.clock.at = NOW;
      const after = await statsOf(s, earlier);
      const gone = earlier.filter((id) => !after.has(id));
      assert.ok(gone.length > 0 && gone.length < earlier.length / 10, `${gone.length} of ${earlier.length} deleted`);
    });

    it('when counts are hidden or do not exist, then they are null, never 0', async () => {
      const instagram = await sim({ platform: 'instagram' }).discoverFresh({ publishedAfter: new Date(NOW - 7 * DAY), limit: 500 });
      assert.equal(instagram.find((v) => v.format === 'photo')?.metrics.views, null, 'Instagram photos have no views');
      assert.equal(typeof instagram.find((v) => v.format === 'reel')?.metrics.views, 'number');
      assert.match(instagram[0]!.url!, /^https:\/\/www\.instagram\.com\/(p|reel)\/[A-Za-z0-9_-]+\/$/);
      const youtube = sim();
      const stats = await statsOf(
        youtube,
        youtube.world.freshVideos(NOW - 7 * DAY, NOW).map((v) => youtube.videoId(v)),
      );
      assert.ok(
        [...stats.values()].some((v) => v.metrics.likes === null),
        'some YouTube videos hide likes',
      );
      assert.ok(
        [...stats.values()].every((v) => v.metrics.shares === null),
        'YouTube has no share counts',
      );
    });
  });
});

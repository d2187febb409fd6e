/**
 * The simulator platform: the default when a platform has no credentials, so the whole product
 * runs offline. It implements the full PlatformClient interface over the pure World, with ids
 * in each platform's real format that encode (creator key, video number), so any process can
 * answer for any id without shared state. Every time it reads or hands out is data time.
 *
 * Discovery is as narrow as the real APIs' (a chart and one search of about 50 each), so the
 * world's waves are seen early only by following their signals (searchFresh).
 */
import { PlatformError } from '../errors';
import type { Capabilities, Creator, CreatorRef, PlatformClient, PlatformName, SignalKind, Video, VideoStats } from '../types';
import { MAX_CREATOR_KEY, unit, World, type Creator as SimCreator, type GroundTruthEvent, type SimVideo, type WorldOptions } from './world';

export { EVERGREEN_TAGS, World, personalTag, type GroundTruthEvent } from './world';

const DAY = 86_400_000;
/** What one discovery call sees of each list: the day's chart and the fresh window's most viewed. */
const DISCOVERY_LIST_SIZE = 50;

/**
 * The ground truth of a world (the same events on every platform of that seed and size; evergreen
 * counts are the platform's, YouTube by default): what happened in [from, to] (data time, ms).
 */
export function simulatorGroundTruth(
  world: { seed: number; creators: number; platform?: PlatformName; wavesPerSeason?: number },
  from: number,
  to: number,
): GroundTruthEvent[] {
  return new World({ platform: 'youtube', ...world }).groundTruth(from, to);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function toB64(value: number, chars: number): string {
  let out = '';
  for (let i = chars - 1; i >= 0; i--) out += B64[Math.floor(value / 64 ** i) % 64];
  return out;
}

function fromB64(text: string): number {
  let value = 0;
  for (const ch of text) {
    const digit = B64.indexOf(ch);
    if (digit < 0) return NaN;
    value = value * 64 + digit;
  }
  return value;
}

/** Video and channel ids in the platform's own format; `decode` returns null for foreign ids. */
interface IdCodec {
  videoId(creatorKey: number, k: number): string;
  decodeVideo(id: string): { key: number; k: number } | null;
}

function codec(platform: PlatformName, seed: number): IdCodec {
  if (platform === 'youtube') {
    const check = (key: number, k: number) => toB64(Math.floor(unit(seed, 'yt-check', key, k) * 4096), 2);
    return {
      videoId: (key, k) => `${toB64(key, 4)}${toB64(k, 5)}${check(key, k)}`,
      decodeVideo: (id) => {
        if (!/^[A-Za-z0-9_-]{11}$/.test(id)) return null;
        const key = fromB64(id.slice(0, 4));
        const k = fromB64(id.slice(4, 9));
        return id.slice(9) === check(key, k) ? { key, k } : null;
      },
    };
  }
  // TikTok: 19-digit ids starting with 7; Instagram: 19-digit media ids starting with 18.
  const prefix = platform === 'tiktok' ? '7' : '18';
  const kDigits = 18 - prefix.length - 8 + 1;
  return {
    videoId: (key, k) => `${prefix}${String(key).padStart(8, '0')}${String(k).padStart(kDigits, '0')}`,
    decodeVideo: (id) => {
      if (id.length !== 19 || !id.startsWith(prefix) || !/^\d+$/.test(id)) return null;
      const key = Number(id.slice(prefix.length, prefix.length + 8));
      return key <= MAX_CREATOR_KEY ? { key, k: Number(id.slice(prefix.length + 8)) } : null;
    },
  };
}

/** YouTube channel ids: "UC" + 22 characters, the first four encoding the creator key. */
function simulatedChannelId(seed: number, key: number): string {
  let tail = '';
  for (let i = 0; i < 18; i++) tail += B64[Math.floor(unit(seed, 'channel', key, i) * 64)];
  return `UC${toB64(key, 4)}${tail}`;
}

/** The signals each platform's own search follows (YouTube search.list q, TikTok query conditions, Instagram hashtag search). */
const SEARCH_BY: Record<PlatformName, readonly SignalKind[]> = {
  youtube: ['hashtag', 'keyword'],
  tiktok: ['hashtag', 'sound', 'keyword'],
  instagram: ['hashtag'],
};

const CAPABILITIES: Record<PlatformName, Capabilities> = {
  youtube: {
    views: 'all',
    likes: 'unless-hidden',
    shares: false,
    discovery: true,
    maxBatchSize: 50,
    searchBy: SEARCH_BY.youtube,
    notes: 'simulated YouTube',
  },
  tiktok: {
    views: 'all',
    likes: 'all',
    shares: true,
    discovery: true,
    maxBatchSize: 100,
    searchBy: SEARCH_BY.tiktok,
    notes: 'simulated TikTok',
  },
  instagram: {
    views: 'some',
    likes: 'unless-hidden',
    shares: false,
    discovery: true,
    maxBatchSize: 50,
    searchBy: SEARCH_BY.instagram,
    notes: 'simulated Instagram (views for Reels only)',
  },
};

/** Names that resolve to nothing, so tests and demos can exercise "not found". */
const MISSING = /^(notfound|deleted|missing)/i;
/** Handles and usernames the platforms could hold; anything else is not found there either. */
const PLAUSIBLE_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** Instagram permalinks carry a shortcode: the media id written in base 64. */
function instagramShortcode(mediaId: string): string {
  let n = BigInt(mediaId);
  let code = '';
  do {
    code = B64[Number(n % 64n)] + code;
    n /= 64n;
  } while (n > 0n);
  return code;
}

export interface SimulatorOptions extends WorldOptions {
  /** Data time now (the product's Clock.now; tests inject their own). Default: the real clock. */
  clock?: () => number;
}

export interface SimulatorClient extends PlatformClient {
  readonly world: World;
  /** The simulator knows every video: an id is either answered or really absent. */
  getVideoStats(ids: string[]): Promise<Map<string, VideoStats>>;
  /** A world video's id in the platform's format. */
  videoId(video: Pick<SimVideo, 'creator' | 'k'>): string;
}

export function createSimulator(options: SimulatorOptions): SimulatorClient {
  const { platform, seed } = options;
  const world = new World(options);
  const ids = codec(platform, seed);
  const now = options.clock ?? Date.now;
  const source = 'simulator' as const;

  const creatorId = (c: SimCreator) => (platform === 'youtube' ? simulatedChannelId(seed, c.key) : c.username);

  function creatorFromId(id: string): SimCreator {
    if (platform === 'youtube') {
      const key = fromB64(id.slice(2, 6));
      if (!/^UC[A-Za-z0-9_-]{22}$/.test(id) || simulatedChannelId(seed, key) !== id)
        throw new PlatformError(platform, 'not_found', `no channel ${id}`);
      return world.creatorByKey(key);
    }
    return creatorByName(id);
  }

  /** Any plausible name is a creator (derived from its hash), but for the reserved ones. */
  function creatorByName(value: string): SimCreator {
    const name = value.replace(/^@/, '');
    if (MISSING.test(name) || !PLAUSIBLE_NAME.test(name)) throw new PlatformError(platform, 'not_found', `no creator named ${value}`);
    return world.creatorByName(name);
  }

  function toStats(video: SimVideo, at: number): VideoStats {
    return {
      platform,
      id: ids.videoId(video.creator.key, video.k),
      metrics: world.metrics(video, at),
      fetchedAt: new Date(at).toISOString(),
      source,
    };
  }

  function toVideo(video: SimVideo, at: number, creator = video.creator): Video {
    const id = ids.videoId(video.creator.key, video.k);
    return {
      ...toStats(video, at),
      creatorId: creatorId(creator),
      creatorName: creator.displayName,
      title: video.title,
      description: `${video.title} ${video.hashtags.map((h) => `#${h}`).join(' ')}`,
      url:
        platform === 'youtube'
          ? `https://www.youtube.com/watch?v=${id}`
          : platform === 'tiktok'
            ? `https://www.tiktok.com/@${creator.username}/video/${id}`
            : `https://www.instagram.com/${video.format === 'reel' ? 'reel' : 'p'}/${instagramShortcode(id)}/`,
      publishedAt: new Date(video.publishedAt).toISOString(),
      durationSeconds: video.durationSeconds || null,
      hashtags: [...video.hashtags],
      topics: platform === 'youtube' ? video.topics : [],
      soundId: video.soundId,
      format: video.format,
    };
  }

  return {
    platform,
    source,
    capabilities: CAPABILITIES[platform],
    world,
    videoId: (video) => ids.videoId(video.creator.key, video.k),

    async resolveCreator(ref: CreatorRef): Promise<Creator> {
      if (ref.platform !== platform) throw new PlatformError(platform, 'bad_input', `a ${ref.platform} reference sent to ${platform}`);
      const creator = ref.kind === 'channelId' ? creatorFromId(ref.value) : creatorByName(ref.value);
      const at = now();
      return {
        platform,
        id: creatorId(creator),
        handle: creator.username,
        name: creator.displayName,
        // YouTube rounds subscriber counts to three significant figures.
        followers: platform === 'youtube' ? Number(creator.followers.toPrecision(3)) : creator.followers,
        videoCount: world.videosOf(creator, 0, at).length,
        fetchedAt: new Date(at).toISOString(),
        source,
      };
    },

    async listCreatorVideos(id, { since, limit }) {
      const creator = creatorFromId(id);
      const at = now();
      return world
        .videosOf(creator, since.getTime(), at)
        .filter((v) => !world.isGone(v, at))
        .slice(0, limit)
        .map((v) => toVideo(v, at, creator));
    },

    async getVideoStats(videoIds) {
      if (videoIds.length > CAPABILITIES[platform].maxBatchSize) {
        throw new PlatformError(
          platform,
          'bad_input',
          `at most ${CAPABILITIES[platform].maxBatchSize} ids per call, got ${videoIds.length}`,
        );
      }
      const at = now();
      const found = new Map<string, VideoStats>();
      for (const id of videoIds) {
        const decoded = ids.decodeVideo(id);
        if (!decoded) continue;
        const video = world.video(world.creatorByKey(decoded.key), decoded.k);
        if (!video || video.publishedAt > at || world.isGone(video, at)) continue;
        found.set(id, toStats(video, at));
      }
      return found;
    },

    /**
     * Like a real platform's discovery, narrow: the most viewed of the last day (a chart) and the
     * most viewed of the whole fresh window (a search by view count), about 50 each.
     */
    async discoverFresh({ publishedAfter, limit }) {
      const at = now();
      const withViews = world
        .freshVideos(publishedAfter.getTime(), at)
        .map((v) => ({ v, views: world.metrics(v, at).views ?? 0 }))
        .sort((a, b) => b.views - a.views);
      const chart = withViews.filter(({ v }) => v.publishedAt >= at - DAY).slice(0, DISCOVERY_LIST_SIZE);
      const seen = new Set([...chart, ...withViews.slice(0, DISCOVERY_LIST_SIZE)]);
      return withViews
        .filter((entry) => seen.has(entry))
        .slice(0, limit)
        .map(({ v }) => toVideo(v, at));
    },

    async searchFresh({ signal, publishedAfter, limit }) {
      if (!SEARCH_BY[platform].includes(signal.kind))
        throw new PlatformError(platform, 'bad_input', `${platform} cannot be searched by ${signal.kind}`);
      const at = now();
      return world
        .searchVideos(signal, publishedAfter.getTime(), at)
        .slice(0, limit)
        .map((v) => toVideo(v, at));
    },
  };
}

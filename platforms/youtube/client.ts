/**
 * The YouTube Data API v3 adapter (PlatformClient) for public data with an API key. Every call is
 * a cheap list call (1 unit); creators are enumerated through their uploads playlist, never
 * through search (100 calls a day, kept for Trend Watch discovery: a broad search when the charts
 * are not enough, and targeted searches that follow a rising hashtag or keyword).
 */
import { PlatformError } from '../errors';
import type { Capabilities, Creator, CreatorRef, PlatformClient, Signal, Video, VideoStats } from '../types';
import { toCreator, toVideo, toVideoStats, YOUTUBE_SOURCE } from './normalize';
import { createYouTubeGet, youTubeBuckets, type YouTubeRequestOptions } from './request';
import type { z } from 'zod';
import { channelsCall, playlistItemsCall, searchCall, videosCall, type VideoItem } from './schemas';

export interface YouTubeClientOptions extends Omit<YouTubeRequestOptions, 'clock'> {
  /** Regions whose mostPopular charts discovery reads; the first also scopes its broad search. Default US. */
  regionCodes?: string[];
  /** Video categories (e.g. 10 Music, 20 Gaming) whose charts discovery also reads in every region. Default none. */
  categoryIds?: string[];
  clock?: () => Date;
}

/** Most ids one videos.list call accepts. */
export const YOUTUBE_MAX_IDS = 50;
/** Every call names its parts once: the `part` parameter and the schema come from the same list. */
const VIDEOS = videosCall(['snippet', 'statistics', 'contentDetails', 'topicDetails']);
const CHANNELS_FULL = channelsCall(['snippet', 'statistics', 'contentDetails']);
const CHANNELS_UPLOADS = channelsCall(['contentDetails']);
const PLAYLIST_ITEMS = playlistItemsCall(['contentDetails']);
const SEARCH = searchCall();
const VIDEO_ID = /^[A-Za-z0-9_-]+$/;

export const YOUTUBE_CAPABILITIES: Capabilities = {
  views: 'all',
  likes: 'unless-hidden',
  shares: false,
  discovery: true,
  maxBatchSize: YOUTUBE_MAX_IDS,
  // search.list q="#tag" or q="words"; YouTube has no notion of a sound.
  searchBy: ['hashtag', 'keyword'],
  notes:
    'Public data with an API key; 10,000 units a day (1 per call, up to 50 videos each) and 100 search calls a day, reset at midnight Pacific. No share counts; likes may be hidden; subscriber counts are rounded to 3 significant figures; "short" is a duration hint (≤ 180 s).',
};

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const newestFirst = (a: Video, b: Video): number => b.publishedAt.localeCompare(a.publishedAt);
const mostViewedFirst = (a: Video, b: Video): number => (b.metrics.views ?? -1) - (a.metrics.views ?? -1);

/** What search.list's q looks for: a hashtag as "#tag" (YouTube matches the tag), a keyword as it is. */
function searchQuery(signal: Signal): string {
  return signal.kind === 'hashtag' ? `#${signal.name.replace(/^#/, '')}` : signal.name;
}

export function createYouTubeClient(options: YouTubeClientOptions): PlatformClient {
  const clock = options.clock ?? (() => new Date());
  const regionCodes = options.regionCodes?.length ? options.regionCodes : ['US'];
  // Every region's overall chart, then each category's chart in every region.
  const charts = [undefined, ...(options.categoryIds ?? [])].flatMap((categoryId) =>
    regionCodes.map((regionCode) => ({ regionCode, categoryId })),
  );
  const buckets = youTubeBuckets(options.dailyUnits, options.dailySearchCalls);
  const get = createYouTubeGet({ ...options, clock }, buckets);
  /** Channel id → uploads playlist id; it never changes, so one lookup per channel per process. */
  const uploadsPlaylists = new Map<string, string>();

  /** channels.list for one call's parts; remembers every uploads playlist id it sees. */
  async function findChannels<I extends { id: string; contentDetails?: { relatedPlaylists?: { uploads?: string } } }>(
    call: { part: string; schema: z.ZodType<{ items?: I[] }> },
    params: Record<string, string>,
  ) {
    const { body, fetchedAt } = await get('channels', call, params);
    const items = body.items ?? [];
    for (const item of items) {
      const uploads = item.contentDetails?.relatedPlaylists?.uploads;
      if (uploads) uploadsPlaylists.set(item.id, uploads);
    }
    return { items, fetchedAt };
  }

  async function uploadsPlaylistOf(channelId: string): Promise<string> {
    const cached = uploadsPlaylists.get(channelId);
    if (cached) return cached;
    // Only contentDetails: the answer has no snippet (validated as such), as after a restart.
    await findChannels(CHANNELS_UPLOADS, { id: channelId });
    const uploads = uploadsPlaylists.get(channelId);
    if (!uploads) throw new PlatformError('youtube', 'not_found', `channel ${channelId} not found or has no uploads playlist`);
    return uploads;
  }

  /** videos.list for any number of ids, 50 per call; unknown ids are simply absent. Each item with its call's arrival time. */
  async function fetchVideoItems(ids: string[]): Promise<{ item: VideoItem; fetchedAt: string }[]> {
    const items: { item: VideoItem; fetchedAt: string }[] = [];
    for (const batch of chunks([...new Set(ids)], YOUTUBE_MAX_IDS)) {
      // No maxResults here: videos.list does not accept it together with id.
      const { body, fetchedAt } = await get('videos', VIDEOS, { id: batch.join(',') });
      items.push(...body.items.map((item) => ({ item, fetchedAt })));
    }
    return items;
  }

  /** Newest uploads published at or after `since`, at most `limit` ids, paging only as far as needed. */
  async function recentUploadIds(playlistId: string, since: Date, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let pageToken: string | undefined;
    do {
      const params: Record<string, string> = { playlistId, maxResults: '50', ...(pageToken ? { pageToken } : {}) };
      const { body: page } = await get('playlistItems', PLAYLIST_ITEMS, params);
      let reachedOlder = false;
      for (const { contentDetails } of page.items) {
        if (!contentDetails.videoPublishedAt) continue; // private or deleted upload
        if (new Date(contentDetails.videoPublishedAt) < since) reachedOlder = true;
        else if (ids.length < limit) ids.push(contentDetails.videoId);
      }
      // The uploads playlist runs newest first: an older item means the rest is older too.
      pageToken = reachedOlder || ids.length >= limit ? undefined : page.nextPageToken;
    } while (pageToken);
    return ids;
  }

  /**
   * The videos of every configured chart, most popular first. A region or category without a
   * chart (not_found) is skipped; a spent unit bucket ends the round with what it has, unless it
   * has nothing yet. The same video on several charts comes once.
   */
  async function chartVideos(): Promise<Video[]> {
    const videos = new Map<string, Video>();
    let firstError: unknown;
    for (const { regionCode, categoryId } of charts) {
      try {
        const params = { chart: 'mostPopular', regionCode, maxResults: '50', ...(categoryId ? { videoCategoryId: categoryId } : {}) };
        const { body, fetchedAt } = await get('videos', VIDEOS, params);
        for (const item of body.items) if (!videos.has(item.id)) videos.set(item.id, toVideo(item, fetchedAt));
      } catch (err) {
        if (!(err instanceof PlatformError && (err.kind === 'not_found' || err.kind === 'quota_exhausted'))) throw err;
        firstError ??= err;
        if (err.kind === 'quota_exhausted') break;
      }
    }
    if (videos.size === 0 && firstError) throw firstError;
    return [...videos.values()];
  }

  /** search.list for q ordered by date, newest first, paging only until `limit` ids (1 search call per page). */
  async function searchNewestIds(q: string, publishedAfter: Date, limit: number): Promise<string[]> {
    const ids = new Set<string>();
    let pageToken: string | undefined;
    do {
      const params: Record<string, string> = {
        q,
        type: 'video',
        order: 'date',
        publishedAfter: publishedAfter.toISOString(),
        maxResults: String(Math.min(50, limit - ids.size)),
        ...(pageToken ? { pageToken } : {}),
      };
      const { body } = await get('search', SEARCH, params);
      for (const item of body.items) if (ids.size < limit) ids.add(item.id.videoId);
      // An empty page ends the search even if it names a next one: nothing newer is coming.
      pageToken = ids.size < limit && body.items.length > 0 ? body.nextPageToken : undefined;
    } while (pageToken);
    return [...ids];
  }

  return {
    platform: 'youtube',
    source: YOUTUBE_SOURCE,
    capabilities: YOUTUBE_CAPABILITIES,

    async resolveCreator(ref: CreatorRef): Promise<Creator> {
      if (ref.platform !== 'youtube') throw new PlatformError('youtube', 'bad_input', `cannot resolve a ${ref.platform} creator`);
      const by: Record<string, string> =
        ref.kind === 'handle'
          ? { forHandle: ref.value.startsWith('@') ? ref.value : `@${ref.value}` }
          : ref.kind === 'username'
            ? { forUsername: ref.value }
            : { id: ref.value };
      const {
        items: [channel],
        fetchedAt,
      } = await findChannels(CHANNELS_FULL, by);
      if (!channel) throw new PlatformError('youtube', 'not_found', `no channel for ${ref.kind} ${ref.value}`);
      return toCreator(channel, fetchedAt);
    },

    async listCreatorVideos(channelId, { since, limit }): Promise<Video[]> {
      if (limit <= 0) return [];
      const ids = await recentUploadIds(await uploadsPlaylistOf(channelId), since, limit);
      const videos = (await fetchVideoItems(ids)).map(({ item, fetchedAt }) => toVideo(item, fetchedAt));
      return videos
        .filter((v) => new Date(v.publishedAt) >= since)
        .sort(newestFirst)
        .slice(0, limit);
    },

    async getVideoStats(ids): Promise<Map<string, VideoStats>> {
      if (ids.length > YOUTUBE_MAX_IDS)
        throw new PlatformError('youtube', 'bad_input', `getVideoStats takes at most ${YOUTUBE_MAX_IDS} ids, got ${ids.length}`);
      const invalid = ids.find((id) => !VIDEO_ID.test(id));
      if (invalid !== undefined)
        throw new PlatformError('youtube', 'bad_input', `not a YouTube video id: ${JSON.stringify(invalid.slice(0, 40))}`);
      if (ids.length === 0) return new Map();
      return new Map((await fetchVideoItems(ids)).map(({ item, fetchedAt }) => [item.id, toVideoStats(item, fetchedAt)]));
    },

    async discoverFresh({ publishedAfter, limit }): Promise<Video[]> {
      if (limit <= 0) return [];
      const isFresh = (v: Video): boolean => new Date(v.publishedAt) > publishedAfter;
      // The charts (1 unit each) come with metrics; search (the scarce bucket) only when they are not enough.
      const found = new Map((await chartVideos()).filter(isFresh).map((v) => [v.id, v]));

      if (found.size < limit) {
        let searchIds: string[] = [];
        try {
          const params = {
            type: 'video',
            publishedAfter: publishedAfter.toISOString(),
            order: 'viewCount',
            regionCode: regionCodes[0]!,
            maxResults: '50',
          };
          searchIds = (await get('search', SEARCH, params)).body.items.map((item) => item.id.videoId);
        } catch (err) {
          // A spent search bucket still leaves the charts' videos worth returning.
          if (!(err instanceof PlatformError && err.kind === 'quota_exhausted' && found.size > 0)) throw err;
        }
        const details = await fetchVideoItems(searchIds.filter((id) => !found.has(id)));
        for (const video of details.map(({ item, fetchedAt }) => toVideo(item, fetchedAt)).filter(isFresh)) found.set(video.id, video);
      }
      // Most viewed first: the videos most worth monitoring when the limit cuts the list.
      return [...found.values()].sort(mostViewedFirst).slice(0, limit);
    },

    async searchFresh({ signal, publishedAfter, limit }): Promise<Video[]> {
      if (!YOUTUBE_CAPABILITIES.searchBy.includes(signal.kind))
        throw new PlatformError('youtube', 'bad_input', `YouTube cannot be searched by ${signal.kind}`);
      if (limit <= 0) return [];
      const ids = await searchNewestIds(searchQuery(signal), publishedAfter, limit);
      return (await fetchVideoItems(ids))
        .map(({ item, fetchedAt }) => toVideo(item, fetchedAt))
        .filter((v) => new Date(v.publishedAt) > publishedAfter)
        .sort(newestFirst)
        .slice(0, limit);
    },
  };
}

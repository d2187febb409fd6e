/**
 * Test helpers for the YouTube adapter: item builders in the shapes Google documents, a small fake YouTube for the stub server, and a client wired to a stub and to a
 * QuotaLedger with its own Redis key prefix (removed by cleanup()).
 */
import { randomUUID } from 'node:crypto';
import { startStubServer, type StubHandler, type StubReply, type StubRequest, type StubServer } from '../../test/stubServer';
import { testRedis } from '../../test/harness';
import { QuotaLedger } from '../quota';
import type { PlatformClient } from '../types';
import { createYouTubeClient, type YouTubeClientOptions } from './client';

export const API_KEY = 'test-key-5ecr3t';
/** Stub routes live under this path, like the real API's /youtube/v3. */
export const BASE_PATH = '/youtube/v3';

/** A video resource as videos.list sends it; pass fields to override (undefined removes one). */
export function videoItem(id: string, publishedAt: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'youtube#video',
    id,
    snippet: {
      publishedAt,
      channelId: 'UCchannel0000000000000001',
      title: `Video ${id}`,
      description: 'About #Cats',
      channelTitle: 'Cat Channel',
      tags: ['Cats'],
      categoryId: '22',
      liveBroadcastContent: 'none',
    },
    contentDetails: { duration: 'PT3M33S' },
    statistics: { viewCount: '1000', likeCount: '50', favoriteCount: '0', commentCount: '7' },
    topicDetails: { topicCategories: ['https://en.wikipedia.org/wiki/Pet'] },
    ...overrides,
  };
}

export function channelItem(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'youtube#channel',
    id,
    snippet: { title: 'Cat Channel', customUrl: '@catchannel', publishedAt: '2015-01-01T00:00:00Z', country: 'US' },
    contentDetails: { relatedPlaylists: { uploads: `UU${id.slice(2)}` } },
    statistics: { viewCount: '123456', subscriberCount: '12300', hiddenSubscriberCount: false, videoCount: '42' },
    ...overrides,
  };
}

export function youTubeErrorReply(status: number, reason: string, extra: Record<string, unknown> = {}): StubReply {
  return {
    status,
    body: {
      error: {
        code: status,
        message: `${reason} happened`,
        errors: [{ domain: 'youtube', reason, message: `${reason} happened` }],
        ...extra,
      },
    },
  };
}

/** Keys every resource carries whatever `part` asks for. */
const ALWAYS = new Set(['kind', 'etag', 'id']);

/**
 * A resource as YouTube answers it for `part=…`: only the requested parts (plus kind, etag, id),
 * e.g. channels.list?part=contentDetails has no snippet. Every fake answer goes through this.
 */
function withParts(resource: Record<string, unknown>, part: string | null): Record<string, unknown> {
  const parts = new Set(
    (part ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  );
  return Object.fromEntries(Object.entries(resource).filter(([key]) => ALWAYS.has(key) || parts.has(key)));
}

export interface FakeYouTube {
  channels: Record<string, unknown>[];
  /** Uploads playlist id → its items' {videoId, videoPublishedAt}, newest first. */
  uploads?: Record<string, { videoId: string; videoPublishedAt?: string }[]>;
  videos?: Record<string, unknown>[];
  /** The mostPopular chart of every region and category (unless `charts` is given). */
  popular?: Record<string, unknown>[];
  /** Charts by "REGION" or "REGION/categoryId"; a pair not listed answers 404 videoChartNotFound. */
  charts?: Record<string, Record<string, unknown>[]>;
  /** search.list results in order, paged by maxResults with a numeric nextPageToken (none on the last page). */
  searchIds?: string[];
  /** search.list results per q (a targeted search), instead of searchIds; an unknown q finds nothing. */
  searchByQuery?: Record<string, string[]>;
  pageSize?: number;
}

/**
 * A handler that answers channels, playlistItems, videos and search from fixed data, each item
 * cut to the parts the request asked for (withParts), as the real API does.
 */
export function fakeYouTube(data: FakeYouTube): StubHandler {
  const pageSize = data.pageSize ?? 50;
  return (req: StubRequest): StubReply => {
    const q = req.query;
    if (!q.get('part')) return youTubeErrorReply(400, 'required', { message: 'No filter selected. Expected one of: part' });
    const cut = (items: Record<string, unknown>[]) => items.map((item) => withParts(item, q.get('part')));
    switch (req.path) {
      case `${BASE_PATH}/channels`: {
        const handle = q.get('forHandle');
        const username = q.get('forUsername');
        const items = data.channels.filter((c) => {
          const customUrl = (c.snippet as { customUrl?: string }).customUrl?.toLowerCase();
          if (handle) return customUrl === handle.toLowerCase();
          if (username) return customUrl === `@${username.toLowerCase()}`;
          return c.id === q.get('id');
        });
        return {
          body: items.length
            ? { kind: 'youtube#channelListResponse', items: cut(items) }
            : { kind: 'youtube#channelListResponse', pageInfo: { totalResults: 0 } },
        };
      }
      case `${BASE_PATH}/playlistItems`: {
        const all = data.uploads?.[q.get('playlistId') ?? ''];
        if (!all) return youTubeErrorReply(404, 'playlistNotFound');
        const start = Number(q.get('pageToken') ?? 0);
        const items = cut(
          all.slice(start, start + pageSize).map((contentDetails) => ({
            kind: 'youtube#playlistItem',
            id: `PLI${contentDetails.videoId}`,
            snippet: { title: 'x' },
            contentDetails,
          })),
        );
        return { body: { items, ...(start + pageSize < all.length ? { nextPageToken: String(start + pageSize) } : {}) } };
      }
      case `${BASE_PATH}/videos`: {
        if (q.get('chart') === 'mostPopular') {
          const category = q.get('videoCategoryId');
          const chart = data.charts ? data.charts[`${q.get('regionCode')}${category ? `/${category}` : ''}`] : (data.popular ?? []);
          if (!chart) return youTubeErrorReply(404, 'videoChartNotFound');
          return { body: { kind: 'youtube#videoListResponse', items: cut(chart) } };
        }
        const ids = (q.get('id') ?? '').split(',');
        return { body: { kind: 'youtube#videoListResponse', items: cut((data.videos ?? []).filter((v) => ids.includes(v.id as string))) } };
      }
      case `${BASE_PATH}/search`: {
        const query = q.get('q');
        const all = (query !== null && data.searchByQuery ? data.searchByQuery[query] : data.searchIds) ?? [];
        const start = Number(q.get('pageToken') ?? 0);
        const end = start + Number(q.get('maxResults') ?? 5);
        return {
          body: {
            kind: 'youtube#searchListResponse',
            ...(end < all.length ? { nextPageToken: String(end) } : {}),
            items: cut(
              all.slice(start, end).map((videoId) => ({
                kind: 'youtube#searchResult',
                id: { kind: 'youtube#video', videoId },
                snippet: { title: videoId },
              })),
            ),
          },
        };
      }
      default:
        return youTubeErrorReply(404, 'notFound');
    }
  };
}

export interface YouTubeHarness {
  client: PlatformClient;
  stub: StubServer;
  ledger: QuotaLedger;
  /**
   * The clock both the client and the ledger read; move it with setNow. Keep it near the real
   * time: the ledger's Redis keys expire by the real clock (a day after the fake reset).
   */
  now(): Date;
  setNow(iso: string): void;
  cleanup(): Promise<void>;
}

export async function startYouTubeHarness(
  handler: StubHandler,
  options: Partial<YouTubeClientOptions> & { now?: string } = {},
): Promise<YouTubeHarness> {
  const stub = await startStubServer(handler);
  let now = options.now ? new Date(options.now) : new Date();
  const clock = (): Date => now;
  const keyPrefix = `test:youtube:${randomUUID()}`;
  const ledger = new QuotaLedger(testRedis(), clock, keyPrefix);
  const client = createYouTubeClient({
    apiKey: API_KEY,
    baseUrl: `${stub.url}${BASE_PATH}/`,
    timeoutMs: 2000,
    maxBytes: 1024 * 1024,
    quota: ledger,
    dailyUnits: 10_000,
    dailySearchCalls: 100,
    clock,
    ...options,
  });
  return {
    client,
    stub,
    ledger,
    now: clock,
    setNow(iso) {
      now = new Date(iso);
    },
    async cleanup() {
      await stub.close();
      const keys = await testRedis().keys(`${keyPrefix}:*`);
      if (keys.length) await testRedis().del(...keys);
    },
  };
}

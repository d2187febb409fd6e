/**
 * Instagram Graph API adapter (source 'instagram-graph-api'), through business discovery with the
 * operator's own professional account: it sees public Business and Creator accounts only.
 *
 * Honesty rules: views exist only for Reels, where the API returns `view_count`; for photos,
 * carousels and any response without it, views are unknown (null), never 0. A missing
 * `like_count` means hidden likes: unknown, not 0. Shares are not available.
 *
 * Ids: business discovery has no lookup of another account's media by id, so a video id here is
 * "<username>:<media id>"; getVideoStats reads each owner's recent media (up to STATS_PAGES
 * pages) and picks the ids. An id missing after the whole list was read is absent (deleted); one
 * not reached within the page limit is 'unavailable' (kept, asked again later), never "deleted".
 * Discovery across Instagram is not possible with this API (capabilities.discovery = false).
 *
 * Usage headers (X-App-Usage, X-Business-Use-Case-Usage, percentages): above 80 % the client
 * stops calling and answers a retryable error (with retryAfterMs) until the platform's estimated
 * time to regain access (or a minute) has passed, instead of running into throttling. The pause
 * is per process: each worker reads the headers of its own calls.
 */
import { z } from 'zod';
import { PlatformError } from '../errors';
import { requestJson } from '../http';
import type { Capabilities, Creator, CreatorRef, PlatformClient, Video, VideoFormat, VideoStats } from '../types';
import { countOrNull, hashtagsIn, parseResponse } from '../validate';

export const INSTAGRAM_CAPABILITIES: Capabilities = {
  views: 'some',
  likes: 'unless-hidden',
  shares: false,
  discovery: false,
  maxBatchSize: 50,
  // Hashtag search (ig_hashtag_search, recent_media) is not among the calls this adapter is built on.
  searchBy: [],
  notes: 'Business discovery: public Business/Creator accounts only; views for Reels only; no platform-wide discovery',
};

const MEDIA_FIELDS = 'id,timestamp,like_count,comments_count,media_type,media_product_type,permalink,caption,view_count';
const PAGE_SIZE = 50;
/** Pages (of PAGE_SIZE posts) one stats lookup may read per account before giving up on older posts. */
const STATS_PAGES = 10;
const SLOW_DOWN_AT = 80;
/** Instagram usernames; anything else could rewrite the field expression it is put into. */
const USERNAME = /^[A-Za-z0-9._]{1,30}$/;
/** Throttling codes: app/user (4, 17, 32, 613) and Instagram business-use-case (80002) limits. */
const THROTTLED = [4, 17, 32, 613, 80002];

const mediaSchema = z
  .object({
    id: z.union([z.string(), z.number()]).transform(String),
    timestamp: z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'not a date'),
    like_count: z.unknown().optional(),
    comments_count: z.unknown().optional(),
    view_count: z.unknown().optional(),
    media_type: z.string().optional(),
    media_product_type: z.string().optional(),
    permalink: z.string().optional(),
    caption: z.string().optional(),
  })
  .passthrough();
const discoverySchema = z.object({
  business_discovery: z.object({
    id: z.union([z.string(), z.number()]).transform(String).optional(),
    username: z.string().optional(),
    name: z.string().optional(),
    followers_count: z.unknown().optional(),
    media_count: z.unknown().optional(),
    media: z
      .object({
        data: z.array(mediaSchema).default([]),
        paging: z.object({ cursors: z.object({ after: z.string().optional() }).optional(), next: z.string().optional() }).optional(),
      })
      .optional(),
  }),
});
const errorSchema = z.object({
  error: z.object({ message: z.string().default(''), code: z.number(), error_subcode: z.number().optional(), type: z.string().optional() }),
});

const FORMATS: Record<string, VideoFormat> = { CAROUSEL_ALBUM: 'carousel', IMAGE: 'photo', VIDEO: 'video' };

export interface InstagramClientOptions {
  accessToken: string;
  igUserId: string;
  baseUrl: string;
  version: string;
  timeoutMs: number;
  maxBytes: number;
  clock?: () => Date;
}

function classify(code: number, subcode: number | undefined, message: string, status: number, regainAfterMs: number): PlatformError {
  const info = { status, code: String(code) };
  if (code === 110 && subcode === 2207013)
    return new PlatformError('instagram', 'not_found', `account not found or not a Business/Creator account: ${message}`, info);
  // Operator configuration, not bad input: no token (104), an expired or revoked one (190), a
  // token without the permission (10, 200), or an own account id the token cannot read (100/33).
  if (code === 104)
    return new PlatformError('instagram', 'reauth', `no access token was sent (104): set INSTAGRAM_ACCESS_TOKEN: ${message}`, info);
  if (code === 190)
    return new PlatformError(
      'instagram',
      'reauth',
      `the access token is expired or revoked (190): renew INSTAGRAM_ACCESS_TOKEN: ${message}`,
      info,
    );
  if (code === 10 || code === 200)
    return new PlatformError(
      'instagram',
      'reauth',
      `the token lacks a permission (${code}): grant it to INSTAGRAM_ACCESS_TOKEN: ${message}`,
      info,
    );
  if (code === 100 && subcode === 33) {
    return new PlatformError(
      'instagram',
      'reauth',
      `the operator's own Instagram account cannot be read (100/33): check INSTAGRAM_USER_ID (the professional account id of INSTAGRAM_ACCESS_TOKEN): ${message}`,
      info,
    );
  }
  if (THROTTLED.includes(code))
    return new PlatformError('instagram', 'retryable', `throttled (${code}): ${message}`, {
      ...info,
      retryAfterMs: Math.max(regainAfterMs, 60_000),
    });
  if (code === 1 || code === 2) return new PlatformError('instagram', 'retryable', `transient error (${code}): ${message}`, info);
  if (code === 100) return new PlatformError('instagram', 'bad_input', `invalid parameter: ${message}`, info);
  return new PlatformError('instagram', status >= 500 ? 'retryable' : 'bad_input', `Graph API error ${code}: ${message}`, info);
}

/** The highest usage percentage in the two usage headers, and the platform's wait, if any. */
export function usageFromHeaders(headers: Headers): { percent: number; regainAfterMs: number } {
  const percents: number[] = [];
  let regainMinutes = 0;
  const collect = (entry: Record<string, unknown>) => {
    for (const key of ['call_count', 'total_cputime', 'total_time'])
      if (typeof entry[key] === 'number') percents.push(entry[key] as number);
    if (typeof entry.estimated_time_to_regain_access === 'number')
      regainMinutes = Math.max(regainMinutes, entry.estimated_time_to_regain_access);
  };
  for (const name of ['x-app-usage', 'x-business-use-case-usage']) {
    const raw = headers.get(name);
    if (!raw) continue;
    try {
      const parsed = JSON.parse(raw) as Record<string, unknown>;
      if (name === 'x-app-usage') collect(parsed);
      else for (const list of Object.values(parsed)) if (Array.isArray(list)) list.forEach((e) => collect(e as Record<string, unknown>));
    } catch {
      // A garbled usage header tells us nothing; the call itself succeeded.
    }
  }
  return { percent: percents.length ? Math.max(...percents) : 0, regainAfterMs: regainMinutes * 60_000 };
}

export function createInstagramClient(opts: InstagramClientOptions): PlatformClient {
  const base = `${opts.baseUrl.replace(/\/+$/, '')}/${opts.version}`;
  const clock = opts.clock ?? (() => new Date());
  let pausedUntil = 0;

  async function discover(username: string, mediaLimit: number, after?: string) {
    if (!USERNAME.test(username))
      throw new PlatformError('instagram', 'bad_input', `not an Instagram username: ${JSON.stringify(username.slice(0, 40))}`);
    const now = clock().getTime();
    if (now < pausedUntil) {
      throw new PlatformError('instagram', 'retryable', 'usage above 80 % of the allowance: waiting before the next call', {
        retryAfterMs: pausedUntil - now,
        code: 'usage_high',
      });
    }
    const media = `media${after ? `.after(${after})` : ''}.limit(${mediaLimit}){${MEDIA_FIELDS}}`;
    const fields = `business_discovery.username(${username}){id,username,name,followers_count,media_count,${media}}`;
    const url = `${base}/${encodeURIComponent(opts.igUserId)}?${new URLSearchParams({ fields, access_token: opts.accessToken })}`;
    let res;
    try {
      res = await requestJson({ platform: 'instagram', url, timeoutMs: opts.timeoutMs, maxBytes: opts.maxBytes, clock });
    } catch (err) {
      if (err instanceof PlatformError) err.message = err.message.split(opts.accessToken).join('[redacted]');
      throw err;
    }
    const usage = usageFromHeaders(res.headers);
    if (usage.percent >= SLOW_DOWN_AT) pausedUntil = clock().getTime() + Math.max(usage.regainAfterMs, 60_000);
    const failure = errorSchema.safeParse(res.json); // an error body means failure, whatever the status
    if (failure.success) {
      const { code, error_subcode, message } = failure.data.error;
      throw classify(code, error_subcode, message, res.status, usage.regainAfterMs);
    }
    if (res.status >= 400) {
      throw new PlatformError(
        'instagram',
        res.status >= 500 || res.status === 429 ? 'retryable' : 'bad_input',
        `HTTP ${res.status} without a Graph API error body`,
        { status: res.status },
      );
    }
    return {
      account: parseResponse('instagram', 'business_discovery', discoverySchema, res.json, res.status).business_discovery,
      fetchedAt: res.receivedAt.toISOString(),
    };
  }

  function toVideo(username: string, creatorName: string | null, m: z.output<typeof mediaSchema>, fetchedAt: string): Video {
    const isReel = m.media_product_type === 'REELS';
    const format: VideoFormat | null = isReel ? 'reel' : (FORMATS[m.media_type ?? ''] ?? null);
    return {
      platform: 'instagram',
      id: `${username}:${m.id}`,
      source: 'instagram-graph-api',
      fetchedAt,
      metrics: {
        views: isReel ? countOrNull(m.view_count) : null,
        likes: countOrNull(m.like_count),
        comments: countOrNull(m.comments_count),
        shares: null,
      },
      creatorId: username,
      creatorName,
      title: null,
      description: m.caption ?? null,
      url: m.permalink ?? null,
      publishedAt: new Date(m.timestamp).toISOString(),
      durationSeconds: null,
      hashtags: hashtagsIn(m.caption),
      topics: [],
      soundId: null,
      format,
    };
  }

  /**
   * Recent media of one account, newest first, paging with `.after(cursor)` inside the field
   * expansion. The media edge's paging may carry `cursors.after` WITHOUT a `next` URL: the cursor
   * alone means "more"; only a page without `after` (or an empty one) ends the list. `complete`
   * says whether the whole list was read (rather than stopped by `stop` or the page limit).
   */
  async function recentMedia(
    username: string,
    stop: (page: Video[], all: Video[]) => boolean,
    maxPages: number,
  ): Promise<{ videos: Video[]; complete: boolean }> {
    const videos: Video[] = [];
    let after: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const { account, fetchedAt } = await discover(username, PAGE_SIZE, after);
      const batch = (account.media?.data ?? []).map((m) => toVideo(username, account.name ?? null, m, fetchedAt));
      videos.push(...batch);
      after = account.media?.paging?.cursors?.after;
      if (!after || batch.length === 0) return { videos, complete: true };
      if (stop(batch, videos)) break;
    }
    return { videos, complete: false };
  }

  return {
    platform: 'instagram',
    source: 'instagram-graph-api',
    capabilities: INSTAGRAM_CAPABILITIES,

    async resolveCreator(ref: CreatorRef): Promise<Creator> {
      if (ref.platform !== 'instagram') throw new PlatformError('instagram', 'bad_input', `not an Instagram reference: ${ref.platform}`);
      const { account, fetchedAt } = await discover(ref.value, 1);
      return {
        platform: 'instagram',
        id: (account.username ?? ref.value).toLowerCase(),
        handle: account.username ?? ref.value,
        name: account.name ?? account.username ?? ref.value,
        followers: countOrNull(account.followers_count),
        videoCount: countOrNull(account.media_count),
        fetchedAt,
        source: 'instagram-graph-api',
      };
    },

    async listCreatorVideos(username, { since, limit }) {
      const older = (page: Video[], all: Video[]) => Date.parse(page.at(-1)!.publishedAt) < since.getTime() || all.length >= limit;
      const { videos } = await recentMedia(username, older, Math.ceil(limit / PAGE_SIZE) + 1);
      return videos.filter((v) => Date.parse(v.publishedAt) >= since.getTime()).slice(0, limit);
    },

    async getVideoStats(ids) {
      if (ids.length > INSTAGRAM_CAPABILITIES.maxBatchSize)
        throw new PlatformError('instagram', 'bad_input', `at most ${INSTAGRAM_CAPABILITIES.maxBatchSize} ids per call, got ${ids.length}`);
      const byOwner = new Map<string, Set<string>>();
      for (const id of ids) {
        const owner = id.split(':')[0];
        if (!owner || !id.includes(':') || !USERNAME.test(owner)) continue; // not one of our composite ids: absent, as unknown ids are
        byOwner.set(owner, (byOwner.get(owner) ?? new Set()).add(id));
      }
      const found = new Map<string, VideoStats | PlatformError>();
      for (const [owner, wanted] of byOwner) {
        const seen = new Set<string>();
        const allSeen = (page: Video[]) => {
          for (const v of page) if (wanted.has(v.id)) seen.add(v.id);
          return seen.size === wanted.size;
        };
        const { videos, complete } = await recentMedia(owner, allSeen, STATS_PAGES);
        for (const v of videos)
          if (wanted.has(v.id))
            found.set(v.id, { platform: 'instagram', id: v.id, metrics: v.metrics, fetchedAt: v.fetchedAt, source: v.source });
        // Absent (deleted) only when the whole media list was read; past the page limit a post
        // is merely out of reach this time.
        if (complete) continue;
        for (const id of wanted) {
          if (!found.has(id))
            found.set(
              id,
              new PlatformError(
                'instagram',
                'unavailable',
                `post ${id} is not among the ${videos.length} newest posts read (page limit); not known to be deleted`,
                { code: 'beyond_page_limit' },
              ),
            );
        }
      }
      return found;
    },

    async discoverFresh() {
      return []; // business discovery only looks up named accounts; Trend Watch skips Instagram
    },

    async searchFresh({ signal }) {
      throw new PlatformError('instagram', 'bad_input', `Instagram cannot be searched by ${signal.kind} (business discovery only)`);
    },
  };
}

/**
 * TikTok Research API adapter (source 'tiktok-research-api'). Only for operators approved for
 * TikTok's Research API (non-commercial academic research): 1,000 requests and 100,000 records
 * a day, at most 100 videos per request, date windows of at most 30 days.
 *
 * - Client-credentials token, cached and refreshed 5 minutes before its 2-hour expiry; parallel
 *   calls share one token request. An `access_token_invalid` answer drops it and retries once.
 * - Errors come in the body even with HTTP 200 (`error.code !== "ok"`) and map to our classes.
 * - Daily accounting in the shared QuotaLedger, in UTC days (TikTok's Research API FAQ: the
 *   daily quota resets at 12 AM UTC): one request and `max_count` records are reserved before
 *   every query, so a call that could overrun either bucket is refused before it is made.
 *   Reserving the maximum rather than the records actually returned keeps the refusal safe; the
 *   ledger may under-use a day. TikTok's own "spent" answer — 429 `rate_limit_exceeded`, read as
 *   the daily cap unless it clearly is a short throttle (see isDailyCap) — exhausts both buckets
 *   until 00:00 UTC.
 * - A search_id expires: an "invalid or expired" answer on a later page restarts the query once.
 * - Every video query needs a date window (≤ 30 days): longer ranges are split, and lookups by
 *   id use windows around the creation times the ids carry (see windows.ts).
 * - Video ids are 64-bit: kept as strings end to end (lossless JSON).
 */
import { z } from 'zod';
import { PLATFORMS } from '../../lib/domain/platforms';
import { PlatformError } from '../errors';
import { requestJson, retryAfterMs } from '../http';
import { quotaDay, type QuotaBucket, type QuotaLedger } from '../quota';
import type { Capabilities, Creator, CreatorRef, PlatformClient, Signal, SignalKind, Video, VideoStats } from '../types';
import { countOrNull, parseResponse } from '../validate';
import { splitRange, utcDay, windowsForIds } from './windows';

export const TIKTOK_CAPABILITIES: Capabilities = {
  views: 'all',
  likes: 'all',
  shares: true,
  discovery: true,
  maxBatchSize: 100,
  searchBy: ['hashtag', 'sound', 'keyword'],
  notes: 'Research API: approved non-commercial researchers only; 1,000 requests and 100,000 records a day; windows of at most 30 days',
};

const VIDEO_FIELDS =
  'id,video_description,create_time,region_code,share_count,view_count,like_count,comment_count,music_id,hashtag_names,username,video_duration';
const USER_FIELDS = 'display_name,bio_description,is_verified,follower_count,following_count,likes_count,video_count';

const idSchema = z.union([z.string(), z.number()]).transform(String);
const errorSchema = z.object({ code: z.string(), message: z.string().optional().default(''), log_id: z.string().optional() }).passthrough();
const videoSchema = z
  .object({
    id: idSchema,
    username: z.string().optional(),
    create_time: z.number(),
    video_description: z.string().nullish(),
    view_count: z.unknown().optional(),
    like_count: z.unknown().optional(),
    comment_count: z.unknown().optional(),
    share_count: z.unknown().optional(),
    hashtag_names: z.array(z.string()).nullish(),
    music_id: idSchema.nullish(),
    video_duration: z.number().nullish(),
  })
  .passthrough();
const queryResponse = z.object({
  data: z
    .object({
      videos: z.array(videoSchema).default([]),
      cursor: z.number().optional(),
      has_more: z.boolean().default(false),
      search_id: z.string().optional(),
    })
    .optional(),
  error: errorSchema,
});
const userResponse = z.object({
  data: z
    .object({ display_name: z.string().optional(), follower_count: z.unknown().optional(), video_count: z.unknown().optional() })
    .passthrough()
    .optional(),
  error: errorSchema,
});
const tokenResponse = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });

export interface TikTokClientOptions {
  clientKey: string;
  clientSecret: string;
  baseUrl: string;
  timeoutMs: number;
  maxBytes: number;
  quota: QuotaLedger;
  dailyRequests: number;
  dailyRecords: number;
  regionCodes: string[];
  clock?: () => Date;
}

type Query = Record<string, unknown>;

/**
 * The video query condition that follows one signal (Research API "Query Videos" condition
 * fields): hashtag_name (without '#'), music_id (the sound), keyword (words in the description).
 */
const SIGNAL_FIELDS: Record<SignalKind, string> = { hashtag: 'hashtag_name', sound: 'music_id', keyword: 'keyword' };

function signalCondition(signal: Signal): Query {
  const value = signal.kind === 'hashtag' ? signal.name.replace(/^#/, '') : signal.name.trim();
  if (!value || (signal.kind === 'sound' && !/^\d+$/.test(value)))
    throw new PlatformError('tiktok', 'bad_input', `cannot follow ${signal.kind} ${JSON.stringify(signal.name.slice(0, 60))}`);
  return { operation: 'EQ', field_name: SIGNAL_FIELDS[signal.kind], field_values: [value] };
}

/**
 * How a 429 `rate_limit_exceeded` from the Research API is read. The Research API documents only
 * daily limits (1,000 requests and 100,000 records, reset 00:00 UTC); the per-minute limit
 * (600/min) is documented for the Display API endpoints, and no separate code tells the two
 * apart. The safe reading is therefore "the daily cap is spent": hold every call until 00:00 UTC
 * (a wrong guess costs hours of TikTok data; the other wrong guess hammers a spent cap for a day
 * and risks the research client). Only a 429 that looks like a short throttle on every count is
 * retried: it names a short wait (Retry-After ≤ 5 minutes), our ledger still has ≥ 10 % of the
 * day's requests and records (the lab's quota may be shared with other tools, so a full ledger
 * is a strong sign, an empty one a weak one), and it is not a repeat (no 429 in the previous 15
 * minutes: a second one after backing off means the wait did not help).
 */
const SHORT_THROTTLE_MAX_MS = 5 * 60_000;
const REPEAT_WINDOW_MS = 15 * 60_000;
const NEAR_LIMIT_SHARE = 0.1;

function errorFor(code: string, message: string, status: number, headers: Headers, now: Date): PlatformError {
  const info = { status, code, retryAfterMs: retryAfterMs(headers, now.getTime()) };
  switch (code) {
    case 'access_token_invalid':
    case 'scope_not_authorized':
    case 'scope_permission_missed':
      return new PlatformError(
        'tiktok',
        'reauth',
        `${code}: ${message} (check TIKTOK_CLIENT_KEY, TIKTOK_CLIENT_SECRET and the research client's approval)`,
        info,
      );
    case 'invalid_params':
      return new PlatformError('tiktok', 'bad_input', `${code}: ${message}`, info);
    case 'daily_quota_limit_exceeded': // not in the v2 error table, but what the Research API answers (429)
      return new PlatformError('tiktok', 'quota_exhausted', `${code}: ${message}`, {
        ...info,
        resetAt: quotaDay(now, PLATFORMS.tiktok.quotaResetTimeZone).resetAt.toISOString(),
      });
    case 'rate_limit_exceeded':
    case 'internal_error':
      return new PlatformError('tiktok', 'retryable', `${code}: ${message}`, info);
    default:
      if (status === 401 || status === 403) return new PlatformError('tiktok', 'reauth', `${code || `HTTP ${status}`}: ${message}`, info);
      if (status === 404) return new PlatformError('tiktok', 'not_found', `${code}: ${message}`, info);
      return new PlatformError(
        'tiktok',
        status >= 500 || status === 429 ? 'retryable' : 'bad_input',
        `${code || `HTTP ${status}`}: ${message}`,
        info,
      );
  }
}

/** TikTok's answer to a later page whose search_id has expired ("search_id … is invalid or expired"). */
function isExpiredSearch(err: unknown): boolean {
  return err instanceof PlatformError && err.info.code === 'invalid_params' && /expired|search.?id/i.test(err.message);
}

export function createTikTokClient(opts: TikTokClientOptions): PlatformClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const clock = opts.clock ?? (() => new Date());
  const buckets: Record<'requests' | 'records', QuotaBucket> = {
    requests: { platform: 'tiktok', name: 'requests', limit: opts.dailyRequests, resetTimeZone: PLATFORMS.tiktok.quotaResetTimeZone },
    records: { platform: 'tiktok', name: 'records', limit: opts.dailyRecords, resetTimeZone: PLATFORMS.tiktok.quotaResetTimeZone },
  };
  const regionCondition = { operation: 'IN', field_name: 'region_code', field_values: opts.regionCodes };
  let token: { value: string; refreshAt: number } | undefined;
  let tokenRequest: Promise<string> | undefined;
  /** When this process last saw a 429 it read as a short throttle (see SHORT_THROTTLE_MAX_MS). */
  let lastThrottledAt = -Infinity;

  /** Whether a 429 rate_limit_exceeded is the daily cap (the default) rather than a short throttle. */
  async function isDailyCap(failure: PlatformError, now: Date): Promise<boolean> {
    const wait = failure.info.retryAfterMs;
    const repeated = now.getTime() - lastThrottledAt < REPEAT_WINDOW_MS;
    const [requests, records] = await Promise.all([opts.quota.usage(buckets.requests), opts.quota.usage(buckets.records)]);
    const nearLimit = requests.remaining < requests.limit * NEAR_LIMIT_SHARE || records.remaining < records.limit * NEAR_LIMIT_SHARE;
    if (wait !== undefined && wait <= SHORT_THROTTLE_MAX_MS && !repeated && !nearLimit) {
      lastThrottledAt = now.getTime();
      return false;
    }
    return true;
  }

  async function fetchToken(): Promise<string> {
    const res = await requestJson({
      platform: 'tiktok',
      url: `${base}/v2/oauth/token/`,
      method: 'POST',
      timeoutMs: opts.timeoutMs,
      maxBytes: opts.maxBytes,
      clock,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_key: opts.clientKey,
        client_secret: opts.clientSecret,
        grant_type: 'client_credentials',
      }).toString(),
    });
    if (res.status >= 500 || res.status === 429)
      throw new PlatformError('tiktok', 'retryable', `token endpoint answered ${res.status}`, { status: res.status });
    if (res.status !== 200 || !tokenResponse.safeParse(res.json).success) {
      throw new PlatformError('tiktok', 'reauth', 'client credentials were refused: check TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET', {
        status: res.status,
        code: 'invalid_client',
      });
    }
    const { access_token, expires_in } = tokenResponse.parse(res.json);
    token = { value: access_token, refreshAt: clock().getTime() + Math.max(0, expires_in - 300) * 1000 };
    return access_token;
  }

  /** The cached token, or one fresh request shared by every caller waiting for it. */
  async function accessToken(): Promise<string> {
    if (token && clock().getTime() < token.refreshAt) return token.value;
    tokenRequest ??= fetchToken().finally(() => {
      tokenRequest = undefined;
    });
    return tokenRequest;
  }

  /** One Research API call; the answer with the time it arrived (the time of its metrics). */
  async function post<S extends z.ZodType>(
    path: string,
    fields: string,
    body: Query,
    schema: S,
    records: number,
    retried = false,
  ): Promise<{ body: z.output<S>; fetchedAt: string }> {
    const bearer = await accessToken(); // first, so a failed token request spends no quota
    await opts.quota.reserve(buckets.requests, 1);
    if (records > 0) await opts.quota.reserve(buckets.records, records);
    const res = await requestJson({
      platform: 'tiktok',
      url: `${base}${path}?fields=${fields}`,
      method: 'POST',
      body,
      timeoutMs: opts.timeoutMs,
      maxBytes: opts.maxBytes,
      headers: { authorization: `Bearer ${bearer}` },
      clock,
    });
    const error = errorSchema.safeParse((res.json as { error?: unknown } | undefined)?.error);
    const code = error.success ? error.data.code : '';
    if (code === 'access_token_invalid' && !retried) {
      token = undefined; // expired early or revoked: one fresh token, one retry
      return post(path, fields, body, schema, records, true);
    }
    if (code !== 'ok' || res.status >= 400) {
      const now = clock();
      let failure = errorFor(code, error.success ? error.data.message : '', res.status, res.headers, now);
      if ((res.status === 429 || code === 'rate_limit_exceeded') && failure.kind === 'retryable' && (await isDailyCap(failure, now))) {
        failure = new PlatformError(
          'tiktok',
          'quota_exhausted',
          `${code || 'HTTP 429'}: ${failure.message.replace(/^tiktok: /, '')} (read as the Research API's daily cap: calls wait for 00:00 UTC)`,
          { status: 429, code: code || 'http_429', resetAt: quotaDay(now, PLATFORMS.tiktok.quotaResetTimeZone).resetAt.toISOString() },
        );
      }
      if (failure.kind === 'quota_exhausted')
        await Promise.all([opts.quota.exhaust(buckets.requests), opts.quota.exhaust(buckets.records)]);
      throw failure;
    }
    return { body: parseResponse('tiktok', path, schema, res.json, res.status), fetchedAt: res.receivedAt.toISOString() };
  }

  function toVideo(v: z.output<typeof videoSchema>, fetchedAt: string): Video {
    return {
      platform: 'tiktok',
      id: v.id,
      source: 'tiktok-research-api',
      fetchedAt,
      metrics: {
        views: countOrNull(v.view_count),
        likes: countOrNull(v.like_count),
        comments: countOrNull(v.comment_count),
        shares: countOrNull(v.share_count),
      },
      creatorId: v.username ?? '',
      creatorName: v.username ?? null,
      title: null,
      description: v.video_description ?? null,
      url: v.username ? `https://www.tiktok.com/@${v.username}/video/${v.id}` : null,
      publishedAt: new Date(v.create_time * 1000).toISOString(),
      durationSeconds: v.video_duration ?? null,
      hashtags: [...new Set((v.hashtag_names ?? []).map((h) => h.toLowerCase()))],
      topics: [],
      soundId: v.music_id ?? null,
      format: 'short',
    };
  }

  /**
   * Pages through one query within one date window (≤ 30 days). A search_id expires: when a
   * later page is refused as "invalid or expired", the query restarts from cursor 0 once (a
   * second expiry fails the call); videos already collected are not added twice.
   */
  async function queryVideos(query: Query, from: number, to: number, limit: number): Promise<Video[]> {
    const videos = new Map<string, Video>();
    let cursor = 0;
    let searchId: string | undefined;
    let restarted = false;
    while (videos.size < limit) {
      const maxCount = Math.min(100, limit - videos.size);
      let page;
      try {
        page = await post(
          '/v2/research/video/query/',
          VIDEO_FIELDS,
          {
            query,
            start_date: utcDay(from),
            end_date: utcDay(to),
            max_count: maxCount,
            cursor,
            ...(searchId ? { search_id: searchId } : {}),
          },
          queryResponse,
          maxCount,
        );
      } catch (err) {
        if (!restarted && searchId && isExpiredSearch(err)) {
          restarted = true;
          cursor = 0;
          searchId = undefined;
          continue;
        }
        throw err;
      }
      for (const v of page.body.data?.videos ?? [])
        if (videos.size < limit || videos.has(String(v.id))) videos.set(String(v.id), toVideo(v, page.fetchedAt));
      if (!page.body.data?.has_more || page.body.data.cursor === undefined) break;
      cursor = page.body.data.cursor;
      searchId = page.body.data.search_id;
    }
    return [...videos.values()];
  }

  /** One query over [from, to], window by window (≤ 30 days each), newest window first. */
  async function queryAcrossWindows(query: Query, from: number, to: number, limit: number): Promise<Video[]> {
    const videos: Video[] = [];
    for (const window of splitRange(from, to)) {
      if (videos.length >= limit) break;
      videos.push(...(await queryVideos(query, window.from, window.to, limit - videos.length)));
    }
    return videos;
  }

  return {
    platform: 'tiktok',
    source: 'tiktok-research-api',
    capabilities: TIKTOK_CAPABILITIES,

    async resolveCreator(ref: CreatorRef): Promise<Creator> {
      if (ref.platform !== 'tiktok') throw new PlatformError('tiktok', 'bad_input', `not a TikTok reference: ${ref.platform}`);
      const username = ref.value.toLowerCase(); // TikTok usernames are case-insensitive
      let answer;
      try {
        answer = await post('/v2/research/user/info/', USER_FIELDS, { username }, userResponse, 0);
      } catch (err) {
        // An unknown or private account is refused as invalid_params (not documented: we go by
        // the message, so a malformed request of ours still surfaces as bad_input).
        if (err instanceof PlatformError && err.info.code === 'invalid_params' && /user|exist|private|found/i.test(err.message))
          throw new PlatformError('tiktok', 'not_found', `no public TikTok account @${ref.value}`, err.info);
        throw err;
      }
      const data = answer.body.data;
      if (!data || Object.keys(data).length === 0) throw new PlatformError('tiktok', 'not_found', `no public TikTok account @${ref.value}`);
      return {
        platform: 'tiktok',
        id: username,
        handle: username,
        name: data.display_name ?? username,
        followers: countOrNull(data.follower_count),
        videoCount: countOrNull(data.video_count),
        fetchedAt: answer.fetchedAt,
        source: 'tiktok-research-api',
      };
    },

    async listCreatorVideos(username, { since, limit }) {
      const query = { and: [{ operation: 'EQ', field_name: 'username', field_values: [username] }] };
      const videos = await queryAcrossWindows(query, since.getTime(), clock().getTime(), limit);
      return videos
        .filter((v) => Date.parse(v.publishedAt) >= since.getTime())
        .sort((a, b) => Date.parse(b.publishedAt) - Date.parse(a.publishedAt));
    },

    async getVideoStats(ids) {
      if (ids.length > TIKTOK_CAPABILITIES.maxBatchSize)
        throw new PlatformError('tiktok', 'bad_input', `at most ${TIKTOK_CAPABILITIES.maxBatchSize} ids per call, got ${ids.length}`);
      if (ids.length === 0) return new Map();
      // A query only finds videos created inside its date window: one query per window that
      // covers the creation days read from the ids (usually one window for a batch).
      const found = new Map<string, VideoStats>();
      for (const window of windowsForIds(ids, clock().getTime())) {
        const query = { and: [{ operation: 'IN', field_name: 'video_id', field_values: window.ids }] };
        const wanted = new Set(window.ids);
        for (const v of await queryVideos(query, window.from, window.to, window.ids.length)) {
          if (wanted.has(v.id))
            found.set(v.id, { platform: 'tiktok', id: v.id, metrics: v.metrics, fetchedAt: v.fetchedAt, source: v.source });
        }
      }
      return found;
    },

    async discoverFresh({ publishedAfter, limit }) {
      const query = { and: [regionCondition] };
      const videos = await queryAcrossWindows(query, publishedAfter.getTime(), clock().getTime(), limit);
      return videos.filter((v) => Date.parse(v.publishedAt) > publishedAfter.getTime());
    },

    async searchFresh({ signal, publishedAfter, limit }) {
      // In the regions discovery watches: a signal is followed where its first videos were found.
      const query = { and: [regionCondition, signalCondition(signal)] };
      if (limit <= 0) return [];
      const videos = await queryAcrossWindows(query, publishedAfter.getTime(), clock().getTime(), limit);
      return videos
        .filter((v) => Date.parse(v.publishedAt) > publishedAfter.getTime())
        .sort((a, b) => Date.parse(b.publishedAt) - Date.parse(a.publishedAt));
    },
  };
}

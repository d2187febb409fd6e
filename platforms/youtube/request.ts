/**
 * One YouTube Data API call, with everything each call needs: the quota reserved BEFORE the
 * request (a call that would overrun is refused and never made), the API key as `key=`, the
 * HTTP guards of platforms/http.ts, error classification, and zod validation of the answer.
 */
import type { z } from 'zod';
import { PLATFORMS } from '../../lib/domain/platforms';
import { PlatformError } from '../errors';
import { requestJson, retryAfterMs } from '../http';
import type { QuotaBucket, QuotaLedger } from '../quota';
import { isQuotaExhausted, youTubeError } from './errors';

export type Endpoint = 'channels' | 'playlistItems' | 'videos' | 'search';

export interface YouTubeRequestOptions {
  apiKey: string;
  /** e.g. https://www.googleapis.com/youtube/v3 (config YOUTUBE_API_BASE_URL). */
  baseUrl: string;
  timeoutMs: number;
  maxBytes: number;
  quota: QuotaLedger;
  dailyUnits: number;
  dailySearchCalls: number;
  clock: () => Date;
}

export interface YouTubeBuckets {
  /** Every endpoint but search.list: 1 unit per call (10,000 a day by default). */
  units: QuotaBucket;
  /** search.list has its own bucket of calls (100 a day by default). */
  search: QuotaBucket;
}

export function youTubeBuckets(dailyUnits: number, dailySearchCalls: number): YouTubeBuckets {
  const bucket = (name: string, limit: number): QuotaBucket => ({
    platform: 'youtube',
    name,
    limit,
    resetTimeZone: PLATFORMS.youtube.quotaResetTimeZone,
  });
  return { units: bucket('units', dailyUnits), search: bucket('search', dailySearchCalls) };
}

/**
 * Cost per call, from https://developers.google.com/youtube/v3/determine_quota_cost: every list
 * call we make costs 1 unit; search.list has "its own quota bucket ... The quota cost is 1 per
 * call" (older pages said 100 units of the main bucket — if Google still charged that, the main
 * bucket would answer quotaExceeded sooner, which is classified and exhausts the bucket).
 */
const COST = 1;

/** One list call for exactly the parts of `call` (schemas.ts): the validated answer and when it arrived. */
export type YouTubeGet = <S extends z.ZodType>(
  endpoint: Endpoint,
  call: { part: string; schema: S },
  params: Record<string, string>,
) => Promise<{ body: z.output<S>; fetchedAt: string }>;

export function createYouTubeGet(opts: YouTubeRequestOptions, buckets: YouTubeBuckets): YouTubeGet {
  const base = opts.baseUrl.replace(/\/+$/, '');
  // The key must never reach a log or an error message, whatever upstream echoes.
  const redact = (err: PlatformError): PlatformError => {
    if (opts.apiKey) err.message = err.message.split(opts.apiKey).join('[redacted]');
    return err;
  };

  return async (endpoint, { part, schema }, params) => {
    const bucket = endpoint === 'search' ? buckets.search : buckets.units;
    await opts.quota.reserve(bucket, COST);

    // `part` comes with its schema, never from params: the two cannot disagree.
    const query = new URLSearchParams({ ...params, part, key: opts.apiKey });
    let answer;
    try {
      answer = await requestJson({
        platform: 'youtube',
        url: `${base}/${endpoint}?${query}`,
        timeoutMs: opts.timeoutMs,
        maxBytes: opts.maxBytes,
        clock: opts.clock,
      });
    } catch (err) {
      throw err instanceof PlatformError ? redact(err) : err;
    }

    if (answer.status < 200 || answer.status >= 300) {
      let resetAt: string | undefined;
      if (isQuotaExhausted(answer.json)) {
        // YouTube's count is the truth: stop every worker from calling this bucket until reset.
        await opts.quota.exhaust(bucket);
        resetAt = (await opts.quota.usage(bucket)).resetAt;
      }
      throw redact(
        youTubeError(
          endpoint,
          { status: answer.status, json: answer.json, retryAfterMs: retryAfterMs(answer.headers, opts.clock().getTime()) },
          resetAt,
        ),
      );
    }

    const parsed = schema.safeParse(answer.json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw redact(
        new PlatformError('youtube', 'bad_input', `unexpected ${endpoint}?part=${part} response: ${where}${issue?.message ?? 'invalid'}`, {
          status: answer.status,
          code: 'unexpected_shape',
        }),
      );
    }
    return { body: parsed.data, fetchedAt: answer.receivedAt.toISOString() };
  };
}

/**
 * A non-2xx YouTube answer → one PlatformError class (README "Platforms"). Google puts
 * the cause in error.errors[].reason ("quotaExceeded") and, for key problems, in
 * error.details[].reason ("API_KEY_INVALID"); the status code alone is the fallback.
 */
import { PlatformError, type PlatformErrorKind } from '../errors';
import { errorBodySchema } from './schemas';

const QUOTA_REASONS = new Set(['quotaExceeded', 'dailyLimitExceeded', 'dailyLimitExceededUnreg']);
const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED']);
const REAUTH_REASONS = new Set([
  'forbidden',
  'keyInvalid',
  'keyExpired',
  'API_KEY_INVALID',
  'API_KEY_SERVICE_BLOCKED',
  'accessNotConfigured',
  'SERVICE_DISABLED',
  'ipRefererBlocked',
  'authError',
]);
// videoChartNotFound: no mostPopular chart for this region and category (not every pair has one).
const NOT_FOUND_REASONS = new Set(['notFound', 'channelNotFound', 'playlistNotFound', 'videoNotFound', 'videoChartNotFound']);

export interface ErrorAnswer {
  status: number;
  json: unknown;
  retryAfterMs?: number;
}

/** Reasons found in Google's error body, first the classic ones, then ErrorInfo details. */
function errorReasons(json: unknown): { reasons: string[]; message?: string } {
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success) return { reasons: [] };
  const { errors = [], details = [], message } = parsed.data.error;
  const reasons = [...errors.map((e) => e.reason), ...details.map((d) => d.reason)].filter((r): r is string => Boolean(r));
  return { reasons, message };
}

/** Whether the answer says a daily quota is spent (the caller then exhausts its bucket). */
export function isQuotaExhausted(json: unknown): boolean {
  return errorReasons(json).reasons.some((r) => QUOTA_REASONS.has(r));
}

function kindOf(status: number, reasons: string[]): PlatformErrorKind {
  const has = (set: Set<string>): boolean => reasons.some((r) => set.has(r));
  if (has(QUOTA_REASONS)) return 'quota_exhausted';
  if (has(RATE_REASONS) || status === 429 || status >= 500) return 'retryable';
  if (has(REAUTH_REASONS) || status === 401 || status === 403) return 'reauth';
  if (has(NOT_FOUND_REASONS) || status === 404) return 'not_found';
  return 'bad_input'; // invalidPageToken, other 400s, statuses YouTube does not document
}

/** The PlatformError for a non-2xx answer (quota_exhausted gets its resetAt from the caller). */
export function youTubeError(endpoint: string, answer: ErrorAnswer, resetAt?: string): PlatformError {
  const { reasons, message } = errorReasons(answer.json);
  const kind = kindOf(answer.status, reasons);
  const code = reasons[0] ?? `http_${answer.status}`;
  // Google's messages never echo the key; cap them anyway, gateways can send whole pages.
  const detail = message ? `: ${message.slice(0, 200)}` : '';
  const hint = kind === 'reauth' ? " (an operator must check YOUTUBE_API_KEY and the project's YouTube Data API access)" : '';
  return new PlatformError('youtube', kind, `${endpoint} answered ${answer.status} ${code}${detail}${hint}`, {
    status: answer.status,
    code,
    ...(kind === 'retryable' && answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {}),
    ...(kind === 'quota_exhausted' && resetAt ? { resetAt } : {}),
  });
}

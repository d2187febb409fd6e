import type { Config } from '../../lib/config';
import type { QuotaLedger } from '../quota';
import type { PlatformClient } from '../types';
import { createYouTubeClient } from './client';

export { createYouTubeClient, YOUTUBE_CAPABILITIES, YOUTUBE_MAX_IDS, type YouTubeClientOptions } from './client';
export { parseIsoDuration } from './duration';
export { youTubeBuckets } from './request';

/** The adapter as configured (YOUTUBE_* and PLATFORM_* keys); without YOUTUBE_API_KEY use the simulator. */
export function youTubeClientFromConfig(config: Config, quota: QuotaLedger, clock: () => Date): PlatformClient {
  if (!config.YOUTUBE_API_KEY) throw new Error('YOUTUBE_API_KEY is not set: the YouTube adapter needs an API key');
  return createYouTubeClient({
    apiKey: config.YOUTUBE_API_KEY,
    baseUrl: config.YOUTUBE_API_BASE_URL,
    timeoutMs: config.PLATFORM_HTTP_TIMEOUT_MS,
    maxBytes: config.PLATFORM_MAX_RESPONSE_BYTES,
    quota,
    clock,
    dailyUnits: config.YOUTUBE_DAILY_QUOTA_UNITS,
    dailySearchCalls: config.YOUTUBE_DAILY_SEARCH_CALLS,
    regionCodes: config.TREND_DISCOVERY_REGIONS,
    categoryIds: config.TREND_DISCOVERY_CATEGORIES,
  });
}

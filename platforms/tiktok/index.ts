import type { Config } from '../../lib/config';
import type { QuotaLedger } from '../quota';
import type { PlatformClient } from '../types';
import { createTikTokClient } from './client';

export { createTikTokClient, TIKTOK_CAPABILITIES, type TikTokClientOptions } from './client';

/** The adapter as configured (TIKTOK_* and PLATFORM_* keys); without credentials use the simulator. */
export function tikTokClientFromConfig(config: Config, quota: QuotaLedger, clock: () => Date): PlatformClient {
  if (!config.TIKTOK_CLIENT_KEY || !config.TIKTOK_CLIENT_SECRET)
    throw new Error('TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET are required for the TikTok adapter');
  return createTikTokClient({
    clientKey: config.TIKTOK_CLIENT_KEY,
    clientSecret: config.TIKTOK_CLIENT_SECRET,
    baseUrl: config.TIKTOK_API_BASE_URL,
    timeoutMs: config.PLATFORM_HTTP_TIMEOUT_MS,
    maxBytes: config.PLATFORM_MAX_RESPONSE_BYTES,
    quota,
    clock,
    dailyRequests: config.TIKTOK_DAILY_REQUESTS,
    dailyRecords: config.TIKTOK_DAILY_RECORDS,
    regionCodes: config.TIKTOK_REGION_CODES.split(',')
      .map((r) => r.trim())
      .filter(Boolean),
  });
}

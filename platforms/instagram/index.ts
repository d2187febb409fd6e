import type { Config } from '../../lib/config';
import type { PlatformClient } from '../types';
import { createInstagramClient } from './client';

export { createInstagramClient, INSTAGRAM_CAPABILITIES, usageFromHeaders, type InstagramClientOptions } from './client';

/** The adapter as configured (INSTAGRAM_* and PLATFORM_* keys); without a token use the simulator. */
export function instagramClientFromConfig(config: Config, clock: () => Date): PlatformClient {
  if (!config.INSTAGRAM_ACCESS_TOKEN || !config.INSTAGRAM_USER_ID)
    throw new Error('INSTAGRAM_ACCESS_TOKEN and INSTAGRAM_USER_ID are required for the Instagram adapter');
  return createInstagramClient({
    accessToken: config.INSTAGRAM_ACCESS_TOKEN,
    igUserId: config.INSTAGRAM_USER_ID,
    baseUrl: config.INSTAGRAM_API_BASE_URL,
    version: config.INSTAGRAM_API_VERSION,
    timeoutMs: config.PLATFORM_HTTP_TIMEOUT_MS,
    maxBytes: config.PLATFORM_MAX_RESPONSE_BYTES,
    clock,
  });
}

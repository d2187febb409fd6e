/**
 * The platforms a process talks to, built once per process: for each enabled platform the real
 * adapter when its credentials are configured, otherwise the offline simulator; and in front of
 * each, the batcher that coalesces concurrent stats requests into one upstream call.
 */
import type { Redis } from 'ioredis';
import { realClock, type Clock } from '../lib/clock';
import type { Config } from '../lib/config';
import { PLATFORMS } from '../lib/domain/platforms';
import { StatsBatcher } from './batcher';
import { instagramClientFromConfig } from './instagram';
import { QuotaLedger, type QuotaBucket } from './quota';
import { createSimulator } from './simulator';
import { tikTokClientFromConfig } from './tiktok';
import type { Capabilities, DataSource, PlatformClient, PlatformName } from './types';
import { youTubeBuckets, youTubeClientFromConfig } from './youtube';

export type { PlatformClient, PlatformName } from './types';

export interface Platforms {
  enabled: PlatformName[];
  client(platform: PlatformName): PlatformClient;
  /** Batched stats (one video rejects with PlatformError 'not_found' when unknown; several settle one by one). */
  stats(platform: PlatformName): Pick<StatsBatcher, 'get' | 'getMany'>;
  /** Which source serves each enabled platform, with its capabilities (for the API and README). */
  describe(): { platform: PlatformName; source: DataSource; capabilities: Capabilities }[];
  /** Calls left today in the platform's main daily quota; null when it has none (simulator, Instagram). */
  quotaLeft(platform: PlatformName): Promise<number | null>;
  /** The platform's main daily bucket (shared fairly among tenants); null when it has none. */
  quotaBucket(platform: PlatformName): QuotaBucket | null;
  /**
   * The scarce daily bucket that following a signal spends (YouTube's search.list calls), which
   * discovery spreads over the day; null when the platform has none (it takes a per-run cap).
   */
  searchBucket(platform: PlatformName): QuotaBucket | null;
  /** The ledger every adapter of this process reserves from (per-tenant use included). */
  ledger: QuotaLedger;
}

/**
 * The daily bucket that limits a real adapter's calls (YouTube units, TikTok requests); null for
 * a platform served by the simulator or without a daily quota (Instagram). The API reads it too.
 */
export function quotaBucketOf(config: Config, platform: PlatformName): QuotaBucket | null {
  if (!hasCredentials(config, platform)) return null;
  return mainBucket(config, platform);
}

function mainBucket(config: Config, platform: PlatformName): QuotaBucket | null {
  if (platform === 'youtube') return youTubeBuckets(config.YOUTUBE_DAILY_QUOTA_UNITS, config.YOUTUBE_DAILY_SEARCH_CALLS).units;
  if (platform === 'tiktok')
    return {
      platform: 'tiktok',
      name: 'requests',
      limit: config.TIKTOK_DAILY_REQUESTS,
      resetTimeZone: PLATFORMS.tiktok.quotaResetTimeZone,
    };
  return null;
}

function hasCredentials(config: Config, platform: PlatformName): boolean {
  switch (platform) {
    case 'youtube':
      return Boolean(config.YOUTUBE_API_KEY);
    case 'tiktok':
      return Boolean(config.TIKTOK_CLIENT_KEY && config.TIKTOK_CLIENT_SECRET);
    case 'instagram':
      return Boolean(config.INSTAGRAM_ACCESS_TOKEN && config.INSTAGRAM_USER_ID);
  }
}

function realClient(config: Config, platform: PlatformName, quota: QuotaLedger, clock: () => Date): PlatformClient {
  switch (platform) {
    case 'youtube':
      return youTubeClientFromConfig(config, quota, clock);
    case 'tiktok':
      return tikTokClientFromConfig(config, quota, clock);
    case 'instagram':
      return instagramClientFromConfig(config, clock);
  }
}

/**
 * `clock` is data time (lib/clock.ts): the adapters' date ranges, answer times and token
 * lifetimes, the quota days and the simulated world all follow it.
 */
export function createPlatforms(config: Config, { redis, clock = realClock() }: { redis: Redis; clock?: Clock }): Platforms {
  const dataDate = () => clock.date();
  const quota = new QuotaLedger(redis, dataDate);
  const clients = new Map<PlatformName, PlatformClient>();
  const batchers = new Map<PlatformName, StatsBatcher>();
  for (const platform of config.PLATFORMS_ENABLED) {
    const client = hasCredentials(config, platform)
      ? realClient(config, platform, quota, dataDate)
      : createSimulator({ platform, seed: config.SIMULATOR_SEED, creators: config.SIMULATOR_CREATORS, clock: () => clock.now() });
    clients.set(platform, client);
    batchers.set(platform, new StatsBatcher(client, { windowMs: config.PLATFORM_BATCH_WINDOW_MS }));
  }
  const pick = <T>(map: Map<PlatformName, T>, platform: PlatformName): T => {
    const found = map.get(platform);
    if (!found) throw new Error(`platform ${platform} is not enabled (PLATFORMS_ENABLED=${config.PLATFORMS_ENABLED.join(',')})`);
    return found;
  };
  return {
    enabled: [...clients.keys()],
    client: (platform) => pick(clients, platform),
    stats: (platform) => pick(batchers, platform),
    describe: () => [...clients.values()].map((c) => ({ platform: c.platform, source: c.source, capabilities: c.capabilities })),
    quotaLeft: async (platform) => {
      const bucket = quotaBucketOf(config, platform);
      return bucket ? (await quota.usage(bucket)).remaining : null;
    },
    quotaBucket: (platform) => quotaBucketOf(config, platform),
    searchBucket: (platform) =>
      platform === 'youtube' && hasCredentials(config, platform)
        ? youTubeBuckets(config.YOUTUBE_DAILY_QUOTA_UNITS, config.YOUTUBE_DAILY_SEARCH_CALLS).search
        : null,
    ledger: quota,
  };
}

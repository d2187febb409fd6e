/**
 * The platforms we track, and every plain fact about each that code outside its adapter reads:
 * config (PLATFORMS_ENABLED), URL parsing, the bloggers model, the API's schemas and messages,
 * quota estimates and Trend Watch discovery all read this table instead of naming platforms.
 *
 * Adding a platform: a row here (and its CreatorRef), its URL rules in platformUrls.ts, its adapter
 * under platforms/ (registered in platforms/index.ts), and a migration for its columns.
 * Workflow-safe: no imports.
 */

/** What a user's URL identified, as parsed by platformUrls.ts (never fetched). */
export type CreatorRef =
  | { platform: 'youtube'; kind: 'channelId'; value: string }
  | { platform: 'youtube'; kind: 'handle'; value: string }
  | { platform: 'youtube'; kind: 'username'; value: string }
  | { platform: 'tiktok'; kind: 'username'; value: string }
  | { platform: 'instagram'; kind: 'username'; value: string };

interface PlatformFacts {
  /** What a blogger's link on it is called in messages ("You already track this …"). */
  label: string;
  /** The blogger URL field of the API (snake_case; its camelCase column is accepted as an alias). */
  urlField: string;
  /** The bloggers columns (camelCase) holding the canonical URL and the ids parsed from it. */
  columns: { url: string; ids: readonly string[] };
  /** The id columns a parsed creator URL fills (the others of `columns.ids` are cleared). */
  idColumns: (ref: CreatorRef) => Record<string, string | null>;
  /** Rough platform calls one sync of one creator costs (listing pages plus stats batches). */
  syncCalls: (maxVideos: number) => number;
  /** Whether its real API can find fresh videos across the platform (Trend Watch discovery). */
  discovers: boolean;
  /** IANA zone whose midnight resets its daily quota; null when it has no daily quota. */
  quotaResetTimeZone: string | null;
}

export const PLATFORMS = {
  youtube: {
    label: 'YouTube channel',
    urlField: 'youtube_url',
    columns: { url: 'youtubeUrl', ids: ['youtubeChannelId', 'youtubeHandle'] },
    // A handle, or a legacy username (kept in the handle column: both resolve the same way).
    idColumns: (ref) =>
      ref.kind === 'channelId'
        ? { youtubeChannelId: ref.value, youtubeHandle: null }
        : { youtubeChannelId: null, youtubeHandle: ref.value },
    syncCalls: (maxVideos) => 2 + Math.ceil(maxVideos / 50),
    discovers: true,
    quotaResetTimeZone: 'America/Los_Angeles',
  },
  tiktok: {
    label: 'TikTok account',
    urlField: 'tiktok_url',
    columns: { url: 'tiktokUrl', ids: ['tiktokUsername'] },
    idColumns: (ref) => ({ tiktokUsername: ref.value }),
    syncCalls: (maxVideos) => 1 + Math.ceil(maxVideos / 100),
    discovers: true,
    quotaResetTimeZone: 'UTC',
  },
  instagram: {
    label: 'Instagram account',
    urlField: 'instagram_url',
    columns: { url: 'instagramUrl', ids: ['instagramUsername'] },
    idColumns: (ref) => ({ instagramUsername: ref.value }),
    syncCalls: () => 1,
    // Business discovery needs a known username: the Graph API cannot look for fresh videos.
    discovers: false,
    quotaResetTimeZone: null,
  },
} as const satisfies Record<CreatorRef['platform'], PlatformFacts>;

export type PlatformName = keyof typeof PLATFORMS;

/** Every platform, in the table's order (also the order of fields and columns). */
export const PLATFORM_NAMES = Object.keys(PLATFORMS) as [PlatformName, ...PlatformName[]];

/** The blogger URL fields of the API: youtube_url, … */
export type PlatformUrlField = (typeof PLATFORMS)[PlatformName]['urlField'];
export const PLATFORM_URL_FIELDS = PLATFORM_NAMES.map((p) => PLATFORMS[p].urlField) as [PlatformUrlField, ...PlatformUrlField[]];

/** The bloggers columns (camelCase) of each platform: its URL and the ids parsed from it. */
export type PlatformUrlColumn = (typeof PLATFORMS)[PlatformName]['columns']['url'];
export type PlatformIdColumn = (typeof PLATFORMS)[PlatformName]['columns']['ids'][number];

/**
 * Redis cache keys of per-blogger responses. Each blogger has a version number; cached entries
 * embed it, and new data for the blogger bumps it (INCR), which retires every cached response at
 * once without scanning for keys.
 */
export const bloggerCacheVersionKey = (bloggerId: number) => `cache:blogger:${bloggerId}:version`;

export const bloggerCacheKey = (bloggerId: number, version: string, variant: string) => `cache:blogger:${bloggerId}:v${version}:${variant}`;

/** How long a cached per-blogger response may live even without new data. */
export const BLOGGER_CACHE_TTL_SECONDS = 300;

/** Query shapes of /api/trends. */
import { z } from 'zod';
import { TREND_KINDS } from '../../db/models';
import { PLATFORM_NAMES } from '../../lib/domain/platforms';
import { TREND_STATUSES } from '../../lib/domain/trendLifecycle';
import { TREND_VIDEO_STATUSES } from '../../lib/domain/trendVideoStatus';
import { pageQuery } from '../pagination';

/**
 * A trend status, or `live` (every trend that has not ended: the default) or `all`. Live trends
 * are listed before fading ones, then by score.
 */
const trendStatusFilter = z.enum([...TREND_STATUSES, 'live', 'all']).default('live');
export type TrendStatusFilter = z.infer<typeof trendStatusFilter>;

export const discoveredQuery = z.object({ ...pageQuery, platform: z.enum(PLATFORM_NAMES).optional() });
export type DiscoveredQuery = z.infer<typeof discoveredQuery>;

/** The video fields a list can be sorted by. */
const VIDEO_SORT_FIELDS = ['velocity', 'acceleration', 'views', 'published'] as const;
export type VideoSortField = (typeof VIDEO_SORT_FIELDS)[number];
const VIDEO_SORTS = VIDEO_SORT_FIELDS.flatMap((f) => [f, `-${f}`]) as [string, ...string[]];

export const videosQuery = z.object({
  ...pageQuery,
  platform: z.enum(PLATFORM_NAMES).optional(),
  status: z.enum(TREND_VIDEO_STATUSES).optional(),
  /** "#Glow" and "glow" are the same hashtag (stored lower case, without the #). */
  hashtag: z
    .string()
    .trim()
    .toLowerCase()
    .transform((h) => h.replace(/^#/, ''))
    .pipe(z.string().min(1).max(100))
    .optional(),
  /** As on /api/bloggers: a leading "-" sorts descending. The default is fastest first. */
  sort: z
    .enum(VIDEO_SORTS)
    .default('-velocity')
    .transform((s) => ({ field: s.replace(/^-/, '') as VideoSortField, descending: s.startsWith('-') })),
  include: z.enum(['snapshots']).optional(),
});
export type VideosQuery = z.infer<typeof videosQuery>;

export const trendingQuery = z.object({
  ...pageQuery,
  kind: z.enum(TREND_KINDS).optional(),
  status: trendStatusFilter,
});
export type TrendingQuery = z.infer<typeof trendingQuery>;

export const topicsQuery = z.object({
  limit: pageQuery.limit,
  status: trendStatusFilter,
});
export type TopicsQuery = z.infer<typeof topicsQuery>;

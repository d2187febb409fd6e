/** Query shapes of /api/trends. */
import { z } from 'zod';
import { TREND_KINDS } from '../../db/models';
import { PLATFORM_NAMES } from '../../lib/domain/platforms';
import { TREND_STATUSES } from '../../lib/domain/trendLifecycle';
import { TREND_VIDEO_STATUSES } from '../../lib/domain/trendVideoStatus';
import { rowId } from '../ids';
import { pageQuery } from '../pagination';
import { normaliseHashtag } from '../../lib/domain/hashtags';

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

/** As on /api/bloggers: a leading "-" sorts descending. */
const videoSort = (byDefault: (typeof VIDEO_SORTS)[number]) =>
  z
    .enum(VIDEO_SORTS)
    .default(byDefault)
    .transform((s) => ({ field: s.replace(/^-/, '') as VideoSortField, descending: s.startsWith('-') }));
export type VideoSort = z.output<ReturnType<typeof videoSort>>;

export const videosQuery = z.object({
  ...pageQuery,
  platform: z.enum(PLATFORM_NAMES).optional(),
  status: z.enum(TREND_VIDEO_STATUSES).optional(),
  /** "#Glow" and "glow" are the same hashtag (stored lower case, without the #). */
  hashtag: z.string().transform(normaliseHashtag).pipe(z.string().min(1, 'is empty without its # and spaces').max(100)).optional(),
  /** The default is fastest first. */
  sort: videoSort('-velocity'),
  include: z.enum(['snapshots']).optional(),
});
export type VideosQuery = z.infer<typeof videosQuery>;

/** At most this many points of a trend's series in a list (one analysis run each). */
const MAX_SERIES_POINTS = 500;

export const trendingQuery = z.object({
  ...pageQuery,
  kind: z.enum(TREND_KINDS).optional(),
  status: trendStatusFilter,
  points: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_SERIES_POINTS, `must be at most ${MAX_SERIES_POINTS}`)
    .default(48)
    .describe("how many of each trend's latest series points to include (one per analysis run)"),
});
export type TrendingQuery = z.infer<typeof trendingQuery>;

export const trendIdParam = z.object({ id: rowId });

export const trendVideosQuery = z.object({
  ...pageQuery,
  /** The default is newest first (by publish time); `-velocity` is fastest first. */
  sort: videoSort('-published'),
});
export type TrendVideosQuery = z.infer<typeof trendVideosQuery>;

/** A month: the recent window of /topics is hours to days; longer would scan most of the table. */
const MAX_WINDOW_HOURS = 720;

export const topicsQuery = z.object({
  limit: pageQuery.limit,
  kind: z.enum(TREND_KINDS).default('topic').describe('which names to list: topic, sound, keyword, hashtag or format'),
  /**
   * Absent: every name the window's videos carry, each with its detected trend if any. Given:
   * only names with a detected trend of that status (the window's figures may then be zero).
   */
  status: z.enum([...TREND_STATUSES, 'live', 'all']).optional(),
  windowHours: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_WINDOW_HOURS, `must be at most ${MAX_WINDOW_HOURS}`)
    .optional()
    .describe('the recent window, in hours of data time before now (default: TREND_ANALYSIS_WINDOW_HOURS)'),
});
export type TopicsQuery = z.infer<typeof topicsQuery>;

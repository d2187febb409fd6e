/** Query shapes of /api/trends. */
import { z } from 'zod';
import { TREND_KINDS, TREND_VIDEO_STATUSES } from '../../db/models';
import { PLATFORM_NAMES } from '../../platforms/types';
import { pageQuery } from '../pagination';

export const discoveredQuery = z.object({ ...pageQuery, platform: z.enum(PLATFORM_NAMES).optional() });
export type DiscoveredQuery = z.infer<typeof discoveredQuery>;

const SORTS = ['velocity', '-velocity', 'acceleration', '-acceleration', 'views', '-views', 'published', '-published'] as const;

export const videosQuery = z.object({
  ...pageQuery,
  platform: z.enum(PLATFORM_NAMES).optional(),
  status: z.enum(TREND_VIDEO_STATUSES).optional(),
  hashtag: z.string().trim().toLowerCase().transform((h) => h.replace(/^#/, '')).pipe(z.string().min(1).max(100)).optional(),
  /** A leading "-" sorts ascending; the default is fastest first. */
  sort: z.enum(SORTS).default('velocity'),
  include: z.enum(['snapshots']).optional(),
});
export type VideosQuery = z.infer<typeof videosQuery>;

export const trendingQuery = z.object({
  ...pageQuery,
  kind: z.enum(TREND_KINDS).optional(),
  status: z.enum(['emerging', 'peaking', 'fading']).optional(),
});
export type TrendingQuery = z.infer<typeof trendingQuery>;

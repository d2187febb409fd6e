/**
 * Trend videos for detection tests, placed in analysis windows counted back from a run time the
 * test chooses: window 0 is the recent one (ending at the run), window k the k-th trailing one.
 */
import { randomUUID } from 'node:crypto';
import { TrendVideo } from '../db/models';
import type { PlatformName } from '../platforms/types';
import { testDb } from './harness';

export interface PostedVideos {
  /** Run time (data time, ms) the windows are counted back from. */
  at: number;
  windowMs: number;
  /** 0 = the recent window; each video is published in the middle of its window. */
  window: number;
  /** One video per creator. */
  creators: readonly string[];
  hashtags?: readonly string[];
  keywords?: readonly string[];
  soundId?: string;
  format?: string;
  velocity?: number;
  platform?: PlatformName;
  /** False: the videos of a full follow page, kept out of trend evidence. */
  evidence?: boolean;
  /** When the product found them (data time, ms); default: at the start of their window. */
  discoveredAt?: number;
}

/** Inserts one video per creator in the given window; returns how many. */
export async function postVideos(p: PostedVideos): Promise<number> {
  if (p.creators.length === 0) return 0;
  const publishedAt = new Date(p.at - p.window * p.windowMs - p.windowMs / 2);
  await TrendVideo.query(testDb()).insert(
    p.creators.map((creatorId) => ({
      platform: p.platform ?? 'youtube',
      platformVideoId: `v${randomUUID()}`,
      creatorId,
      publishedAt,
      hashtags: [...(p.hashtags ?? [])],
      keywords: [...(p.keywords ?? [])],
      soundId: p.soundId ?? null,
      format: p.format ?? 'short',
      velocity: p.velocity ?? 100,
      acceleration: 1,
      snapshotCount: 2,
      lastSnapshotAt: new Date(p.at - 60_000),
      evidence: p.evidence ?? true,
      // By default found in its window, watched from its start: the product watched every window a test fills.
      discoveredAt: new Date(p.discoveredAt ?? publishedAt.getTime() - p.windowMs / 2),
    })),
  );
  return p.creators.length;
}

/** `count` creator ids with a prefix: creators('bg', 3) → bg0, bg1, bg2. */
export const creators = (prefix: string, count: number, from = 0) => Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);

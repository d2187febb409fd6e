/**
 * The one platform interface. Every adapter (YouTube Data API, TikTok Research API, Instagram
 * Graph API) and the simulator return the same normalised shapes:
 *  - counts are numbers (always safe integers), and an unknown count is null, never 0;
 *  - platform ids are strings end to end (TikTok's are 64-bit);
 *  - every data point carries when it was fetched and where it came from.
 */

import type { CreatorRef, PlatformName } from '../lib/domain/platforms';
import type { PlatformError } from './errors';

// The names and the parsed URL shape belong to the ground floor (lib/ never imports platforms/).
export { PLATFORM_NAMES, type CreatorRef, type PlatformName } from '../lib/domain/platforms';

/** Where a data point came from. */
export type DataSource = 'youtube-data-api-v3' | 'tiktok-research-api' | 'instagram-graph-api' | 'simulator';

export type VideoFormat = 'short' | 'long' | 'live' | 'reel' | 'photo' | 'carousel' | 'video';

export interface Creator {
  platform: PlatformName;
  /** Canonical id: YouTube channel id (UC…), TikTok username, Instagram username. */
  id: string;
  handle: string | null;
  name: string;
  followers: number | null;
  videoCount: number | null;
  fetchedAt: string;
  source: DataSource;
}

export interface Metrics {
  views: number | null;
  likes: number | null;
  comments: number | null;
  shares: number | null;
}

/** A video's metrics at one moment (what getVideoStats returns per id). */
export interface VideoStats {
  platform: PlatformName;
  id: string;
  metrics: Metrics;
  fetchedAt: string;
  source: DataSource;
}

export interface Video extends VideoStats {
  creatorId: string;
  creatorName: string | null;
  title: string | null;
  description: string | null;
  url: string | null;
  publishedAt: string;
  durationSeconds: number | null;
  hashtags: string[];
  topics: string[];
  /** TikTok music id, or null where the platform has no such notion. */
  soundId: string | null;
  format: VideoFormat | null;
}

/** What a platform can and cannot provide (also rendered as the README table). */
export interface Capabilities {
  /** Views: for every video, only for some formats (Instagram Reels), or never. */
  views: 'all' | 'some' | 'none';
  likes: 'all' | 'unless-hidden';
  shares: boolean;
  /** Fresh-video discovery across the platform, for Trend Watch. */
  discovery: boolean;
  /** Most ids one getVideoStats call may carry upstream. */
  maxBatchSize: number;
  /** Signals searchFresh can follow on this platform (empty: none). */
  searchBy: readonly SignalKind[];
  notes: string;
}

export interface PlatformClient {
  readonly platform: PlatformName;
  readonly source: DataSource;
  readonly capabilities: Capabilities;
  resolveCreator(ref: CreatorRef): Promise<Creator>;
  /** The creator's videos published at or after `since`, newest first, at most `limit`. */
  listCreatorVideos(creatorId: string, opts: { since: Date; limit: number }): Promise<Video[]>;
  /**
   * Stats for up to capabilities.maxBatchSize ids. An id the platform does not know is absent
   * (only when the adapter really looked everywhere it could be); an id it could not settle this
   * time maps to its own PlatformError (e.g. 'unavailable'), never to a made-up absence.
   */
  getVideoStats(ids: string[]): Promise<Map<string, VideoStats | PlatformError>>;
  /** Fresh videos (published after `publishedAfter`) with initial metrics and hashtags. */
  discoverFresh(opts: { publishedAfter: Date; limit: number }): Promise<Video[]>;
  /**
   * Fresh videos carrying one signal (a hashtag without '#', a sound id, a title keyword),
   * newest first, at most `limit`: how discovery follows a rising signal. Throws PlatformError
   * 'bad_input' for a kind not in capabilities.searchBy.
   */
  searchFresh(opts: { signal: Signal; publishedAfter: Date; limit: number }): Promise<Video[]>;
}

/** What discovery can follow: the kinds of trend a platform can be searched by. */
export type SignalKind = 'hashtag' | 'sound' | 'keyword';
export interface Signal {
  kind: SignalKind;
  name: string;
}

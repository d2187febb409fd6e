/**
 * YouTube items → the normalised shapes of platforms/types.ts. Pure functions: an unknown count
 * is null (hidden likes, disabled comments, no statistics), never 0; YouTube has no share count.
 */
import type { Creator, Video, VideoFormat, VideoStats } from '../types';
import { parseIsoDuration } from './duration';
import type { ChannelItem, VideoItem } from './schemas';
import { normaliseHashtag } from '../../lib/domain/hashtags';

export const YOUTUBE_SOURCE = 'youtube-data-api-v3';

/** YouTube ignores every hashtag of a video with more than 60; we keep a bounded list. */
const MAX_HASHTAGS = 50;
/** Duration at or under which a video is probably a Short (YouTube exposes no "is Short" field). */
const SHORT_MAX_SECONDS = 180;

export function toCreator(item: ChannelItem, fetchedAt: string): Creator {
  const stats = item.statistics;
  return {
    platform: 'youtube',
    id: item.id,
    // customUrl is "@handle"; handles are stored without the "@", like the other platforms' usernames.
    handle: item.snippet.customUrl?.replace(/^@/, '') || null,
    name: item.snippet.title,
    followers: stats?.hiddenSubscriberCount ? null : (stats?.subscriberCount ?? null),
    videoCount: stats?.videoCount ?? null,
    fetchedAt,
    source: YOUTUBE_SOURCE,
  };
}

export function toVideoStats(item: VideoItem, fetchedAt: string): VideoStats {
  const stats = item.statistics;
  return {
    platform: 'youtube',
    id: item.id,
    metrics: { views: stats?.viewCount ?? null, likes: stats?.likeCount ?? null, comments: stats?.commentCount ?? null, shares: null },
    fetchedAt,
    source: YOUTUBE_SOURCE,
  };
}

export function toVideo(item: VideoItem, fetchedAt: string): Video {
  const { snippet } = item;
  const durationSeconds = item.contentDetails?.duration === undefined ? null : parseIsoDuration(item.contentDetails.duration);
  return {
    ...toVideoStats(item, fetchedAt),
    creatorId: snippet.channelId,
    creatorName: snippet.channelTitle ?? null,
    title: snippet.title ?? null,
    description: snippet.description ?? null,
    url: `https://www.youtube.com/watch?v=${encodeURIComponent(item.id)}`,
    publishedAt: new Date(snippet.publishedAt).toISOString(),
    durationSeconds,
    hashtags: hashtagsOf(snippet.tags ?? [], `${snippet.title ?? ''}\n${snippet.description ?? ''}`),
    topics: topicsOf(item.topicDetails?.topicCategories ?? []),
    soundId: null,
    format: formatOf(snippet.liveBroadcastContent, durationSeconds),
  };
}

/**
 * Tags plus "#words" from the title and description: lowercased, without "#" and without spaces
 * (the tag "Rick Astley" and the hashtag "#RickAstley" group together), deduplicated.
 */
export function hashtagsOf(tags: string[], text: string): string[] {
  // A hashtag starts a word and has at least one letter ("#1" is not one), as on YouTube.
  const inText = [...text.matchAll(/(?<![\p{L}\p{N}_/&])#([\p{L}\p{N}_]+)/gu)].map((m) => m[1]!).filter((word) => /\p{L}/u.test(word));
  const normalised = [...tags, ...inText].map(normaliseHashtag).filter(Boolean);
  return [...new Set(normalised)].slice(0, MAX_HASHTAGS);
}

/** topicCategories are Wikipedia URLs: ".../wiki/Role-playing_video_game" → "Role-playing video game". */
export function topicsOf(topicCategories: string[]): string[] {
  const topics = topicCategories.flatMap((url) => {
    const segment = URL.canParse(url) ? new URL(url).pathname.split('/').filter(Boolean).pop() : undefined;
    if (!segment) return [];
    try {
      return [decodeURIComponent(segment).replace(/_/g, ' ')];
    } catch {
      return []; // a malformed %-escape: skip the topic rather than fail the video
    }
  });
  return [...new Set(topics)];
}

/** 'live' for live and upcoming broadcasts; otherwise a duration hint; null when unknown. */
export function formatOf(liveBroadcastContent: string | undefined, durationSeconds: number | null): VideoFormat | null {
  if (liveBroadcastContent === 'live' || liveBroadcastContent === 'upcoming') return 'live';
  if (!durationSeconds) return null; // unknown, or P0D outside a broadcast
  return durationSeconds <= SHORT_MAX_SECONDS ? 'short' : 'long';
}

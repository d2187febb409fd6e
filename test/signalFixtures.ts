/**
 * Rising hashtags for discovery tests: a few creators using a tag in the recent window, against
 * a history in which the product saw other creators (and not the tag), so a baseline-aware
 * detector reads the tag as new and rising. Times are data time, from the test's clock.
 */
import { TrendVideo } from '../db/models';
import type { PlatformName } from '../platforms/types';
import { testDb } from './harness';

/** Trailing windows of history and the creators seen (with another tag) in each. */
const HISTORY_WINDOWS = 6;
const HISTORY_CREATORS = 10;

/**
 * For each tag, `creators` distinct creators posting it two hours before `at`, with monitors
 * (workflowId) already recorded so discovery starts none for them; once per platform, a history
 * of other creators in the windows before the recent one.
 */
export async function seedRisingTags(
  platform: PlatformName,
  tags: Record<string, number>,
  { at, windowMs }: { at: number; windowMs: number },
): Promise<void> {
  const rising = Object.entries(tags).flatMap(([tag, creators]) =>
    Array.from({ length: creators }, (_, i) => ({
      id: `${tag}seed${i}`,
      creator: `${tag}-creator-${i}`,
      tag,
      publishedAt: at - 2 * 3_600_000,
    })),
  );
  const history = Array.from({ length: HISTORY_WINDOWS * HISTORY_CREATORS }, (_, i) => {
    const window = 1 + Math.floor(i / HISTORY_CREATORS);
    return {
      id: `history${i}`,
      creator: `history-creator-${i % HISTORY_CREATORS}`,
      tag: 'everyday',
      publishedAt: at - window * windowMs - windowMs / 2,
    };
  });
  await TrendVideo.query(testDb()).insert(
    [...rising, ...history].map((v) => ({
      platform,
      platformVideoId: v.id,
      creatorId: v.creator,
      publishedAt: new Date(v.publishedAt),
      // Found at the start of its window: the product watched every window from its start.
      discoveredAt: new Date(v.publishedAt - windowMs / 2),
      hashtags: [v.tag],
      topics: [],
      workflowId: `seeded:${v.id}`,
    })),
  );
}

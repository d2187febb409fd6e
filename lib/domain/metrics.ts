/**
 * The metrics of the README's "Bloggers" section, as pure functions (used by the API, activities and analysis, and
 * documented in the API docs). Unknown inputs give unknown (null) results, never a made-up 0.
 */

const HOUR_MS = 3_600_000;

export interface Counts {
  views: number | null;
  likes: number | null;
  comments: number | null;
  shares: number | null;
}

/**
 * (likes + comments + shares) / views over the counts that are known. 0 when views are 0; null
 * when views are unknown (Instagram photos and carousels) or no interaction count is known.
 */
export function engagementRate({ views, likes, comments, shares }: Counts): number | null {
  if (views === null) return null;
  const known = [likes, comments, shares].filter((c): c is number => c !== null);
  if (known.length === 0) return null;
  if (views === 0) return 0;
  return known.reduce((a, b) => a + b, 0) / views;
}

/** The follower-based rate (likes + comments) / followers, labelled as such where views are unknown. */
export function followerEngagementRate(likes: number | null, comments: number | null, followers: number | null): number | null {
  if (!followers || (likes === null && comments === null)) return null;
  return ((likes ?? 0) + (comments ?? 0)) / followers;
}

export interface Sample {
  value: number | null;
  /**
   * Epoch milliseconds when the platform answered this value (the adapter's `fetchedAt`, stored
   * as trend_snapshots.taken_at / video_history.fetched_at): never a write, retry or workflow
   * time, which can lag the answer by minutes during an outage and inflate the rate.
   */
  at: number;
}

/** A sample from a stored value and the time the platform answered it. */
export function sampleAt(value: number | string | null | undefined, fetchedAt: Date | string): Sample {
  return { value: value === null || value === undefined ? null : Number(value), at: new Date(fetchedAt).getTime() };
}

/**
 * Change per hour between two consecutive samples (views per hour for views). Not the lifetime
 * average "views / hours since publish", which flatters old videos. Sample times are data time
 * (lib/clock.ts), so in a simulation the hours are simulated hours already.
 */
function ratePerHour(previous: Sample, current: Sample): number | null {
  if (previous.value === null || current.value === null) return null;
  const hours = (current.at - previous.at) / HOUR_MS;
  if (hours <= 0) return null;
  return (current.value - previous.value) / hours;
}

/** Views per hour between consecutive snapshots. */
export const velocity = ratePerHour;

/** Change of velocity per hour between consecutive snapshots. */
export const acceleration = ratePerHour;

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Outlier score: views ÷ the median views of the same creator's recent videos at a comparable
 * age. The median, not the mean, so one hit does not skew it. Null without a usable baseline.
 */
export function viralScore(views: number | null, peerViewsAtSameAge: number[]): number | null {
  const baseline = median(peerViewsAtSameAge);
  if (views === null || baseline === null || baseline <= 0) return null;
  return views / baseline;
}

export interface TrendInputs {
  totalVelocity: number;
  totalAcceleration: number;
  creatorCount: number;
}

/**
 * Trend score of a hashtag/topic/sound/format: grows with the summed velocity and acceleration
 * of its videos and with the number of distinct creators (one creator's hit is not a trend).
 * Logarithmic in velocity so one giant video cannot dwarf a broad movement.
 */
export function trendScore({ totalVelocity, totalAcceleration, creatorCount }: TrendInputs): number {
  const speed = Math.log10(1 + Math.max(0, totalVelocity));
  const lift = Math.log10(1 + Math.max(0, totalAcceleration));
  return (speed + lift) * Math.sqrt(Math.max(0, creatorCount));
}

/**
 * Alert rules, pure: the kinds and their parameters (one zod schema per kind, a discriminated
 * union), the test each kind applies to the facts the activities already hold, the debounce and
 * mute decisions, and the dedupe key that names each triggering fact (a retried activity finds the
 * firing it recorded by it instead of firing twice). No I/O: the API validates with these schemas,
 * activities evaluate with these functions.
 */
import { z } from 'zod';
import { PLATFORM_NAMES, type PlatformName } from './platforms';
import { normaliseHashtag } from './hashtags';

export const ALERT_KINDS = ['video_outlier', 'follower_change', 'trend_match', 'velocity_threshold', 'link_broken'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Kinds that read Trend Watch data: only plans with Trend Watch may have them, and only those users are told. */
export const TREND_WATCH_KINDS: readonly AlertKind[] = ['trend_match', 'velocity_threshold'];

/** Kinds about the user's own bloggers: `bloggerId` narrows them to one (null: every blogger). */
export const BLOGGER_KINDS: readonly AlertKind[] = ['video_outlier', 'follower_change', 'link_broken'];

/** The trend names a trend_match rule can watch (detected_trends kinds a user thinks of by name). */
export const WATCHABLE_TREND_KINDS = ['hashtag', 'sound', 'keyword'] as const;
export type WatchableTrendKind = (typeof WATCHABLE_TREND_KINDS)[number];

const bloggerId = z.number().int().positive().max(2_147_483_647).nullable().default(null);
const platforms = z.array(z.enum(PLATFORM_NAMES)).min(1).optional().describe('only these platforms (default: all)');

/** A watched name as analysis stores it: hashtags and keywords lower-case without '#', a sound id as given. */
export function normaliseTrendName(kind: WatchableTrendKind, name: string): string {
  return kind === 'sound' ? name.normalize('NFKC').trim() : normaliseHashtag(name);
}

export const alertParams = {
  video_outlier: z
    .object({
      bloggerId,
      multiple: z.number().min(1.1).max(10_000).describe("views at least this many times the blogger's median at a comparable age"),
      withinHours: z
        .number()
        .positive()
        .max(24 * 90)
        .default(48)
        .describe('... within this many hours of publish'),
    })
    .strict(),
  follower_change: z
    .object({
      bloggerId,
      direction: z.enum(['gain', 'loss', 'any']).default('any'),
      followers: z.number().int().positive().optional().describe('at least this many followers gained or lost in a day'),
      percent: z.number().positive().max(10_000).optional().describe('... or at least this % of the day before'),
    })
    .strict()
    .refine((p) => p.followers !== undefined || p.percent !== undefined, {
      message: 'give followers or percent (or both)',
      path: ['followers'],
    }),
  trend_match: z
    .object({
      names: z
        .array(
          z
            .object({ kind: z.enum(WATCHABLE_TREND_KINDS), name: z.string().trim().min(1).max(200) })
            .strict()
            // "#" or "# #" is no hashtag: stored as "", the rule could never match.
            .refine((n) => normaliseTrendName(n.kind, n.name) !== '', {
              message: "is empty once '#' and spaces are dropped: name the hashtag, sound or keyword",
              path: ['name'],
            }),
        )
        .min(1)
        .max(50)
        .transform((names) => names.map((n) => ({ kind: n.kind, name: normaliseTrendName(n.kind, n.name) }))),
    })
    .strict(),
  velocity_threshold: z
    .object({
      viewsPerHour: z.number().positive().max(1e12).describe('a Trend Watch video reaches this many views per hour'),
      platforms,
    })
    .strict(),
  link_broken: z.object({ bloggerId, platforms }).strict(),
} as const satisfies Record<AlertKind, z.ZodType>;

export type AlertParams = { [K in AlertKind]: z.output<(typeof alertParams)[K]> };

/** A rule's kind and parameters, validated together (the API's request body carries both). */
export const alertRuleSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('video_outlier'), params: alertParams.video_outlier }),
  z.object({ kind: z.literal('follower_change'), params: alertParams.follower_change }),
  z.object({ kind: z.literal('trend_match'), params: alertParams.trend_match }),
  z.object({ kind: z.literal('velocity_threshold'), params: alertParams.velocity_threshold }),
  z.object({ kind: z.literal('link_broken'), params: alertParams.link_broken }),
]);
export type AlertRuleSpec = z.output<typeof alertRuleSpec>;

/** The blogger a rule is narrowed to (null: every blogger of its user, or not about bloggers). */
export function ruleBloggerId(spec: AlertRuleSpec): number | null {
  return 'bloggerId' in spec.params ? (spec.params.bloggerId ?? null) : null;
}

// ------------------------------------------------------------------ what fires

/** video_outlier: the video's viral score (views ÷ the blogger's median at a comparable age) within H hours of publish. */
export function videoOutlierFires(
  params: AlertParams['video_outlier'],
  video: { viralScore: number | null; publishedAt: Date; observedAt: Date },
): boolean {
  if (video.viralScore === null || !Number.isFinite(video.viralScore)) return false;
  const ageMs = video.observedAt.getTime() - video.publishedAt.getTime();
  return ageMs >= 0 && ageMs <= params.withinHours * 3_600_000 && video.viralScore >= params.multiple;
}

/** follower_change: the change from the day before, when it is large enough in the watched direction. */
export function followerChangeFires(
  params: AlertParams['follower_change'],
  counts: { previous: number; current: number },
): { change: number; percent: number | null } | null {
  const change = counts.current - counts.previous;
  if (change === 0) return null;
  if (params.direction === 'gain' && change < 0) return null;
  if (params.direction === 'loss' && change > 0) return null;
  const percent = counts.previous > 0 ? (Math.abs(change) / counts.previous) * 100 : null;
  const byCount = params.followers !== undefined && Math.abs(change) >= params.followers;
  const byPercent = params.percent !== undefined && percent !== null && percent >= params.percent;
  return byCount || byPercent ? { change, percent } : null;
}

/** trend_match: whether a new trend is one of the watched names. */
export function trendMatches(params: AlertParams['trend_match'], trend: { kind: string; name: string }): boolean {
  return params.names.some((n) => n.kind === trend.kind && n.name === normaliseTrendName(n.kind, trend.name));
}

/** velocity_threshold: the video's velocity crosses the threshold upwards (its first snapshot at or above it counts). */
export function velocityCrosses(
  params: AlertParams['velocity_threshold'],
  video: { platform: PlatformName; previousVelocity: number | null; velocity: number | null },
): boolean {
  if (params.platforms && !params.platforms.includes(video.platform)) return false;
  if (video.velocity === null || video.velocity < params.viewsPerHour) return false;
  return video.previousVelocity === null || video.previousVelocity < params.viewsPerHour;
}

/** link_broken: the rule watches this platform. */
export function linkBrokenFires(params: AlertParams['link_broken'], platform: PlatformName): boolean {
  return !params.platforms || params.platforms.includes(platform);
}

// ------------------------------------------------------------------ debounce and mute

/**
 * A firing inside the debounce window of the rule's previous one (of the same kind: delivered, or
 * muted) is not recorded: the window slides from the last firing. 0 minutes: every fact fires.
 */
export function isDebounced(previousFiredAt: Date | null, now: Date, debounceMinutes: number): boolean {
  return previousFiredAt !== null && debounceMinutes > 0 && now.getTime() - previousFiredAt.getTime() < debounceMinutes * 60_000;
}

/** A muted rule's firings are recorded (muted) but not delivered. */
export function isMuted(mutedUntil: Date | null, now: Date): boolean {
  return mutedUntil !== null && mutedUntil.getTime() > now.getTime();
}

// ------------------------------------------------------------------ dedupe keys: one per triggering fact

export const dedupeKeys = {
  /** A video passes a rule once. */
  videoOutlier: (platform: PlatformName, platformVideoId: string) => `video:${platform}:${platformVideoId}`,
  /** One follower change per blogger link and data day. */
  followerChange: (bloggerId: number, platform: PlatformName, day: string) => `followers:${bloggerId}:${platform}:${day}`,
  /** A trend's wave, by the analysis run that first detected it. */
  trendMatch: (kind: string, name: string, detectedAt: string) => `trend:${kind}:${name}:${detectedAt}`,
  /** A video crosses a rule's threshold once. */
  velocity: (trendVideoId: number) => `velocity:${trendVideoId}`,
  /** A link breaks once per break (its break time: the sync that found it). */
  linkBroken: (bloggerId: number, platform: PlatformName, brokenAt: string) => `link:${bloggerId}:${platform}:${brokenAt}`,
};

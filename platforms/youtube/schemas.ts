/**
 * The parts of YouTube Data API v3 responses we read (as documented by Google; README "Platforms"), validated with zod
 * so a changed or broken response becomes a classified 'bad_input' error, never a crash.
 * Unknown keys are dropped; fields YouTube may omit (hidden likes, no tags) are optional.
 */
import { z } from 'zod';

/**
 * Counts are unsigned 64-bit integers sent as strings ("1000"). Beyond Number.MAX_SAFE_INTEGER
 * (9 quadrillion) a count cannot be real, so it fails validation (bad_input) instead of being
 * silently rounded or clamped.
 */
export const countSchema = z
  .union([z.string().regex(/^\d+$/, 'expected a count of digits'), z.number().int().nonnegative()])
  .transform((value) => Number(value))
  .refine((value) => Number.isSafeInteger(value), 'count exceeds Number.MAX_SAFE_INTEGER');

const timestamp = z.iso.datetime({ offset: true });

/**
 * A response carries only the `part`s its request asked for (channels.list?part=contentDetails
 * answers items with `id` and `contentDetails`, no `snippet`). So every list call is built from
 * one list of parts, which gives both its `part` parameter and its schema: the schema requires
 * the parts we cannot do without when asked (snippet), accepts the others as optional (YouTube
 * omits topicDetails when a video has no topics), and knows nothing of parts not asked for (they
 * are dropped if sent anyway, so nothing reads data it did not request).
 */
/** The item schema cut down to `id` and the requested parts. */
function pickParts<Shape extends z.ZodRawShape & { id: z.ZodType }, P extends keyof Shape & string>(
  item: z.ZodObject<Shape>,
  parts: readonly P[],
): z.ZodObject<Pick<Shape, P | 'id'>> {
  const mask = Object.fromEntries(['id', ...parts].map((key) => [key, true]));
  return item.pick(mask as never) as unknown as z.ZodObject<Pick<Shape, P | 'id'>>;
}

const channelParts = {
  snippet: z.object({
    title: z.string(),
    customUrl: z.string().optional(),
  }),
  contentDetails: z.object({ relatedPlaylists: z.object({ uploads: z.string().optional() }).optional() }).optional(),
  statistics: z
    .object({
      subscriberCount: countSchema.optional(),
      hiddenSubscriberCount: z.boolean().optional(),
      videoCount: countSchema.optional(),
    })
    .optional(),
};
export type ChannelPart = keyof typeof channelParts;

/** A channel with every part we ever ask for (resolveCreator's call). */
export const channelItemSchema = z.object({ id: z.string().min(1), ...channelParts });
export type ChannelItem = z.infer<typeof channelItemSchema>;

/** channels.list for exactly these parts; no match is a response without an "items" key. */
export function channelsCall<P extends ChannelPart>(parts: readonly P[]) {
  return { part: parts.join(','), schema: z.object({ items: z.array(pickParts(channelItemSchema, parts)).optional() }) };
}

const playlistItemParts = {
  // videoPublishedAt is missing for private or deleted uploads.
  contentDetails: z.object({ videoId: z.string().min(1), videoPublishedAt: timestamp.optional() }),
};

/** playlistItems.list for exactly these parts (items carry no `id` we read: made optional). */
export function playlistItemsCall<P extends keyof typeof playlistItemParts>(parts: readonly P[]) {
  const item = z.object({ id: z.string().optional(), ...playlistItemParts });
  return { part: parts.join(','), schema: z.object({ nextPageToken: z.string().optional(), items: z.array(pickParts(item, parts)) }) };
}

const videoParts = {
  snippet: z.object({
    publishedAt: timestamp,
    channelId: z.string(),
    title: z.string().optional(),
    description: z.string().optional(),
    channelTitle: z.string().optional(),
    tags: z.array(z.string()).optional(),
    liveBroadcastContent: z.string().optional(),
  }),
  contentDetails: z.object({ duration: z.string().optional() }).optional(),
  statistics: z
    .object({
      viewCount: countSchema.optional(),
      likeCount: countSchema.optional(),
      commentCount: countSchema.optional(),
    })
    .optional(),
  topicDetails: z.object({ topicCategories: z.array(z.string()).optional() }).optional(),
};
export type VideoPart = keyof typeof videoParts;

/** A video with every part we ever ask for. */
export const videoItemSchema = z.object({ id: z.string().min(1), ...videoParts });
export type VideoItem = z.infer<typeof videoItemSchema>;

/** videos.list for exactly these parts. */
export function videosCall<P extends VideoPart>(parts: readonly P[]) {
  return { part: parts.join(','), schema: z.object({ items: z.array(pickParts(videoItemSchema, parts)) }) };
}

/**
 * search.list: `part=snippet` is the only value it documents, but we read nothing from the
 * snippet, only each result's `id` (which every part carries), so the snippet is not validated.
 * The last page has no nextPageToken.
 */
export function searchCall() {
  return {
    part: 'snippet',
    schema: z.object({ nextPageToken: z.string().optional(), items: z.array(z.object({ id: z.object({ videoId: z.string().min(1) }) })) }),
  };
}

/** Google's error body; every field optional, since gateways answer other shapes too. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
    errors: z.array(z.object({ reason: z.string().optional(), domain: z.string().optional() })).optional(),
    // google.rpc.ErrorInfo details carry reasons such as API_KEY_INVALID.
    details: z.array(z.object({ reason: z.string().optional() })).optional(),
  }),
});

/**
 * The parts of YouTube Data API v3 responses we read (PLATFORMS.md "Shapes"), validated with zod
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

export const channelItemSchema = z.object({
  id: z.string().min(1),
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
});
export type ChannelItem = z.infer<typeof channelItemSchema>;

/** No match is a response without an "items" key. */
export const channelListSchema = z.object({ items: z.array(channelItemSchema).optional() });

export const playlistItemListSchema = z.object({
  nextPageToken: z.string().optional(),
  items: z.array(
    z.object({
      // videoPublishedAt is missing for private or deleted uploads.
      contentDetails: z.object({ videoId: z.string().min(1), videoPublishedAt: timestamp.optional() }),
    }),
  ),
});

export const videoItemSchema = z.object({
  id: z.string().min(1),
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
});
export type VideoItem = z.infer<typeof videoItemSchema>;

export const videoListSchema = z.object({ items: z.array(videoItemSchema) });

export const searchListSchema = z.object({
  items: z.array(z.object({ id: z.object({ videoId: z.string().min(1) }) })),
});

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

/**
 * Request shapes of /api/bloggers. The profile URLs are named as in the original design
 * (`youtube_url`, `tiktok_url`, `instagram_url`: one per platform of lib/domain/platforms.ts);
 * camelCase aliases are accepted too.
 */
import { z } from 'zod';
import { patchBody } from '../patchBody';
import { PLATFORM_NAMES, PLATFORM_URL_FIELDS, PLATFORMS, type PlatformUrlField } from '../../lib/domain/platforms';
import { rowId } from '../ids';
import { pageQuery } from '../pagination';

const url = z.string().trim().min(1, 'must not be empty').max(2048);
/** camelCase spelling → URL field, e.g. youtubeUrl → youtube_url. */
const URL_ALIASES = Object.fromEntries(PLATFORM_NAMES.map((p) => [PLATFORMS[p].columns.url, PLATFORMS[p].urlField]));

/** Accepts the camelCase spelling of the URL fields by renaming it before validation. */
const withUrlAliases = (value: unknown) => {
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [camel, snake] of Object.entries(URL_ALIASES)) {
    if (camel in out && !(snake in out)) out[snake] = out[camel];
    delete out[camel];
  }
  return out;
};

const urlField = url.nullable().optional();
const fields = {
  name: z.string().trim().min(1, 'is required').max(200),
  ...(Object.fromEntries(PLATFORM_URL_FIELDS.map((f) => [f, urlField])) as Record<PlatformUrlField, typeof urlField>),
};

export const createBloggerBody = z.preprocess(
  withUrlAliases,
  z
    .object(fields)
    .strict()
    .refine((b) => PLATFORM_URL_FIELDS.some((f) => Boolean(b[f])), {
      message: `give at least one of ${PLATFORM_URL_FIELDS.join(', ')}`,
      path: [PLATFORM_URL_FIELDS[0]],
    }),
);
export type CreateBloggerBody = z.infer<typeof createBloggerBody>;

/** Only these fields may change; a changed URL is parsed again and its link re-resolved. */
export const updateBloggerBody = z.preprocess(
  withUrlAliases,
  patchBody(z.object({ ...fields, name: fields.name.optional(), isActive: z.boolean().optional() })),
);
export type UpdateBloggerBody = z.infer<typeof updateBloggerBody>;

export const listBloggersQuery = z.object({
  ...pageQuery,
  platform: z.enum(PLATFORM_NAMES).optional(),
  active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  sort: z.enum(['created', '-created', 'name', '-name']).default('-created'),
});
export type ListBloggersQuery = z.infer<typeof listBloggersQuery>;

export const bloggerIdParam = z.object({ id: rowId });

/** A video id is the platform's: not checked, only cut to a length no platform exceeds. */
export const videoHistoryParams = bloggerIdParam.extend({ videoId: z.string().transform((v) => v.slice(0, 100)) });

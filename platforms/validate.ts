/** Platform answers are validated against the documented shape: a mismatch is a classified error, never a crash. */
import type { z } from 'zod';
import { PlatformError } from './errors';
import type { PlatformName } from './types';

export function parseResponse<S extends z.ZodType>(
  platform: PlatformName,
  what: string,
  schema: S,
  json: unknown,
  status?: number,
): z.output<S> {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new PlatformError(platform, 'bad_input', `unexpected ${what} response: ${where}${issue?.message ?? 'invalid'}`, {
    ...(status ? { status } : {}),
    code: 'unexpected_shape',
  });
}

/** A count from an API (number or numeric string) as a safe number; missing stays null, never 0. */
export function countOrNull(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** Hashtags written in a caption or description, lower-cased, without '#'. */
export function hashtagsIn(text: string | null | undefined): string[] {
  return [...new Set([...(text ?? '').matchAll(/#([\p{L}\p{N}_]{1,100})/gu)].map((m) => m[1]!.toLowerCase()))];
}

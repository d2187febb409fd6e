/**
 * Shapes for the Instagram adapter tests, as business discovery answers them: the media edge's
 * `paging` carries `cursors.before/after` and NO `next` URL, and the last page has no `after`
 * (as the Instagram Graph API documents them; README "Platforms"). Times come from the caller's clock, never a fixed date.
 */
import type { StubReply, StubRequest } from '../../test/stubServer';

const DAY = 86_400_000;

/** One media object; `extra` overrides fields (undefined removes one from the JSON). */
export function media(id: string, daysAgo: number, extra: Record<string, unknown> = {}, now = Date.now()) {
  return {
    id,
    timestamp: new Date(now - daysAgo * DAY).toISOString(),
    like_count: 120,
    comments_count: 4,
    media_type: 'VIDEO',
    media_product_type: 'REELS',
    view_count: 5000,
    permalink: `https://www.instagram.com/reel/${id}/`,
    caption: `Sunset #Beach #travel`,
    ...extra,
  };
}

/** The business discovery answer for one page of media; `after` only when more pages follow. */
export function account(items: unknown[], after?: string, username = 'sunny') {
  return {
    business_discovery: {
      id: '17841400000000001',
      username,
      name: 'Sunny',
      followers_count: 42_000,
      media_count: 300,
      media: { data: items, paging: { cursors: { before: 'QVFIUmJlZm9yZQ', ...(after ? { after } : {}) } } },
    },
    id: '17841400000000000',
  };
}

/** The media expansion's page size and cursor, read from the `fields` parameter as Meta does. */
export function mediaPageOf(fields: string): { limit: number; after: string | null } {
  const limit = Number(/media(?:\.[a-z]+\([^)]*\))*\.limit\((\d+)\)/.exec(fields)?.[1] ?? 25);
  const after = /media(?:\.[a-z]+\([^)]*\))*\.after\(([^)]+)\)/.exec(fields)?.[1] ?? null;
  return { limit, after };
}

/**
 * A fake business discovery over a fixed list of media (newest first): pages of the requested
 * `.limit(n)`, continued with `.after(cursor)`; cursors are opaque to the client.
 */
export function fakeInstagram(posts: unknown[], { username = 'sunny' }: { username?: string } = {}): (req: StubRequest) => StubReply {
  const cursorFor = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');
  const offsetOf = (cursor: string) => Number(Buffer.from(cursor, 'base64url').toString().replace('offset:', ''));
  return (req): StubReply => {
    const { limit, after } = mediaPageOf(req.query.get('fields') ?? '');
    const start = after ? offsetOf(after) : 0;
    const end = start + Math.min(limit, 100);
    return { body: account(posts.slice(start, end), end < posts.length ? cursorFor(end) : undefined, username) };
  };
}

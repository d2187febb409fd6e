/** Shapes for the TikTok adapter tests, as the Research API documents them. */

export const OK = { code: 'ok', message: '', log_id: 'x' };

/** A TikTok-style video id created at `ms`: TikTok ids carry their creation time in the upper 32 bits. */
export function idCreatedAt(ms: number, low = 123_456_789n): string {
  return ((BigInt(Math.floor(ms / 1000)) << 32n) + low).toString();
}

/**
 * A video as the query endpoint returns it, created an hour before the test's clock (never a fixed
 * date: the adapter's query windows follow the clock); bigint values become bare 64-bit JSON
 * numbers in queryBody.
 */
export function video(id: string | number | bigint, extra: Record<string, unknown> = {}, now = Date.now()) {
  return {
    id,
    username: 'dancer',
    create_time: Math.floor(now / 1000) - 3600,
    video_description: 'hi #Fun',
    view_count: 1000,
    like_count: 50,
    comment_count: 3,
    share_count: 2,
    hashtag_names: ['Fun', 'dance'],
    music_id: 7111111111111111111n,
    video_duration: 15,
    ...extra,
  };
}

/** The documented query response, with every bigint written as a JSON number (as TikTok does). */
export function queryBody(videos: unknown[], more = false, cursor = 100, searchId = 'sid-1'): string {
  return JSON.stringify({ data: { videos, cursor, has_more: more, search_id: searchId }, error: OK }, (_k, v: unknown) =>
    typeof v === 'bigint' ? `@@${v}@@` : v,
  ).replace(/"@@(\d+)@@"/g, '$1');
}

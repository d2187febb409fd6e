/**
 * Date windows for the Research API's video query: every query needs start_date and end_date
 * (UTC days, "YYYYMMDD") at most 30 days apart, and only finds videos created inside them.
 */

export const DAY_MS = 86_400_000;
/** Days between start_date and end_date of one window; TikTok allows up to 30. */
const WINDOW_DAYS = 29;
/** Video ids are creation-time ids; anything before TikTok's launch is not one of them. */
const TIKTOK_LAUNCH_MS = Date.UTC(2016, 8, 1);

export interface DateWindow {
  from: number;
  to: number;
}

/** "YYYYMMDD" of an instant, in UTC (the Research API's dates are UTC). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
}

/** [from, to] split into windows of at most 30 days, newest first, with neither gaps nor overlaps. */
export function splitRange(from: number, to: number): DateWindow[] {
  const windows: DateWindow[] = [];
  for (let end = to; end > from; end -= (WINDOW_DAYS + 1) * DAY_MS) {
    windows.push({ from: Math.max(from, end - WINDOW_DAYS * DAY_MS), to: end });
  }
  return windows;
}

/**
 * When a video was created, read from its id: TikTok ids keep the creation time in their upper
 * 32 bits, in Unix seconds (a Snowflake-style layout, not documented by TikTok; see Steel et al.,
 * "Just Another Hour on TikTok", arXiv:2504.13279). Undefined when the id does not look like one.
 */
export function createdAtFromId(id: string, now: number): number | undefined {
  if (!/^\d{15,20}$/.test(id)) return undefined;
  const ms = Number(BigInt(id) >> 32n) * 1000;
  return ms >= TIKTOK_LAUNCH_MS && ms <= now + DAY_MS ? ms : undefined;
}

/**
 * The fewest windows that cover every id's creation day (with a day's margin either side), so a
 * lookup by id also finds videos older than 30 days. Ids without a readable creation time are
 * looked for in the last 30 days, where Trend Watch's videos are.
 */
export function windowsForIds(ids: string[], now: number): (DateWindow & { ids: string[] })[] {
  const dated = ids.map((id) => ({ id, at: createdAtFromId(id, now) }));
  const undated = dated.filter((d) => d.at === undefined).map((d) => d.id);
  const known = dated.filter((d): d is { id: string; at: number } => d.at !== undefined).sort((a, b) => a.at - b.at);
  const windows: (DateWindow & { ids: string[] })[] = [];
  for (const { id, at } of known) {
    const last = windows.at(-1);
    if (last && at + DAY_MS <= last.from + WINDOW_DAYS * DAY_MS) {
      last.to = Math.min(now, Math.max(last.to, at + DAY_MS));
      last.ids.push(id);
    } else {
      windows.push({ from: at - DAY_MS, to: Math.min(now, at + DAY_MS), ids: [id] });
    }
  }
  if (undated.length) windows.push({ from: now - WINDOW_DAYS * DAY_MS, to: now, ids: undated });
  return windows;
}

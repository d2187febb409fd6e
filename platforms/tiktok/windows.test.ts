import assert from 'node:assert/strict';
import { idCreatedAt } from './testFixtures';
import { createdAtFromId, DAY_MS, splitRange, utcDay, windowsForIds } from './windows';

const NOW = Date.UTC(2026, 10, 20, 15, 30);

/** Days between two "YYYYMMDD" strings. */
function daysBetween(from: string, to: string): number {
  const parse = (d: string) => Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6));
  return (parse(to) - parse(from)) / DAY_MS;
}

describe('TikTok date windows', () => {
  it('when a range is longer than 30 days, then it is split newest first into windows of at most 30 days, without gaps', () => {
    const windows = splitRange(NOW - 95 * DAY_MS, NOW);
    assert.equal(windows.length, 4);
    assert.equal(windows[0]!.to, NOW);
    assert.equal(windows.at(-1)!.from, NOW - 95 * DAY_MS);
    for (const w of windows) assert.ok(daysBetween(utcDay(w.from), utcDay(w.to)) <= 30, `${utcDay(w.from)}..${utcDay(w.to)}`);
    for (let i = 1; i < windows.length; i++) {
      assert.equal(daysBetween(utcDay(windows[i]!.to), utcDay(windows[i - 1]!.from)), 1, 'consecutive days: no gap, no overlap');
    }
  });

  it('when an id is a 64-bit TikTok id, then its creation time is read from its upper 32 bits', () => {
    assert.equal(new Date(createdAtFromId('7234567890123456789', NOW)!).toISOString(), '2023-05-18T16:58:18.000Z');
    assert.equal(createdAtFromId(idCreatedAt(NOW - 5 * DAY_MS), NOW), Math.floor((NOW - 5 * DAY_MS) / 1000) * 1000);
    assert.equal(createdAtFromId('12345', NOW), undefined, 'too short to be a video id');
    assert.equal(createdAtFromId('abc', NOW), undefined);
    assert.equal(createdAtFromId(idCreatedAt(NOW + 10 * DAY_MS), NOW), undefined, 'a creation time in the future is not plausible');
  });

  it('when ids were created months apart, then each gets a window around its creation day; ids without a time look at the last 30 days', () => {
    const recent = idCreatedAt(NOW - 2 * DAY_MS);
    const alsoRecent = idCreatedAt(NOW - 20 * DAY_MS);
    const old = idCreatedAt(NOW - 60 * DAY_MS);
    const windows = windowsForIds([recent, 'not-an-id', old, alsoRecent], NOW);
    assert.deepEqual(
      windows.map((w) => w.ids),
      [[old], [alsoRecent, recent], ['not-an-id']],
    );
    for (const w of windows) {
      assert.ok(daysBetween(utcDay(w.from), utcDay(w.to)) <= 30);
      assert.ok(w.to <= NOW);
      for (const id of w.ids) {
        const at = createdAtFromId(id, NOW);
        if (at !== undefined) assert.ok(w.from < at && at < w.to, `${id} inside ${utcDay(w.from)}..${utcDay(w.to)}`);
      }
    }
  });
});

import assert from 'node:assert/strict';
import { audienceStreamKey, audiencesOf, compareStreamIds, cursorName, formatCursor, parseCursor } from './events';

describe('live event vocabulary (lib/domain/events.ts)', () => {
  it('when a cursor is written and read back, then every position survives, in the written order', () => {
    const cursor = new Map([
      ['u42', '1764547200000-0'],
      ['t', '1764547100000-3'],
      ['a', '0-0'],
    ]);
    const text = formatCursor(cursor);
    assert.equal(text, 'u42:1764547200000-0,t:1764547100000-3,a:0-0');
    assert.deepEqual(parseCursor(text), cursor);
  });

  it('when a Last-Event-ID is not a cursor this server writes, then it is refused (null), not half read', () => {
    for (const bad of [
      '',
      'garbage',
      'u42:1-0,',
      'x:1-0',
      'u42:1-0,u42:2-0',
      'u:1-0',
      'u42:1',
      'u42:-1-0',
      `u1:${'9'.repeat(16)}-0`,
      'u1:1-0'.repeat(50),
    ]) {
      assert.equal(parseCursor(bad), null, bad);
    }
  });

  it('when stream ids are compared, then the milliseconds decide first and the sequence second (not the text)', () => {
    assert.ok(compareStreamIds('999-0', '1000-0') < 0);
    assert.ok(compareStreamIds('1000-10', '1000-9') > 0);
    assert.equal(compareStreamIds('5-1', '5-1'), 0);
  });

  it("when a user's audiences are listed, then Trend Watch follows the plan and the admins' stream the role", () => {
    const names = (u: Parameters<typeof audiencesOf>[0]) => audiencesOf(u).map(cursorName);
    assert.deepEqual(names({ id: 7, role: 'user', trendWatchEnabled: false }), ['u7']);
    assert.deepEqual(names({ id: 7, role: 'user', trendWatchEnabled: true }), ['u7', 't']);
    assert.deepEqual(names({ id: 7, role: 'admin', trendWatchEnabled: true }), ['u7', 't', 'a']);
    assert.equal(audienceStreamKey({ userId: 7 }), 'events:user:7');
    assert.notEqual(audienceStreamKey({ trendWatch: true }), audienceStreamKey({ admins: true }));
  });
});

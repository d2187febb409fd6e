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
    assert.deepEqual(parseCursor(text, 42), cursor);
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
      // Each read as its own user's, so only its form refuses it.
      assert.equal(parseCursor(bad, bad.startsWith('u1:') ? 1 : 42), null, bad);
    }
  });

  it("when a Last-Event-ID holds another user's stream, then it is refused for this user and read for its own", () => {
    assert.equal(parseCursor('u2:1-0', 1), null);
    assert.equal(parseCursor('u2:1-0,t:5-0', 1), null);
    assert.deepEqual(
      parseCursor('u2:1-0,t:5-0', 2),
      new Map([
        ['u2', '1-0'],
        ['t', '5-0'],
      ]),
    );
    assert.deepEqual(
      parseCursor('t:5-0,a:0-0', 1),
      new Map([
        ['t', '5-0'],
        ['a', '0-0'],
      ]),
      'shared streams belong to nobody',
    );
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

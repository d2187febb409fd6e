/**
 * One client's view of the event bus: the audiences it may read (its own, Trend Watch's, the
 * admins'), merged into one ordered sequence whose SSE id is a cursor over all of their streams.
 *
 * Starting from a client's cursor (Last-Event-ID) it subscribes first and buffers what arrives
 * live, then replays each stream after the cursor's position (XRANGE, a page at a time, merged by
 * entry id), then sends the buffered live entries the replay did not already send, then goes live:
 * no gap and no duplicate, since every stream's ids only grow and each source remembers the last
 * id it sent. A position the stream no longer holds (trimmed by MAXLEN, the stream lost) or a
 * cursor this server did not write gets a `reset` (the client reloads its state) and starts from
 * now. The same catch-up runs again when the process's subscriber had to reconnect.
 *
 * Memory is bounded: a page of each stream during a replay, and live entries buffered meanwhile up
 * to `maxBufferBytes`, past which the feed fails (the client reconnects with its cursor).
 */
import type { Redis } from 'ioredis';
import {
  audienceName,
  audienceStreamKey,
  compareStreamIds,
  cursorName,
  formatCursor,
  STREAM_START,
  type AudienceName,
  type Cursor,
  type EventAudience,
} from '../lib/domain/events';
import type { EventHub } from './hub';

export interface FeedEntry {
  audience: AudienceName;
  /** The entry's id in its audience's stream. */
  id: string;
  type: string;
  /** The event as stored (JSON of lib/domain/events ProductEvent). */
  event: string;
  /** The connection's cursor once this entry is sent: its SSE id. */
  cursor: string;
}

export type ResetReason = 'malformed_id' | 'trimmed';

/** The reason a feed fails when live entries pile up past its bound while it catches up. */
export const FEED_OVERFLOW = 'live events piled up while catching up';

export interface FeedSink {
  /** Sends an entry; while catching up (replay) the feed waits for the returned promise, which is how a slow client slows the replay. */
  deliver(entry: FeedEntry, catchingUp: boolean): void | Promise<void>;
  /** Events of these audiences are lost for this client; `cursor` is where it stands now. */
  reset(audiences: AudienceName[], reason: ResetReason, cursor: string): void | Promise<void>;
  /** The feed cannot go on (live entries over the buffer bound, a stream unreadable): end the connection. */
  fail(reason: string, err?: unknown): void;
}

export interface FeedOptions {
  /** Bytes of live entries buffered while a replay runs; more fails the feed. */
  maxBufferBytes: number;
  /** Entries read per XRANGE during a replay. */
  pageSize?: number;
}

interface RawEntry {
  id: string;
  type: string;
  event: string;
}

interface Source {
  audience: EventAudience;
  name: string;
  key: string;
  /** The last entry sent to the client (or the position it started from). */
  lastSent: string;
  /** Live entries are buffered while the source replays or catches up. */
  catchingUp: boolean;
  buffer: RawEntry[];
  unlisten: (() => void) | null;
}

const DEFAULT_PAGE_SIZE = 100;
/** Cursor order: the user's stream, Trend Watch's, the admins'. */
const rank = (name: string) => (name.startsWith('u') ? 0 : name === 't' ? 1 : 2);

export class EventFeed {
  private readonly sources = new Map<string, Source>();
  private bufferedBytes = 0;
  private work: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly deps: { redis: Redis; hub: EventHub },
    private readonly sink: FeedSink,
    private readonly options: FeedOptions,
  ) {}

  /** Where the client stands in each stream it reads: its SSE id. */
  get cursor(): string {
    const names = [...this.sources.keys()].sort((a, b) => rank(a) - rank(b));
    return formatCursor(new Map(names.map((n) => [n, this.sources.get(n)!.lastSent])));
  }

  get audiences(): AudienceName[] {
    return [...this.sources.values()].map((s) => audienceName(s.audience));
  }

  /** Subscribes to every audience's channel; rejects (having subscribed to none) when Redis cannot be reached. Sends nothing. */
  async attach(audiences: EventAudience[]): Promise<void> {
    try {
      await Promise.all(audiences.map((a) => this.listen(a)));
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /**
   * From the client's cursor (null: none, start now; 'malformed': not one of ours): resets where
   * events were lost, replays what it missed in order, then live.
   */
  start(from: Cursor | 'malformed' | null): Promise<void> {
    return this.serially(() => this.catchUp([...this.sources.values()], from));
  }

  /** An audience the user is entitled to now (a plan or role change): live from now on. */
  async add(audience: EventAudience): Promise<void> {
    if (this.sources.has(cursorName(audience))) return;
    const source = await this.listen(audience);
    await this.serially(() => this.catchUp([source], null));
  }

  /** An audience the user is no longer entitled to. */
  remove(audience: EventAudience): void {
    const source = this.sources.get(cursorName(audience));
    if (!source) return;
    source.unlisten?.();
    this.drop(source);
    this.sources.delete(source.name);
  }

  has(audience: EventAudience): boolean {
    return this.sources.has(cursorName(audience));
  }

  close(): void {
    this.closed = true;
    for (const source of this.sources.values()) source.unlisten?.();
    this.sources.clear();
    this.bufferedBytes = 0;
  }

  private async listen(audience: EventAudience): Promise<Source> {
    const source: Source = {
      audience,
      name: cursorName(audience),
      key: audienceStreamKey(audience),
      lastSent: STREAM_START,
      catchingUp: true,
      buffer: [],
      unlisten: null,
    };
    this.sources.set(source.name, source);
    try {
      source.unlisten = await this.deps.hub.listen(source.key, {
        message: (message) => this.onMessage(source, message),
        resync: () => {
          if (!this.closed) this.serially(() => this.catchUp([source], 'resync')).catch(() => undefined);
        },
      });
    } catch (err) {
      if (this.sources.get(source.name) === source) this.sources.delete(source.name);
      throw err;
    }
    if (this.closed) source.unlisten();
    return source;
  }

  private onMessage(source: Source, message: string): void {
    if (this.closed || this.sources.get(source.name) !== source) return;
    const entry = parseMessage(message);
    if (!entry) return;
    if (source.catchingUp) {
      source.buffer.push(entry);
      this.bufferedBytes += entry.event.length;
      if (this.bufferedBytes > this.options.maxBufferBytes) this.sink.fail(FEED_OVERFLOW);
      return;
    }
    if (compareStreamIds(entry.id, source.lastSent) <= 0) return;
    source.lastSent = entry.id;
    void this.sink.deliver(this.entryOf(source, entry), false);
  }

  /** Runs catch-ups one at a time, in order; the chain goes on after a failure (reported to the sink). */
  private serially(work: () => Promise<void>): Promise<void> {
    const run = this.work.then(() => (this.closed ? undefined : work()));
    this.work = run.catch((err: unknown) => {
      if (!this.closed) this.sink.fail('the event streams could not be read', err);
    });
    return run;
  }

  /** `resync`: from where each source stands (its subscription was lost for a while). */
  private async catchUp(sources: Source[], from: Cursor | 'malformed' | 'resync' | null): Promise<void> {
    sources = sources.filter((s) => this.sources.get(s.name) === s);
    for (const source of sources) source.catchingUp = true;
    const lost: Source[] = [];
    const replaying: Source[] = [];
    for (const source of sources) {
      const position = from === 'resync' ? source.lastSent : from === null || from === 'malformed' ? undefined : from.get(source.name);
      if (position !== undefined && !(await this.missedSince(source.key, position))) {
        source.lastSent = position;
        replaying.push(source);
        continue;
      }
      source.lastSent = await this.lastId(source.key);
      if (from === 'malformed' || position !== undefined) lost.push(source);
    }
    if (this.closed) return;
    if (lost.length > 0) {
      await this.sink.reset(
        lost.map((s) => audienceName(s.audience)),
        from === 'malformed' ? 'malformed_id' : 'trimmed',
        this.cursor,
      );
    }
    await this.replay(replaying);
    await this.flush(sources);
  }

  /** Whether entries after `position` may be gone from the stream (trimmed, or the stream lost). */
  private async missedSince(key: string, position: string): Promise<boolean> {
    if (position === STREAM_START) {
      // The client saw nothing of this stream: only a trim since then lost anything.
      const info = await this.streamInfo(key);
      return info !== null && info.entriesAdded !== null && info.entriesAdded > info.length;
    }
    // Trimming removes the oldest entries only, so while the client's last entry is there, so is everything after it.
    const hit = await this.deps.redis.xrange(key, position, position);
    return hit.length === 0;
  }

  private async streamInfo(key: string): Promise<{ length: number; entriesAdded: number | null } | null> {
    let reply: unknown[];
    try {
      reply = (await this.deps.redis.xinfo('STREAM', key)) as unknown[];
    } catch (err) {
      if (/no such key/i.test((err as Error).message)) return null;
      throw err;
    }
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
    const added = fields.get('entries-added');
    return { length: Number(fields.get('length') ?? 0), entriesAdded: added === undefined ? null : Number(added) };
  }

  private async lastId(key: string): Promise<string> {
    const [last] = await this.deps.redis.xrevrange(key, '+', '-', 'COUNT', 1);
    return last?.[0] ?? STREAM_START;
  }

  /** Sends every stream's entries after its position, merged by id, a page per stream at a time. */
  private async replay(sources: Source[]): Promise<void> {
    const pageSize = this.options.pageSize ?? DEFAULT_PAGE_SIZE;
    const pages = new Map<Source, { entries: RawEntry[]; readTo: string; done: boolean }>(
      sources.map((s) => [s, { entries: [], readTo: s.lastSent, done: false }]),
    );
    for (;;) {
      let next: Source | null = null;
      for (const [source, page] of pages) {
        if (page.entries.length === 0 && !page.done) {
          const rows = await this.deps.redis.xrange(source.key, `(${page.readTo}`, '+', 'COUNT', pageSize);
          page.entries = rows.map(([id, fields]) => rawEntry(id, fields));
          if (page.entries.length === 0) page.done = true;
          else page.readTo = page.entries.at(-1)!.id;
        }
        const head = page.entries[0];
        if (head && (!next || compareStreamIds(head.id, pages.get(next)!.entries[0]!.id) < 0)) next = source;
      }
      if (!next || this.closed) return;
      const entry = pages.get(next)!.entries.shift()!;
      // An audience removed meanwhile (a plan or role change) sends nothing more.
      if (this.sources.get(next.name) !== next || compareStreamIds(entry.id, next.lastSent) <= 0) continue;
      next.lastSent = entry.id;
      await this.sink.deliver(this.entryOf(next, entry), true);
    }
  }

  /** Sends what arrived live during the catch-up and the replay did not send, then the sources are live. */
  private async flush(sources: Source[]): Promise<void> {
    for (;;) {
      const pending = sources.flatMap((s) => s.buffer.map((e) => [s, e] as const));
      for (const source of sources) this.drop(source);
      if (pending.length === 0 || this.closed) break;
      pending.sort(([, a], [, b]) => compareStreamIds(a.id, b.id));
      for (const [source, entry] of pending) {
        if (this.closed) return;
        if (this.sources.get(source.name) !== source || compareStreamIds(entry.id, source.lastSent) <= 0) continue;
        source.lastSent = entry.id;
        await this.sink.deliver(this.entryOf(source, entry), true);
      }
    }
    // Nothing awaited since the buffers were found empty: no live entry can slip in between.
    for (const source of sources) source.catchingUp = false;
  }

  private drop(source: Source): void {
    for (const entry of source.buffer) this.bufferedBytes -= entry.event.length;
    source.buffer = [];
  }

  private entryOf(source: Source, entry: RawEntry): FeedEntry {
    return { audience: audienceName(source.audience), id: entry.id, type: entry.type, event: entry.event, cursor: this.cursor };
  }
}

/** "<id> <type> <event JSON>" as events/publish.ts sends it on the channel. */
function parseMessage(message: string): RawEntry | null {
  const first = message.indexOf(' ');
  const second = message.indexOf(' ', first + 1);
  if (first < 0 || second < 0) return null;
  return { id: message.slice(0, first), type: message.slice(first + 1, second), event: message.slice(second + 1) };
}

/** A stream entry's fields: t (type) and e (event). */
function rawEntry(id: string, fields: string[]): RawEntry {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i]!, fields[i + 1]!);
  return { id, type: values.get('t') ?? 'message', event: values.get('e') ?? '{}' };
}

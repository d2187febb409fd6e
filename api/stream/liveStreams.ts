/**
 * The event streams (GET /api/stream) open in this API process, and what keeps them honest:
 *
 *  - one Redis subscriber for the process (events/hub.ts), each stream an EventFeed over the
 *    audiences its user reads (events/feed.ts): replay after Last-Event-ID, then live;
 *  - a per-user cap across every API process: a sorted set in Redis of the user's open streams,
 *    each with a lease this process renews, so a crashed process's streams stop counting;
 *  - one heartbeat timer and one recheck timer for all streams: every SSE_RECHECK_SECONDS the
 *    users' accounts are read in one query and the sessions checked against the deny-list, so a
 *    logout, a password change or reset, a disabled or deleted account ends its streams within
 *    seconds, and a plan or role change adds or removes the Trend Watch or admin events
 *    (an account change published by the API triggers the check at once);
 *  - each stream ends with an `end` event when its access token expires;
 *  - a slow client is dropped (bounded bytes per connection), and close() ends every stream.
 *
 * No stream holds a database connection or transaction: the checks are short queries.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { streamAccounts, type StreamAccount } from '../../db/queries/users';
import { EventFeed, FEED_OVERFLOW as OVERFLOW, type FeedEntry, type ResetReason } from '../../events/feed';
import { EventHub } from '../../events/hub';
import type { Config } from '../../lib/config';
import { audienceName, audiencesOf, parseCursor, type AudienceName, type EventAudience } from '../../lib/domain/events';
import { AppError, ServiceUnavailableError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { isAccessTokenRevoked } from '../auth/revocation';
import { issuedBeforeCutoff } from '../auth/tokens';
import { USER_CHANGED_CHANNEL } from '../auth/userCache';
import { SseConnection } from './sse';
import type { StreamSession } from './tickets';

/** Why a stream ended, as its last event says. */
export type EndReason = 'token_expired' | 'session_revoked' | 'account_disabled' | 'server_shutdown' | 'unavailable';

const END_MESSAGES: Record<EndReason, string> = {
  token_expired:
    'Your access token expired. Refresh it (POST /api/auth/refresh), then reconnect with the new token or a new ticket and Last-Event-ID to resume.',
  session_revoked: 'This session was signed out (logout, a password change or reset, or a revoked login). Log in again to reconnect.',
  account_disabled: 'This account is disabled or no longer exists.',
  server_shutdown: 'This API process is shutting down. Reconnect with Last-Event-ID to resume where you were.',
  unavailable: 'Live events are unavailable just now. Reconnect with Last-Event-ID in a moment to resume.',
};

const RESET_MESSAGES: Record<ResetReason, string> = {
  trimmed:
    'Events you missed are no longer kept (you were away too long, or they were lost): reload the state you show, then go on from here.',
  malformed_id: 'Last-Event-ID is not an id this stream sent: reload the state you show, then go on from here.',
};

/** The client's reconnection delay (`retry:`). */
const RETRY_MS = 3000;
/** How long a replay waits for a client that takes nothing. */
const DRAIN_TIMEOUT_MS = 30_000;

export interface LiveStreamsDeps {
  config: Config;
  logger: Logger;
  redis: Redis;
  db: Knex;
}

/** Who a stream is for, as the checks see it. */
interface StreamUser {
  id: number;
  role: string;
  trendWatchEnabled: boolean;
}

interface Stream {
  id: string;
  user: StreamUser;
  session: StreamSession;
  connection: SseConnection;
  feed: EventFeed;
  expiry: NodeJS.Timeout | null;
  done: boolean;
}

// KEYS[1]: the user's open streams (stream id -> lease end, ms of Redis' clock). ARGV: stream id,
// lease (ms), limit. Expired leases (a crashed process's streams) go first. Returns {admitted, open}.
const ADMIT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local open = redis.call('ZCARD', KEYS[1])
if open >= tonumber(ARGV[3]) then return {0, open} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, open + 1}
`;
// KEYS[1]: as above. ARGV: lease (ms), then the stream ids whose leases this process renews.
const RENEW_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;
const openStreamsKey = (userId: number) => `stream:open:${userId}`;

export class LiveStreams {
  readonly hub: EventHub;
  private readonly streams = new Set<Stream>();
  private heartbeat: NodeJS.Timeout | null = null;
  private recheck: NodeJS.Timeout | null = null;
  private rechecking: Promise<void> | null = null;
  private watchingAccounts: Promise<unknown> | null = null;
  private closing = false;
  private readonly leaseMs: number;

  constructor(private readonly deps: LiveStreamsDeps) {
    const recheckMs = deps.config.SSE_RECHECK_SECONDS * 1000;
    this.hub = new EventHub(deps.redis, deps.logger, {
      pingMs: Math.max(recheckMs, 5000),
      subscribeTimeoutMs: Math.max(deps.config.REDIS_COMMAND_TIMEOUT_MS, 2000),
    });
    // Renewed every recheck: three missed renewals (a dead process) and the slot is free again.
    this.leaseMs = Math.max(30_000, 3 * recheckMs);
  }

  /** Streams open in this process. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Opens a stream for `user` on `res`: admission against the user's cap, subscriptions, then the
   * headers (so every refusal before this is a plain JSON error), then in the background the
   * replay after `lastEventId` and live events.
   */
  async open(params: {
    user: StreamUser;
    session: StreamSession;
    lastEventId: string | undefined;
    req: IncomingMessage;
    res: ServerResponse;
  }): Promise<void> {
    const { config, logger } = this.deps;
    if (this.closing) throw unavailable('This API process is shutting down; connect again in a moment.');
    // Set once the connection exists; the callbacks below may run before (and then do nothing).
    const ref: { stream?: Stream } = {};
    // The client may leave while this is still being set up: the stream then ends as soon as it exists.
    let left = false;
    params.res.once('close', () => {
      left = true;
      if (ref.stream) this.end(ref.stream, null);
    });
    const id = randomUUID();
    await this.admit(params.user.id, id);
    const feed = new EventFeed(
      { redis: this.deps.redis, hub: this.hub },
      {
        deliver: (entry, catchingUp) => this.deliver(ref.stream!, entry, catchingUp),
        reset: (audiences, reason, cursor) => this.reset(ref.stream!, audiences, reason, cursor),
        fail: (reason, err) => {
          logger.warn({ err: (err as Error | undefined)?.message, userId: params.user.id, reason }, 'event stream failed');
          const stream = ref.stream;
          if (!stream) return;
          // Live events piling up behind a slow replay: dropped like any slow client (it resumes with Last-Event-ID).
          if (reason === OVERFLOW) stream.connection.drop(reason);
          else this.end(stream, 'unavailable');
        },
      },
      { maxBufferBytes: config.SSE_MAX_BUFFER_BYTES },
    );
    try {
      await feed.attach(audiencesOf(params.user));
    } catch (err) {
      await this.release(params.user.id, id);
      logger.warn({ err: (err as Error).message }, 'event stream refused: Redis cannot subscribe');
      throw unavailable('Live events need Redis, which is unreachable just now. Try again shortly.');
    }
    const connection = new SseConnection(
      params.req,
      params.res,
      { maxBufferBytes: config.SSE_MAX_BUFFER_BYTES, retryMs: RETRY_MS, drainTimeoutMs: DRAIN_TIMEOUT_MS },
      (why) => {
        logger.info({ userId: params.user.id, why }, 'event stream dropped: the client is too slow (it resumes with Last-Event-ID)');
        if (ref.stream) this.end(ref.stream, null);
      },
    );
    const stream: Stream = { id, user: params.user, session: params.session, connection, feed, expiry: null, done: false };
    ref.stream = stream;
    this.streams.add(stream);
    if (left) {
      this.end(stream, null);
      return;
    }
    connection.open();
    const untilExpiry = params.session.expiresAt * 1000 - Date.now();
    stream.expiry = setTimeout(() => this.end(stream, 'token_expired'), Math.max(0, untilExpiry));
    this.startTimers();
    void this.run(stream, params.lastEventId);
  }

  /** Ends every stream (server shutdown) with an `end` event, so the server can close; new ones are refused. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.recheck) clearInterval(this.recheck);
    this.heartbeat = this.recheck = null;
    for (const stream of [...this.streams]) this.end(stream, 'server_shutdown');
    await this.rechecking?.catch(() => undefined);
    await this.hub.close();
  }

  /** Replay (with a reset first where events were lost), then `ready`, then live events as they come. */
  private async run(stream: Stream, lastEventId: string | undefined): Promise<void> {
    const from = lastEventId === undefined || lastEventId === '' ? null : (parseCursor(lastEventId, stream.user.id) ?? 'malformed');
    try {
      await stream.feed.start(from);
    } catch {
      return; // the feed told its sink, which ended the stream
    }
    if (stream.done) return;
    stream.connection.event(
      'ready',
      JSON.stringify({
        audiences: stream.feed.audiences,
        heartbeatSeconds: this.deps.config.SSE_HEARTBEAT_SECONDS,
        expiresAt: new Date(stream.session.expiresAt * 1000).toISOString(),
      }),
      stream.feed.cursor,
    );
  }

  private deliver(stream: Stream, entry: FeedEntry, catchingUp: boolean): void | Promise<void> {
    if (stream.done) return;
    const sent = stream.connection.event(entry.type, entry.event, entry.cursor);
    if (sent && catchingUp) return stream.connection.drained();
  }

  private reset(stream: Stream, audiences: AudienceName[], reason: ResetReason, cursor: string): void {
    if (stream.done) return;
    stream.connection.event('reset', JSON.stringify({ reason, audiences, message: RESET_MESSAGES[reason] }), cursor);
  }

  /** Ends a stream once: with an `end` event saying why (null: the client left or was dropped), then cleans up. */
  private end(stream: Stream, reason: EndReason | null): void {
    if (stream.done) return;
    stream.done = true;
    if (reason) {
      stream.connection.event('end', JSON.stringify({ reason, message: END_MESSAGES[reason] }));
      this.deps.logger.info({ userId: stream.user.id, reason }, 'event stream ended');
    }
    stream.connection.end();
    stream.feed.close();
    if (stream.expiry) clearTimeout(stream.expiry);
    this.streams.delete(stream);
    void this.release(stream.user.id, stream.id);
    if (this.streams.size === 0) this.stopTimers();
  }

  private async admit(userId: number, id: string): Promise<void> {
    const limit = this.deps.config.SSE_MAX_CONNECTIONS_PER_USER;
    let admitted: number;
    let open: number;
    try {
      [admitted, open] = (await this.deps.redis.eval(ADMIT_SCRIPT, 1, openStreamsKey(userId), id, String(this.leaseMs), String(limit))) as [
        number,
        number,
      ];
    } catch {
      throw unavailable('Live events need Redis, which is unreachable just now. Try again shortly.');
    }
    if (!admitted) {
      throw new AppError(
        429,
        'too_many_streams',
        `You have ${open} event stream${open === 1 ? '' : 's'} open and your limit is ${limit}. Close one (a stream that was cut off stops counting within ${Math.ceil(this.leaseMs / 1000)} s) and connect again.`,
        { open, limit },
        { 'Retry-After': String(Math.ceil(this.leaseMs / 1000)) },
      );
    }
  }

  private async release(userId: number, id: string): Promise<void> {
    await this.deps.redis.zrem(openStreamsKey(userId), id).catch(() => undefined); // the lease runs out anyway
  }

  private startTimers(): void {
    const { config, logger } = this.deps;
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => {
        for (const stream of this.streams) stream.connection.comment('heartbeat');
      }, config.SSE_HEARTBEAT_SECONDS * 1000);
    }
    if (!this.recheck) {
      this.recheck = setInterval(() => void this.recheckStreams(), config.SSE_RECHECK_SECONDS * 1000);
    }
    // An account change the API publishes (disabled, deleted, plan or role changed) is checked at once.
    this.watchingAccounts ??= this.hub
      .listen(USER_CHANGED_CHANNEL, {
        message: (message) => void this.recheckStreams(Number(message)),
        resync: () => void this.recheckStreams(),
      })
      .catch((err: Error) => {
        this.watchingAccounts = null;
        logger.debug({ err: err.message }, 'account changes not watched by the streams: the periodic check covers them');
      });
  }

  private stopTimers(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.recheck) clearInterval(this.recheck);
    this.heartbeat = this.recheck = null;
  }

  /** One check of every open stream (or of one user's); one at a time. */
  private recheckStreams(onlyUserId?: number): Promise<void> {
    if (this.rechecking) {
      if (onlyUserId === undefined) return this.rechecking;
      // A change during a check: check that user again right after.
      return this.rechecking.then(() => this.recheckStreams(onlyUserId));
    }
    this.rechecking = this.checkStreams(onlyUserId)
      .catch((err: Error) => this.deps.logger.warn({ err: err.message }, 'event stream check failed'))
      .finally(() => {
        this.rechecking = null;
      });
    return this.rechecking;
  }

  private async checkStreams(onlyUserId?: number): Promise<void> {
    const { db, redis, logger } = this.deps;
    const streams = [...this.streams].filter((s) => onlyUserId === undefined || s.user.id === onlyUserId);
    if (streams.length === 0) return;
    const userIds = [...new Set(streams.map((s) => s.user.id))];
    const accounts = await streamAccounts(db, userIds).catch((err: Error) => {
      logger.debug({ err: err.message }, 'accounts of open streams not read (PostgreSQL down?): checked again next time');
      return null;
    });
    // The deny-list (PostgreSQL when Redis cannot answer), once per session.
    const sessions = new Map(streams.map((s) => [s.session.jti, s.session]));
    const revoked = new Set<string>();
    await Promise.all(
      [...sessions.values()].map((session) =>
        isAccessTokenRevoked({ redis, db }, { jti: session.jti, familyId: session.familyId, exp: session.expiresAt }).then(
          (yes) => void (yes && revoked.add(session.jti)),
          () => undefined,
        ),
      ),
    );
    for (const stream of streams) {
      if (stream.done) continue;
      if (revoked.has(stream.session.jti)) {
        this.end(stream, 'session_revoked');
        continue;
      }
      if (!accounts) continue;
      const reason = this.verdict(stream, accounts.get(stream.user.id));
      if (reason) this.end(stream, reason);
    }
    if (onlyUserId === undefined) await this.renewLeases();
  }

  /** Why the account ends the stream, if it does; otherwise its audiences follow the account's plan and role. */
  private verdict(stream: Stream, account: StreamAccount | undefined): EndReason | null {
    if (!account || !account.isActive) return 'account_disabled';
    if (issuedBeforeCutoff({ iat: stream.session.issuedAt, iat_ms: stream.session.issuedAtMs }, account.sessionsRevokedAt)) {
      return 'session_revoked';
    }
    stream.user = { id: account.id, role: account.role, trendWatchEnabled: account.trendWatchEnabled };
    const wanted = audiencesOf(stream.user);
    const names = new Set(wanted.map(audienceName));
    for (const name of stream.feed.audiences) if (!names.has(name)) stream.feed.remove(audienceByName(stream.user.id, name));
    for (const audience of wanted) {
      if (stream.feed.has(audience)) continue;
      stream.feed.add(audience).catch((err: Error) => {
        this.deps.logger.warn({ err: err.message, userId: stream.user.id }, 'event stream could not add an audience');
        this.end(stream, 'unavailable');
      });
    }
    return null;
  }

  private async renewLeases(): Promise<void> {
    const byUser = new Map<number, string[]>();
    for (const stream of this.streams) byUser.set(stream.user.id, [...(byUser.get(stream.user.id) ?? []), stream.id]);
    if (byUser.size === 0) return;
    const pipeline = this.deps.redis.pipeline();
    for (const [userId, ids] of byUser) pipeline.eval(RENEW_SCRIPT, 1, openStreamsKey(userId), String(this.leaseMs), ...ids);
    await pipeline.exec().catch(() => undefined); // Redis down: the leases outlast a few missed renewals
  }
}

function audienceByName(userId: number, name: AudienceName): EventAudience {
  return name === 'user' ? { userId } : name === 'trend_watch' ? { trendWatch: true } : { admins: true };
}

function unavailable(message: string): ServiceUnavailableError {
  return new ServiceUnavailableError(message, { retryAfterSeconds: 5 }, 'events_unavailable', { 'Retry-After': '5' });
}

/**
 * Stream tickets: browsers' EventSource cannot send an Authorization header, so a client with an
 * access token trades it for a ticket (POST /api/stream/ticket) and opens
 * GET /api/stream?ticket=… with it. A ticket is 256 random bits, kept in Redis only as its SHA-256
 * for SSE_TICKET_TTL_SECONDS (never beyond the access token's own expiry), opens one stream
 * (GETDEL: the first use deletes it) and carries the session that asked for it, so the stream it
 * opens is that session's: it ends when that session is signed out or its access token expires.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** The session a stream belongs to: the access token that opened it, or that asked for its ticket. */
export interface StreamSession {
  userId: number;
  /** The access token's id and its login family (logout and reuse revoke these). */
  jti: string;
  familyId: string;
  /** The access token's iat and exp, seconds since the epoch, and its iat_ms (exact, against a sign-out cut-off) when it has one. */
  issuedAt: number;
  issuedAtMs?: number;
  expiresAt: number;
}

const TICKET_FORMAT = /^bast_[A-Za-z0-9_-]{43}$/;
const ticketKey = (ticket: string) => `stream:ticket:${createHash('sha256').update(ticket, 'utf8').digest('hex')}`;

export async function issueTicket(
  redis: Redis,
  ttlSeconds: number,
  session: StreamSession,
): Promise<{ ticket: string; expiresIn: number }> {
  const ticket = `bast_${randomBytes(32).toString('base64url')}`;
  const expiresIn = Math.max(1, Math.min(ttlSeconds, session.expiresAt - Math.floor(Date.now() / 1000)));
  await redis.set(ticketKey(ticket), JSON.stringify(session), 'EX', expiresIn);
  return { ticket, expiresIn };
}

/** The ticket's session, once: null for an unknown, used or expired ticket. */
export async function redeemTicket(redis: Redis, ticket: string): Promise<StreamSession | null> {
  if (!TICKET_FORMAT.test(ticket)) return null;
  const stored = await redis.getdel(ticketKey(ticket));
  return stored ? (JSON.parse(stored) as StreamSession) : null;
}

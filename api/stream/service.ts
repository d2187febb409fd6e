/**
 * GET /api/stream and its tickets: who the caller is (the bearer token's session, or the session
 * a ticket was issued to) and opening their stream (api/stream/liveStreams.ts does the rest).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Config } from '../../lib/config';
import { UnauthorizedError } from '../../lib/errors';
import { issuedBeforeCutoff, type AccessClaims } from '../auth/tokens';
import { isAccessTokenRevoked } from '../auth/revocation';
import type { AccountCache } from '../auth/userCache';
import type { AuthUser } from '../middleware/auth';
import type { LiveStreams } from './liveStreams';
import { issueTicket, redeemTicket, type StreamSession } from './tickets';

/** The session of a verified access token. */
export function sessionOf(claims: AccessClaims): StreamSession {
  return {
    userId: Number(claims.sub),
    jti: claims.jti,
    familyId: claims.fid,
    issuedAt: claims.iat,
    ...(typeof claims.iat_ms === 'number' ? { issuedAtMs: claims.iat_ms } : {}),
    expiresAt: claims.exp,
  };
}

export async function createTicket(
  { redis, config }: { redis: Redis; config: Pick<Config, 'SSE_TICKET_TTL_SECONDS'> },
  claims: AccessClaims,
) {
  const { ticket, expiresIn } = await issueTicket(redis, config.SSE_TICKET_TTL_SECONDS, sessionOf(claims));
  return { ticket, expiresIn, url: `/api/stream?ticket=${ticket}` };
}

/**
 * The user and session behind a ticket, which it uses up; the same checks as a bearer token gets
 * (api/middleware/auth.ts): the session not signed out, the account active, the token not expired.
 */
export async function authenticateTicket(
  deps: { redis: Redis; db: Knex; accounts: AccountCache },
  ticket: string,
): Promise<{ user: AuthUser; session: StreamSession }> {
  const session = await redeemTicket(deps.redis, ticket);
  if (!session) {
    throw new UnauthorizedError(
      'This stream ticket is unknown, already used or expired: a ticket opens one stream, shortly after it was issued. Get a new one with POST /api/stream/ticket.',
      'invalid_ticket',
    );
  }
  if (session.expiresAt <= Math.floor(Date.now() / 1000)) {
    throw new UnauthorizedError(
      'The access token this ticket was issued for has expired. Refresh it (POST /api/auth/refresh) and ask for a new ticket.',
      'token_expired',
    );
  }
  if (await isAccessTokenRevoked(deps, { jti: session.jti, familyId: session.familyId, exp: session.expiresAt })) {
    throw new UnauthorizedError('The session this ticket was issued for was signed out. Log in again.', 'token_revoked');
  }
  const account = await deps.accounts.get(session.userId);
  if (!account || !account.isActive) throw new UnauthorizedError('This account is disabled or no longer exists.', 'account_disabled');
  if (issuedBeforeCutoff({ iat: session.issuedAt, iat_ms: session.issuedAtMs }, account.sessionsRevokedAt)) {
    throw new UnauthorizedError('The session this ticket was issued for was signed out. Log in again.', 'token_revoked');
  }
  return { user: account.user, session };
}

/** Opens the caller's stream on the raw response; refusals (cap, Redis down) throw before any header is sent. */
export function openStream(
  streams: LiveStreams,
  params: { user: AuthUser; session: StreamSession; lastEventId: string | undefined; req: IncomingMessage; res: ServerResponse },
): Promise<void> {
  const { user } = params;
  return streams.open({ ...params, user: { id: user.id, role: user.role, trendWatchEnabled: user.limits.trendWatchEnabled } });
}

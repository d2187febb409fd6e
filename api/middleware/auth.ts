/**
 * Authentication: koa-jwt verifies the access token (HS256 pinned, issuer, audience, expiry),
 * then we insist on what jsonwebtoken does not: an `exp` claim, the access kind, a token not on
 * the deny-list, and an account that still exists and is active (checked on every request, so a
 * disabled or deleted user's tokens stop working at once: the account is kept a few seconds in
 * the process and dropped on every process the moment it changes, api/auth/userCache.ts).
 * Every failure is a 401 whose message says what to do next.
 */
import type { KeyObject } from 'node:crypto';
import type { DefaultState, Middleware } from 'koa';
import compose from 'koa-compose';
import koaJwt from 'koa-jwt';
import type { Role, UserLimit } from '../../db/models';
import type { Plan } from '../../lib/domain/plans';
import { AppError, ForbiddenError, UnauthorizedError } from '../../lib/errors';
import { isAccessTokenRevoked } from '../auth/revocation';
import { accessVerifyOptions, issuedBeforeCutoff, type AccessClaims } from '../auth/tokens';
import type { CachedAccount } from '../auth/userCache';
import type { ApiDeps } from '../deps';

export interface AuthUser {
  id: number;
  email: string;
  role: Role;
  plan: Plan;
  /** Whether the account proved it reads mail at its address; unverified accounts get no product mail (alerts, digest). */
  emailVerified: boolean;
  limits: Pick<UserLimit, 'maxBloggers' | 'maxVideosPerDay' | 'trendWatchEnabled' | 'apiRateLimit' | 'maxAlertRules' | 'maxWebhooks'>;
}

declare module 'koa' {
  interface DefaultState {
    user?: AuthUser;
    /** The whole account authentication read (its profile answers GET /api/auth/me). */
    account?: CachedAccount;
    token?: AccessClaims;
  }
}

/** Why jsonwebtoken refused a token, as a message that tells the caller what to fix. */
function explain(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const name = (err as Error | undefined)?.name;
  const message = (err as Error | undefined)?.message ?? '';
  if (name === 'TokenExpiredError') {
    return new UnauthorizedError(
      'Access token expired. Get a new one with POST /api/auth/refresh and your refresh token.',
      'token_expired',
    );
  }
  if (message === 'Token not found') {
    return new UnauthorizedError(
      'Authentication required: send "Authorization: Bearer <access token>" (from POST /api/auth/login).',
      'unauthorized',
    );
  }
  return new UnauthorizedError('Access token is not valid (bad signature, algorithm, issuer or audience). Log in again.', 'invalid_token');
}

/** Errors that say something about the token itself (jsonwebtoken's, and koa-jwt's "no token"). */
const TOKEN_ERROR_NAMES = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError']);

function isOwnFailure(err: unknown): err is Error {
  return err instanceof Error && !(err instanceof AppError) && !TOKEN_ERROR_NAMES.has(err.name) && err.message !== 'Token not found';
}

export function authenticate(deps: Pick<ApiDeps, 'config' | 'db' | 'redis' | 'accounts'>, signingKey: KeyObject): Middleware {
  const verify = koaJwt({
    secret: signingKey as unknown as string, // jsonwebtoken accepts a KeyObject
    ...accessVerifyOptions(deps.config),
    key: 'token',
    debug: true,
    isRevoked: async (_ctx, decoded) => {
      const claims = decoded as Partial<AccessClaims>;
      if (typeof claims.exp !== 'number')
        throw new UnauthorizedError('Access token has no expiry; tokens without "exp" are refused. Log in again.', 'invalid_token');
      if (claims.kind !== 'access' || !claims.jti || !claims.fid || !claims.sub) {
        throw new UnauthorizedError(
          'This is not an access token. Send the accessToken from POST /api/auth/login or /refresh.',
          'wrong_token_kind',
        );
      }
      if (await isAccessTokenRevoked(deps, { jti: claims.jti, familyId: claims.fid, exp: claims.exp })) {
        throw new UnauthorizedError('Access token was revoked (logout or suspected refresh-token reuse). Log in again.', 'token_revoked');
      }
      return false;
    },
  });

  const translateErrors: Middleware = async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const original = (err as { originalError?: unknown }).originalError;
      if ((err as { status?: number }).status === 401 && !(err instanceof AppError)) {
        // koa-jwt answers 401 for anything that fails while it checks, our own failures included
        // (the revocation check's PostgreSQL down): those are not the caller's token, and leave as
        // what they are (503 database_unavailable, or a 500) through the error middleware.
        if (isOwnFailure(original)) throw original;
        throw explain(original ?? err);
      }
      throw err;
    }
  };

  const loadUser: Middleware = async (ctx, next) => {
    const claims = ctx.state.token as AccessClaims;
    // Kept a few seconds in the process, dropped at once when the account changes (userCache.ts).
    const account = await deps.accounts.get(Number(claims.sub));
    if (!account || !account.isActive) {
      throw new UnauthorizedError('This account is disabled or no longer exists.', 'account_disabled');
    }
    // Tokens issued before the account's session cut-off (password changed or reset, account promoted) are refused.
    if (issuedBeforeCutoff(claims, account.sessionsRevokedAt)) {
      throw new UnauthorizedError(
        "This session was signed out when the account's password was changed or reset. Log in again.",
        'token_revoked',
      );
    }
    ctx.state.user = account.user;
    ctx.state.account = account;
    await next();
  };

  // translateErrors wraps only verification: errors of later middleware pass through untouched.
  const verified: Middleware = async (ctx, next) => {
    await translateErrors(ctx, () => verify(ctx, async () => undefined));
    await next();
  };
  return compose([verified, loadUser]);
}

/** The user of a route that mounts `protect` itself (on a public router); a 401 should it be missing. */
export function currentUser(ctx: { state: DefaultState }): AuthUser {
  if (!ctx.state.user) throw new UnauthorizedError();
  return ctx.state.user;
}

/** The whole account behind that user, as authentication read it. */
export function currentAccount(ctx: { state: DefaultState }): CachedAccount {
  if (!ctx.state.account) throw new UnauthorizedError();
  return ctx.state.account;
}

export function requireAdmin(): Middleware {
  return async (ctx, next) => {
    if (ctx.state.user?.role !== 'admin') throw new ForbiddenError('This endpoint is for administrators only.', 'admin_only');
    await next();
  };
}

/**
 * Accounts: register, login, refresh (rotating, with reuse detection), logout, me.
 *
 * Refresh tokens live in families (one per login). Every refresh rotates: the presented token is
 * marked rotated and a successor is issued in the same family. Presenting a rotated token again
 * means it leaked or a client misbehaves (RFC 9700 §4.14.2): the whole family is revoked, and so
 * are the access tokens issued with it. One exception, the grace: within
 * REFRESH_REUSE_GRACE_SECONDS of its rotation a token may be presented again (two parallel
 * refreshes from one client, e.g. two browser tabs, or a retry after a lost answer) and gets the
 * SAME successor again (see successorRefreshToken), with a fresh access token: a family never has
 * more than one live refresh token. Every change to a family runs under its advisory lock.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { isUniqueViolation } from '../../db/errors';
import { recordAudit, type RequestMeta } from '../../db/queries/audit';
import { RefreshToken, User } from '../../db/models';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { Mailer } from '../../notifications/mailer';
import type { Temporal } from '../../temporal/client';
import type { BackgroundTasks } from '../background';
import { accountChanged, accountProfile, type AccountCache } from './userCache';
import { SIGNUP_PLAN } from '../../lib/domain/plans';
import { ConflictError, UnauthorizedError } from '../../lib/errors';
import type { LoginGuard } from './loginGuard';
import { bcryptHasher, type PasswordHasher } from './passwords';
import type { LoginBody, RefreshBody, RegisterBody, UpdateMeBody } from './schema';
import { hashRefreshToken, newRefreshToken, signAccessToken, successorRefreshToken } from './tokens';
import { revokeFamilyAccess, type AccessTokenRef, denyAccessToken } from './revocation';
import { sendVerificationMail } from './selfService';

export interface AuthDeps {
  db: Knex;
  redis: Redis;
  config: Config;
  logger: Logger;
  signingKey: KeyObject;
  loginGuard: LoginGuard;
  /** bcrypt unless a test hands in a spy. */
  passwords?: PasswordHasher;
  /** Account mail (verification, reset, notices), sent after the answer through `background`. */
  mailer: Mailer;
  background: BackgroundTasks;
  /** Account deletion stops the syncs of the account's bloggers. */
  temporal: Temporal;
  /** The accounts this process keeps: a change drops its entry here at once (others hear of it through Redis). */
  accounts: AccountCache;
}

export interface TokenPair {
  tokenType: 'Bearer';
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
}

const INVALID_CREDENTIALS = 'Email or password is wrong.';
let dummyHash: Promise<string> | undefined;

/** Compares against a throw-away hash when the email is unknown, so timing does not reveal accounts. */
function dummyPasswordHash(passwords: PasswordHasher, rounds: number): Promise<string> {
  dummyHash ??= passwords.hash('not-a-real-password', rounds);
  return dummyHash;
}

export async function register(deps: AuthDeps, { email, password }: RegisterBody, meta: RequestMeta) {
  const passwordHash = await (deps.passwords ?? bcryptHasher).hash(password, deps.config.BCRYPT_ROUNDS);
  let user: User;
  try {
    user = await User.query(deps.db).insertAndFetch({ email, passwordHash, role: 'user', plan: SIGNUP_PLAN });
    await recordAudit(deps.db, {
      action: 'auth.register',
      actorId: user.id,
      actorEmail: email,
      targetType: 'user',
      targetId: user.id,
      ip: meta.ip,
      requestId: meta.requestId,
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new ConflictError('An account with this email already exists. Log in instead, or use another email.');
    }
    throw err;
  }
  // The account exists whatever becomes of the mail: a lost one is sent again on request.
  await sendVerificationMail(deps, user).catch((err: unknown) =>
    deps.logger.warn({ err, userId: user.id }, 'verification mail not prepared at registration; the user can ask again'),
  );
  return user;
}

async function issueTokens(
  deps: AuthDeps,
  trx: Knex,
  user: User,
  familyId: string,
  meta: RequestMeta,
  refreshToken = newRefreshToken(),
): Promise<{ pair: TokenPair; tokenId: number }> {
  const expiresAt = new Date(Date.now() + deps.config.REFRESH_TOKEN_TTL_DAYS * 86_400_000);
  const row = await RefreshToken.query(trx).insert({
    userId: user.id,
    familyId,
    tokenHash: hashRefreshToken(refreshToken),
    expiresAt,
    ip: meta.ip,
    userAgent: meta.userAgent ?? null,
  });
  return { tokenId: row.id, pair: pairOf(deps, user, familyId, refreshToken, expiresAt) };
}

/** A fresh access token with the given refresh token. */
function pairOf(deps: AuthDeps, user: User, familyId: string, refreshToken: string, refreshExpiresAt: Date): TokenPair {
  const access = signAccessToken(deps.signingKey, deps.config, user, familyId);
  return {
    tokenType: 'Bearer',
    accessToken: access.token,
    expiresIn: access.expiresIn,
    refreshToken,
    refreshExpiresAt: refreshExpiresAt.toISOString(),
  };
}

/**
 * Serialises every change to one refresh-token family (rotation, logout, reuse revocation) for
 * the rest of the transaction. A row lock on the presented token is not enough: a logout's
 * UPDATE cannot see a successor that a concurrent refresh inserts, and would leave it live.
 */
async function lockFamily(trx: Knex, familyId: string): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`refresh-family:${familyId}`]);
}

export async function login(deps: AuthDeps, { email, password }: LoginBody, meta: RequestMeta) {
  // Counted before bcrypt runs (see loginGuard.ts); refused attempts never hash anything.
  await deps.loginGuard.beforeAttempt(meta.ip, email);
  const passwords = deps.passwords ?? bcryptHasher;
  let user: User | undefined;
  let passwordOk: boolean;
  try {
    user = await User.query(deps.db).findOne({ email });
    passwordOk = user
      ? await passwords.compare(password, user.passwordHash)
      : (await passwords.compare(password, await dummyPasswordHash(passwords, deps.config.BCRYPT_ROUNDS)), false);
  } catch (err) {
    await deps.loginGuard.refund(email); // our failure, not a wrong guess
    throw err;
  }
  if (!user || !passwordOk || !user.isActive) {
    const reason = !user ? 'unknown_email' : !passwordOk ? 'wrong_password' : 'account_disabled';
    await recordAudit(deps.db, {
      action: 'auth.login_failed',
      actorId: user?.id ?? null,
      actorEmail: email,
      meta: { reason },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    if (user && passwordOk) throw new UnauthorizedError('This account is disabled. Contact an administrator.', 'account_disabled');
    throw new UnauthorizedError(INVALID_CREDENTIALS, 'invalid_credentials');
  }
  await deps.loginGuard.refund(email);
  const found = user;
  const issued = await deps.db.transaction(async (trx) => {
    // The hash we checked must still be the account's: a password reset (which signs out every
    // session) holds this row while it revokes, so a login cannot slip a session past it.
    const current = await User.query(trx).findById(found.id).forShare();
    if (!current || current.passwordHash !== found.passwordHash || !current.isActive) return undefined;
    await User.query(trx).patch({ lastLogin: new Date() }).where('id', found.id);
    return issueTokens(deps, trx, current, randomUUID(), meta);
  });
  if (!issued) throw new UnauthorizedError(INVALID_CREDENTIALS, 'invalid_credentials');
  const { pair } = issued;
  await accountChanged(deps, found.id); // its lastLogin moved: GET /me answers from the cached account
  await recordAudit(deps.db, { action: 'auth.login', actorId: found.id, actorEmail: found.email, ip: meta.ip, requestId: meta.requestId });
  return { ...pair, user: await me(deps, found.id) };
}

async function revokeFamily(trx: Knex, familyId: string, reason: string): Promise<void> {
  await RefreshToken.query(trx).patch({ revokedAt: new Date(), revokedReason: reason }).where({ familyId }).whereNull('revokedAt');
}

export async function refresh(deps: AuthDeps, { refreshToken }: RefreshBody, meta: RequestMeta): Promise<TokenPair> {
  const tokenHash = hashRefreshToken(refreshToken);
  const successor = successorRefreshToken(deps.signingKey, refreshToken);
  const outcome = await deps.db.transaction(async (trx) => {
    const invalid = { error: new UnauthorizedError('Refresh token is not valid. Log in again.', 'invalid_refresh_token') };
    const known = await RefreshToken.query(trx).select('familyId', 'userId').findOne({ tokenHash });
    if (!known) return invalid;
    await lockFamily(trx, known.familyId);
    // The account's row too (shared): a password reset that revokes every session waits for this
    // rotation to commit, and a rotation that starts after it sees the revocation.
    const user = await User.query(trx).findById(known.userId).forShare();
    // Read again under the locks: a refresh or logout that held them has committed by now.
    const row = await RefreshToken.query(trx).findOne({ tokenHash });
    if (!row) return invalid;
    if (row.revokedAt)
      return {
        error: new UnauthorizedError('Refresh token was revoked (logout or suspected reuse). Log in again.', 'refresh_token_revoked'),
      };
    if (row.expiresAt.getTime() <= Date.now())
      return { error: new UnauthorizedError('Refresh token expired. Log in again.', 'refresh_token_expired') };
    if (!user || !user.isActive) {
      await revokeFamily(trx, row.familyId, 'account_disabled');
      return { error: new UnauthorizedError('This account is disabled. Contact an administrator.', 'account_disabled') };
    }
    if (row.rotatedAt) {
      const sinceRotation = Date.now() - row.rotatedAt.getTime();
      if (sinceRotation > deps.config.REFRESH_REUSE_GRACE_SECONDS * 1000) {
        await revokeFamily(trx, row.familyId, 'reuse_detected');
        return { reuse: { user, familyId: row.familyId, tokenId: row.id } };
      }
      // Within the grace (parallel refreshes, a retried request): the same successor again, so
      // one rotated token can never fan out into several live tokens.
      const next = row.replacedById ? await RefreshToken.query(trx).findById(row.replacedById) : undefined;
      if (!next || next.tokenHash !== hashRefreshToken(successor) || next.revokedAt) {
        return { error: new UnauthorizedError('Refresh token was already used. Log in again.', 'refresh_token_reused') };
      }
      return { pair: pairOf(deps, user, row.familyId, successor, next.expiresAt) };
    }
    const next = await issueTokens(deps, trx, user, row.familyId, meta, successor);
    await RefreshToken.query(trx).patch({ rotatedAt: new Date(), replacedById: next.tokenId }).where('id', row.id);
    return { pair: next.pair };
  });

  if ('reuse' in outcome && outcome.reuse) {
    const { user, familyId, tokenId } = outcome.reuse;
    await revokeFamilyAccess(deps, familyId);
    await recordAudit(deps.db, {
      action: 'auth.refresh_reuse',
      actorId: user.id,
      actorEmail: user.email,
      targetType: 'refresh_token_family',
      targetId: familyId,
      meta: { tokenId, graceSeconds: deps.config.REFRESH_REUSE_GRACE_SECONDS },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    throw new UnauthorizedError(
      'This refresh token was already used, so every session of this login was revoked for safety. Log in again.',
      'refresh_token_reused',
    );
  }
  if ('error' in outcome && outcome.error) throw outcome.error;
  return (outcome as { pair: TokenPair }).pair;
}

/** Revokes the login's refresh-token family and the presented access token right away. */
export async function logout(deps: AuthDeps, user: { id: number; email: string }, token: AccessTokenRef, meta: RequestMeta): Promise<void> {
  await deps.db.transaction(async (trx) => {
    await lockFamily(trx, token.familyId); // waits for a refresh in flight, whose successor is then revoked too
    await revokeFamily(trx, token.familyId, 'logout');
  });
  await Promise.all([denyAccessToken(deps, token), revokeFamilyAccess(deps, token.familyId)]);
  await recordAudit(deps.db, { action: 'auth.logout', actorId: user.id, actorEmail: user.email, ip: meta.ip, requestId: meta.requestId });
}

/** The caller's account with its plan limits (never a hash). */
/** The caller's account as the API shows it (the same view the account cache keeps, userCache.ts). */
export async function me(deps: Pick<AuthDeps, 'db'>, userId: number) {
  const user = await User.query(deps.db).findById(userId).withGraphFetched('limits').throwIfNotFound();
  return accountProfile(user);
}

/** Changes the caller's own settings (the daily digest); audited; answers the account as `me` does. */
export async function updateMe(
  deps: Pick<AuthDeps, 'db' | 'accounts' | 'redis' | 'logger'>,
  user: { id: number; email: string },
  changes: UpdateMeBody,
  meta: RequestMeta,
) {
  if (Object.keys(changes).length) {
    const before = await User.query(deps.db).findById(user.id).throwIfNotFound();
    await User.query(deps.db).patch(changes).where('id', user.id);
    await recordAudit(deps.db, {
      action: 'auth.settings_update',
      actorId: user.id,
      actorEmail: user.email,
      targetType: 'user',
      targetId: user.id,
      before: { dailyDigest: Boolean(before.dailyDigest) },
      after: changes,
      ip: meta.ip,
      requestId: meta.requestId,
    });
    await accountChanged(deps, user.id); // GET /me answers from the cached account
  }
  return me(deps, user.id);
}

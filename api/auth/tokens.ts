/**
 * Access tokens (JWT, HS256 pinned) and refresh tokens (opaque, random, stored as SHA-256).
 *
 * The signing secret is a KeyObject, not a string: jsonwebtoken first tries to read a string
 * secret as a public key, which costs ~350 µs per verify here against ~7 µs for a KeyObject.
 */
import { createHash, createHmac, createSecretKey, hkdfSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import type { Config } from '../../lib/config';

const ACCESS_ALGORITHM = 'HS256' as const;

export interface AccessClaims {
  sub: string;
  /** Token kind: only 'access' tokens open the API (a refresh token is never a JWT here). */
  kind: 'access';
  role: 'user' | 'admin';
  /** Refresh-token family this access token was issued with (logout revokes it). */
  fid: string;
  jti: string;
  iat: number;
  /**
   * Issue time in milliseconds (iat has whole seconds): a session cut-off (users.sessions_revoked_at,
   * set by a password change or reset) refuses exactly the tokens issued before it, so a token issued
   * a moment later, in the same second, works. Tokens without it count from the start of their second.
   */
  iat_ms?: number;
  exp: number;
  iss: string;
  aud: string;
}

/**
 * JWT_SECRET in production; in development and tests a random secret generated once and kept in
 * DATA_DIR (git-ignored), so tokens survive restarts without a secret in the repo.
 */
export function loadSigningKey(config: Pick<Config, 'JWT_SECRET' | 'NODE_ENV' | 'DATA_DIR'>): KeyObject {
  if (config.JWT_SECRET) return createSecretKey(Buffer.from(config.JWT_SECRET, 'utf8'));
  if (config.NODE_ENV === 'production') throw new Error('JWT_SECRET is required in production');
  const file = path.join(config.DATA_DIR, 'dev-jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(config.DATA_DIR, { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return createSecretKey(Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8'));
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
}

export function signAccessToken(
  key: KeyObject,
  config: Pick<Config, 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'ACCESS_TOKEN_TTL_SECONDS'>,
  user: { id: number; role: 'user' | 'admin' },
  familyId: string,
  /** A session cut-off this token must come after (a password change keeps the caller's session with a new token). */
  after?: Date,
): IssuedAccessToken {
  const jti = randomUUID();
  const issuedAtMs = Math.max(Date.now(), after ? after.getTime() + 1 : 0);
  const token = jwt.sign({ kind: 'access', role: user.role, fid: familyId, iat_ms: issuedAtMs }, key, {
    algorithm: ACCESS_ALGORITHM,
    subject: String(user.id),
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
    jwtid: jti,
  });
  return { token, jti, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS };
}

/**
 * Whether a token was issued at or before the account's session cut-off (users.sessions_revoked_at:
 * a password change or reset, or `admin:create --promote`), so it no longer works. The auth
 * middleware asks on every request; long-lived connections (the event stream) ask again while open.
 */
export function issuedBeforeCutoff(claims: Pick<AccessClaims, 'iat' | 'iat_ms'>, sessionsRevokedAt: Date | null | undefined): boolean {
  if (!sessionsRevokedAt) return false;
  const issuedAtMs = typeof claims.iat_ms === 'number' ? claims.iat_ms : claims.iat * 1000;
  return issuedAtMs <= sessionsRevokedAt.getTime();
}

/** Options for koa-jwt / jsonwebtoken.verify: algorithm, issuer and audience pinned. */
export function accessVerifyOptions(config: Pick<Config, 'JWT_ISSUER' | 'JWT_AUDIENCE'>) {
  return { algorithms: [ACCESS_ALGORITHM], issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
}

/** An opaque refresh token: 256 random bits, prefixed so secret scanners recognise it. */
export function newRefreshToken(): string {
  return `bart_${randomBytes(32).toString('base64url')}`;
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const successorKeys = new WeakMap<KeyObject, Buffer>();

/**
 * The successor of a refresh token: HMAC(k, presented token), k derived from the signing secret
 * (HKDF, its own label). Deterministic on purpose: a refresh retried within the grace gets the
 * very same successor without the server keeping any token in a readable form (only hashes are
 * stored). Nobody can compute it without both the presented token and the server secret, and the
 * first token of a family (from login) is random.
 */
export function successorRefreshToken(key: KeyObject, presented: string): string {
  let k = successorKeys.get(key);
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', key.export(), Buffer.alloc(0), 'blogger-analytics refresh-token successor', 32));
    successorKeys.set(key, k);
  }
  return `bart_${createHmac('sha256', k).update(presented, 'utf8').digest('base64url')}`;
}

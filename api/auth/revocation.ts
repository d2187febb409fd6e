/**
 * Access tokens cannot be recalled, so revocation is a deny-list in Redis, kept only until the
 * token would expire anyway: one key per logged-out token (jti) and one per revoked login family
 * (logout, refresh-token reuse). If Redis cannot answer, the check falls back to PostgreSQL,
 * where the family's revocation is also recorded, so a revoked session never slips through.
 */
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { RefreshToken } from '../../db/models';
import type { Config } from '../../lib/config';

export interface AccessTokenRef {
  jti: string;
  familyId: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

const jtiKey = (jti: string) => `deny:jti:${jti}`;
const familyKey = (familyId: string) => `deny:family:${familyId}`;

export async function denyAccessToken({ redis }: { redis: Redis }, token: AccessTokenRef): Promise<void> {
  const ttl = Math.max(1, token.exp - Math.floor(Date.now() / 1000));
  await redis.set(jtiKey(token.jti), '1', 'EX', ttl).catch(() => undefined); // the DB family revocation still holds
}

export async function revokeFamilyAccess(
  { redis, config }: { redis: Redis; config: Pick<Config, 'ACCESS_TOKEN_TTL_SECONDS'> },
  familyId: string,
): Promise<void> {
  await redis.set(familyKey(familyId), '1', 'EX', config.ACCESS_TOKEN_TTL_SECONDS).catch(() => undefined);
}

export async function isAccessTokenRevoked({ redis, db }: { redis: Redis; db: Knex }, token: AccessTokenRef): Promise<boolean> {
  try {
    const hits = await redis.exists(jtiKey(token.jti), familyKey(token.familyId));
    return hits > 0;
  } catch {
    const revoked = await RefreshToken.query(db).select('id').where('familyId', token.familyId).whereNotNull('revokedAt').first();
    return Boolean(revoked);
  }
}

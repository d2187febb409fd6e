/**
 * Creates the first admin, or — only when asked — promotes an existing account.
 *
 *   npm run admin:create -- --email admin@example.com [--password '...']
 *   npm run admin:create -- --email someone@example.com --promote [--password '...']
 *
 * Without --password (or ADMIN_PASSWORD in the environment) a strong password is generated and
 * printed once. An email that already has an account is refused unless --promote is given: the
 * account may have been registered by someone else, so promoting it replaces its password and
 * signs out every session of it (refresh tokens revoked, earlier access tokens refused), and the
 * new admin logs in with the password set here. Runs as the schema owner (DATABASE_URL) and is
 * recorded in the audit log.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import bcrypt from 'bcrypt';
import Redis from 'ioredis';
import { emailSchema, passwordSchema } from '../api/auth/schema';
import { createDb } from '../db';
import { recordAudit } from '../db/queries/audit';
import { RefreshToken, User } from '../db/models';
import { getConfig } from '../lib/config';
import { LARGEST_PLAN } from '../lib/domain/plans';
import { USER_CHANGED_CHANNEL } from '../api/auth/userCache';

/** API processes keep an account a few seconds (api/auth/userCache.ts): tell them it changed. */
async function tellApiProcesses(redisUrl: string, userId: number): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000, enableOfflineQueue: true });
  try {
    await redis.publish(USER_CHANGED_CHANNEL, String(userId));
  } catch (err) {
    console.warn(
      `Redis did not take the news (${(err as Error).message}): running API processes see the change within AUTH_USER_CACHE_MS.`,
    );
  } finally {
    redis.disconnect();
  }
}

const USAGE = 'Usage: npm run admin:create -- --email you@example.com [--password ...] [--promote]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { email: { type: 'string' }, password: { type: 'string' }, promote: { type: 'boolean', default: false } },
  });
  const email = emailSchema.safeParse(values.email ?? '');
  if (!email.success) throw new Error(`${USAGE} (a valid email is required)`);
  const given = values.password ?? process.env.ADMIN_PASSWORD;
  const password = given ?? randomBytes(18).toString('base64url');
  const checked = passwordSchema.safeParse(password);
  if (!checked.success) throw new Error(`Password ${checked.error.issues[0]?.message}`);

  const config = getConfig();
  const db = createDb({ url: config.DATABASE_URL, poolMax: 1, applicationName: 'admin-create' });
  try {
    const existing = await User.query(db).findOne({ email: email.data });
    if (existing && !values.promote) {
      throw new Error(
        `An account with the email ${email.data} already exists (id ${existing.id}); it was left unchanged.\n` +
          'If you trust it, run again with --promote: it becomes an admin, gets a new password (--password, or a generated one)\n' +
          'and every session of it is signed out.',
      );
    }
    const passwordHash = await bcrypt.hash(password, config.BCRYPT_ROUNDS);
    if (existing) {
      const signedOut = await db.transaction(async (trx) => {
        // Locked first: a token refresh in flight commits before, one that starts after sees the revocation.
        await User.query(trx).findById(existing.id).forUpdate();
        const now = new Date();
        // The operator vouches for the address, as for a new admin.
        await User.query(trx)
          .patch({ role: 'admin', isActive: true, passwordHash, sessionsRevokedAt: now, emailVerifiedAt: existing.emailVerifiedAt ?? now })
          .where('id', existing.id);
        const revoked = await RefreshToken.query(trx)
          .patch({ revokedAt: now, revokedReason: 'promoted_by_cli' })
          .where('userId', existing.id)
          .whereNull('revokedAt');
        await recordAudit(trx, {
          action: 'admin.promote_cli',
          actorEmail: 'cli',
          targetType: 'user',
          targetId: existing.id,
          before: { role: existing.role },
          after: { email: existing.email, role: 'admin', passwordReset: true, refreshTokensRevoked: revoked },
        });
        // Access tokens carry their issue time in whole seconds: tokens of this second are refused
        // too, so hold the lock into the next second, before anyone can log in with the new password.
        await new Promise((resolve) => setTimeout(resolve, 1001 - (now.getTime() % 1000)));
        return revoked;
      });
      await tellApiProcesses(config.REDIS_URL, existing.id);
      console.log(
        `Promoted ${email.data} (id ${existing.id}) to admin: its password was replaced and its sessions signed out (${signedOut} refresh token(s) revoked).`,
      );
    } else {
      // Verified from the start: the operator who runs this vouches for the address.
      const user = await User.query(db).insertAndFetch({
        email: email.data,
        passwordHash,
        role: 'admin',
        plan: LARGEST_PLAN,
        emailVerifiedAt: new Date(),
      });
      await recordAudit(db, {
        action: 'admin.create_cli',
        actorEmail: 'cli',
        targetType: 'user',
        targetId: user.id,
        after: { email: user.email, role: user.role },
      });
      console.log(`Created admin ${user.email} (id ${user.id}).`);
    }
    if (!given) console.log(`Generated password (shown once): ${password}`);
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

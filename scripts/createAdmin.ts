/**
 * Creates the first admin, or promotes an existing user to admin.
 *
 *   npm run admin:create -- --email admin@example.com [--password '...']
 *
 * Without --password (or ADMIN_PASSWORD in the environment) a strong password is generated and
 * printed once. Runs as the schema owner (DATABASE_URL) and is recorded in the audit log.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import bcrypt from 'bcrypt';
import { emailSchema, passwordSchema } from '../api/auth/schema';
import { createDb } from '../db';
import { recordAudit } from '../db/queries/audit';
import { User } from '../db/models';
import { getConfig } from '../lib/config';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' } } });
  const email = emailSchema.safeParse(values.email ?? '');
  if (!email.success) throw new Error('Usage: npm run admin:create -- --email you@example.com [--password ...] (a valid email is required)');
  const given = values.password ?? process.env.ADMIN_PASSWORD;
  const password = given ?? randomBytes(18).toString('base64url');
  const checked = passwordSchema.safeParse(password);
  if (!checked.success) throw new Error(`Password ${checked.error.issues[0]?.message}`);

  const config = getConfig();
  const db = createDb({ url: config.DATABASE_URL, poolMax: 1, applicationName: 'admin-create' });
  try {
    const existing = await User.query(db).findOne({ email: email.data });
    const passwordHash = await bcrypt.hash(password, config.BCRYPT_ROUNDS);
    const user = existing
      ? await User.query(db).patchAndFetchById(existing.id, { role: 'admin', isActive: true, ...(given ? { passwordHash } : {}) })
      : await User.query(db).insertAndFetch({ email: email.data, passwordHash, role: 'admin', plan: 'enterprise' });
    await recordAudit(db, { action: existing ? 'admin.promote_cli' : 'admin.create_cli', actorEmail: 'cli', targetType: 'user', targetId: user.id, after: { email: user.email, role: user.role } });
    console.log(`${existing ? 'Promoted' : 'Created'} admin ${user.email} (id ${user.id}).`);
    if (!existing && !given) console.log(`Generated password (shown once): ${password}`);
    if (existing && !given) console.log('The existing password was kept.');
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

/**
 * Account self-service by email: password reset, password change, email verification, account
 * deletion. (The data export is in export.ts.)
 *
 * Sessions end through the existing revocation: users.sessions_revoked_at refuses every access
 * token issued before it (checked on each request against the account every API process keeps,
 * which is dropped everywhere when publishUserChanged() announces the change), refresh-token
 * families are revoked in PostgreSQL, and each revoked family goes on the Redis deny-list too.
 *
 * Mail is sent after the answer (api/background.ts): a password reset request answers the same
 * thing at the same speed whether or not the address has an account, since the lookup itself
 * happens after the answer.
 */
import type { Knex } from 'knex';
import { recordAudit, type RequestMeta } from '../../db/queries/audit';
import { RefreshToken, User } from '../../db/models';
import { withTenant } from '../../db/tenant';
import { AppError, ConflictError, ForbiddenError } from '../../lib/errors';
import { removeAccount } from './accountRemoval';
import { findAccountToken, issueAccountToken, tokenError, tokenProblem, useAccountToken } from './accountTokens';
import { accountDeletedMail, passwordChangedMail, passwordResetMail, verificationMail } from './emails';
import { bcryptHasher } from './passwords';
import { revokeFamilyAccess } from './revocation';
import type { AuthDeps } from './service';
import type { ChangePasswordBody, DeleteAccountBody, PasswordResetConfirmBody } from './schema';
import { signAccessToken, type AccessClaims } from './tokens';
import { accountChanged } from './userCache';

type Account = { id: number; email: string };

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export const PASSWORD_RESET_ANSWER = {
  message:
    'If an account has this email address, a mail with a link to choose a new password is on its way. The link works once, for a limited time.',
} as const;

// --- email verification --------------------------------------------------------------------

/** Issues a verification token (earlier ones stop working) and mails it after the answer. */
export async function sendVerificationMail(deps: AuthDeps, user: Account): Promise<{ expiresAt: Date }> {
  const ttlMs = deps.config.EMAIL_VERIFICATION_TTL_HOURS * HOUR_MS;
  const { token, expiresAt } = await withTenant(deps.db, { userId: user.id }, (trx) =>
    issueAccountToken(trx, user.id, 'email_verification', ttlMs),
  );
  deps.background.run('verification mail', () =>
    deps.mailer.send(verificationMail({ to: user.email, token, expiresAt, appPublicUrl: deps.config.APP_PUBLIC_URL })),
  );
  return { expiresAt };
}

export async function resendVerification(deps: AuthDeps, userId: number, meta: RequestMeta) {
  const user = await User.query(deps.db).findById(userId);
  if (!user) throw new AppError(401, 'account_disabled', 'This account is disabled or no longer exists.');
  if (user.emailVerifiedAt) {
    throw new AppError(409, 'email_already_verified', `${user.email} is already verified; there is nothing to confirm.`);
  }
  const { expiresAt } = await sendVerificationMail(deps, user);
  await recordAudit(deps.db, {
    action: 'auth.verification_resent',
    actorId: user.id,
    actorEmail: user.email,
    ip: meta.ip,
    requestId: meta.requestId,
  });
  return { message: `A new verification mail is on its way to ${user.email}; earlier links no longer work.`, expiresAt };
}

export async function verifyEmail(deps: AuthDeps, token: string, meta: RequestMeta) {
  const row = await findAccountToken(deps.db, token, 'email_verification');
  const problem = tokenProblem(row);
  if (problem || !row) throw tokenError('email_verification', problem ?? 'invalid');
  const outcome = await withTenant(deps.db, { userId: row.userId }, async (trx) => {
    if (!(await useAccountToken(trx, row))) return null;
    await User.query(trx).patch({ emailVerifiedAt: new Date() }).where('id', row.userId).whereNull('emailVerifiedAt');
    return User.query(trx).findById(row.userId);
  });
  if (!outcome)
    throw tokenError('email_verification', tokenProblem(await findAccountToken(deps.db, token, 'email_verification')) ?? 'used');
  await accountChanged(deps, outcome.id);
  await recordAudit(deps.db, {
    action: 'auth.email_verified',
    actorId: outcome.id,
    actorEmail: outcome.email,
    targetType: 'user',
    targetId: outcome.id,
    ip: meta.ip,
    requestId: meta.requestId,
  });
  return { emailVerified: true, email: outcome.email };
}

// --- password reset ------------------------------------------------------------------------

/**
 * Starts a reset after the answer: finds the account, issues a token (earlier ones stop working)
 * and mails it. An unknown or disabled address gets no mail; the caller cannot tell the difference.
 */
export function requestPasswordReset(deps: AuthDeps, email: string, meta: RequestMeta): typeof PASSWORD_RESET_ANSWER {
  deps.background.run('password reset', async () => {
    const user = await User.query(deps.db).findOne({ email });
    const sends = Boolean(user?.isActive);
    await recordAudit(deps.db, {
      action: 'auth.password_reset_requested',
      actorId: user?.id ?? null,
      actorEmail: email,
      meta: { accountFound: Boolean(user), mailed: sends },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    if (!user || !sends) return;
    const ttlMs = deps.config.PASSWORD_RESET_TTL_MINUTES * MINUTE_MS;
    const { token, expiresAt } = await withTenant(deps.db, { userId: user.id }, (trx) =>
      issueAccountToken(trx, user.id, 'password_reset', ttlMs),
    );
    await deps.mailer.send(passwordResetMail({ to: user.email, token, expiresAt, appPublicUrl: deps.config.APP_PUBLIC_URL, ip: meta.ip }));
  });
  return PASSWORD_RESET_ANSWER;
}

/**
 * Sets the new password with a reset token: the token is used up, every session of the account
 * signed out (refresh families revoked, earlier access tokens refused), the login lock-out of the
 * address lifted, and the address counts as verified (the mail reached its owner).
 */
export async function confirmPasswordReset(deps: AuthDeps, { token, password }: PasswordResetConfirmBody, meta: RequestMeta) {
  const row = await findAccountToken(deps.db, token, 'password_reset');
  const problem = tokenProblem(row);
  if (problem || !row) throw tokenError('password_reset', problem ?? 'invalid');
  // Hashed before the transaction: bcrypt is slow and must not run while rows are locked.
  const passwordHash = await (deps.passwords ?? bcryptHasher).hash(password, deps.config.BCRYPT_ROUNDS);
  const outcome = await withTenant(deps.db, { userId: row.userId }, async (trx) => {
    if (!(await useAccountToken(trx, row))) return null;
    // Locked first: a login or refresh in flight commits before, one that starts after sees the change.
    const user = await User.query(trx).findById(row.userId).forUpdate();
    if (!user) return null;
    // The address counts as verified too: the reset mail reached its owner.
    return { user, ...(await replacePassword(trx, user, { passwordHash, reason: 'password_reset', verifiesEmail: true }, meta)) };
  });
  if (!outcome) throw tokenError('password_reset', tokenProblem(await findAccountToken(deps.db, token, 'password_reset')) ?? 'used');
  const { user, at, families } = outcome;
  await afterSessionsRevoked(deps, user.id, families);
  await deps.loginGuard.clear(user.email);
  deps.background.run('password reset notice', () =>
    deps.mailer.send(passwordChangedMail({ to: user.email, how: 'reset', at, ip: meta.ip })),
  );
  return { message: 'Your password was changed and every session signed out. Log in with the new password.' };
}

// --- password change -----------------------------------------------------------------------

/**
 * Changes the password of a signed-in user who knows the current one. Every other session is
 * signed out; the caller's own login (its refresh token) stays, with a new access token in the
 * answer, since every access token issued before the change, the caller's too, stops working.
 */
export async function changePassword(
  deps: AuthDeps,
  caller: Account,
  claims: AccessClaims,
  { currentPassword, newPassword }: ChangePasswordBody,
  meta: RequestMeta,
) {
  const checked = await checkPassword(deps, caller, currentPassword, meta, 'auth.password_change_failed');
  const passwordHash = await (deps.passwords ?? bcryptHasher).hash(newPassword, deps.config.BCRYPT_ROUNDS);
  const outcome = await deps.db.transaction(async (trx) => {
    const user = await User.query(trx).findById(caller.id).forUpdate();
    if (!user || !user.isActive) return null;
    if (user.passwordHash !== checked.passwordHash) {
      throw new ConflictError('The password was changed meanwhile (another session or a reset). Log in again with the new one.');
    }
    return { user, ...(await replacePassword(trx, user, { passwordHash, reason: 'password_change', keepFamilyId: claims.fid }, meta)) };
  });
  if (!outcome) throw new AppError(401, 'account_disabled', 'This account is disabled or no longer exists.');
  const { user, at, families } = outcome;
  await afterSessionsRevoked(deps, user.id, families);
  deps.background.run('password change notice', () =>
    deps.mailer.send(passwordChangedMail({ to: user.email, how: 'changed', at, ip: meta.ip })),
  );
  // The caller's login goes on: a new access token of the same family, issued after the cut-off.
  const access = signAccessToken(deps.signingKey, deps.config, user, claims.fid, at);
  return {
    message: 'Your password was changed; every other session was signed out. Use the new access token from now on.',
    tokenType: 'Bearer' as const,
    accessToken: access.token,
    expiresIn: access.expiresIn,
    otherSessionsRevoked: families.length,
  };
}

// --- account deletion ----------------------------------------------------------------------

/**
 * Deletes the caller's account and everything it owns (accountRemoval.ts), after the password
 * confirms it. The last active admin cannot delete itself. Audit entries stay, stripped of the
 * account's email and addresses, and one entry without personal data records the deletion. A
 * notice goes to the address afterwards: had someone else deleted it with a stolen password, the
 * owner learns of it.
 */
export async function deleteAccount(deps: AuthDeps, caller: Account, { password }: DeleteAccountBody, meta: RequestMeta): Promise<void> {
  await checkPassword(deps, caller, password, meta, 'auth.account_delete_failed');
  const removed = await removeAccount(deps, caller.id, async (trx, user, bloggerIds) => {
    if (user.role === 'admin' && user.isActive) {
      const others = await User.query(trx).where({ role: 'admin', isActive: true }).whereNot('id', user.id).resultSize();
      if (others === 0) throw new ConflictError('You are the last active admin: promote another admin before deleting this account.');
    }
    return {
      action: 'auth.account_delete',
      meta: { role: user.role, plan: user.plan, bloggers: bloggerIds.length, createdAt: user.createdAt },
      requestId: meta.requestId,
    };
  });
  if (!removed) throw new AppError(401, 'account_disabled', 'This account is disabled or no longer exists.');
  const { email } = removed.user;
  deps.background.run('account deletion notice', () => deps.mailer.send(accountDeletedMail({ to: email, at: new Date() })));
}

// --- shared --------------------------------------------------------------------------------

/**
 * Checks the caller's password for a sensitive change. Guesses count against the address's login
 * limit (a stolen access token must not become a password oracle); a right one is refunded.
 */
async function checkPassword(deps: AuthDeps, caller: Account, password: string, meta: RequestMeta, failedAction: string): Promise<User> {
  await deps.loginGuard.beforeAttempt(meta.ip, caller.email);
  let user: User | undefined;
  let ok = false;
  try {
    user = await User.query(deps.db).findById(caller.id);
    ok = user ? await (deps.passwords ?? bcryptHasher).compare(password, user.passwordHash) : false;
  } catch (err) {
    await deps.loginGuard.refund(caller.email);
    throw err;
  }
  if (!user) throw new AppError(401, 'account_disabled', 'This account is disabled or no longer exists.');
  if (!ok) {
    await recordAudit(deps.db, {
      action: failedAction,
      actorId: user.id,
      actorEmail: user.email,
      meta: { reason: 'wrong_password' },
      ip: meta.ip,
      requestId: meta.requestId,
    });
    throw new ForbiddenError(
      'The password is wrong, so nothing was changed. (Forgot it? POST /api/auth/password-reset.)',
      'wrong_password',
    );
  }
  await deps.loginGuard.refund(caller.email);
  return user;
}

/**
 * Sets the new password of a locked account row and signs its sessions out (every one, or every
 * one but `keepFamilyId`): earlier access tokens are refused from `at` on, refresh families revoked.
 * Audited as `auth.<reason>`.
 */
async function replacePassword(
  trx: Knex,
  user: User,
  change: { passwordHash: string; reason: 'password_reset' | 'password_change'; keepFamilyId?: string; verifiesEmail?: boolean },
  meta: RequestMeta,
): Promise<{ at: Date; families: string[] }> {
  const at = new Date();
  await User.query(trx)
    .patch({
      passwordHash: change.passwordHash,
      sessionsRevokedAt: at,
      ...(change.verifiesEmail ? { emailVerifiedAt: user.emailVerifiedAt ?? at } : {}),
    })
    .where('id', user.id);
  const families = await revokeFamilies(trx, user.id, change.reason, change.keepFamilyId);
  await recordAudit(trx, {
    action: `auth.${change.reason}`,
    actorId: user.id,
    actorEmail: user.email,
    targetType: 'user',
    targetId: user.id,
    meta: change.keepFamilyId ? { otherSessionsRevoked: families.length } : { sessionsRevoked: families.length },
    ip: meta.ip,
    requestId: meta.requestId,
  });
  return { at, families };
}

/** Revokes the account's live refresh-token families (all, or all but one); returns their ids. */
async function revokeFamilies(trx: Knex, userId: number, reason: string, keepFamilyId?: string): Promise<string[]> {
  const query = RefreshToken.query(trx)
    .patch({ revokedAt: new Date(), revokedReason: reason })
    .where('userId', userId)
    .whereNull('revokedAt')
    .where('expiresAt', '>', new Date())
    .returning('familyId');
  if (keepFamilyId) query.whereNot('familyId', keepFamilyId);
  const rows = (await query) as unknown as { familyId: string }[];
  return [...new Set(rows.map((r) => r.familyId))];
}

/** After the commit: every API process drops the account it keeps, and the revoked families go on the deny-list. */
async function afterSessionsRevoked(deps: AuthDeps, userId: number, families: string[]): Promise<void> {
  await accountChanged(deps, userId);
  await Promise.all(families.map((familyId) => revokeFamilyAccess(deps, familyId)));
}

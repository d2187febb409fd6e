/**
 * Single-use tokens mailed to an account: password resets and email verifications.
 *
 * A token is 256 random bits (base64url) behind a prefix naming its purpose (`bapr_`, `baev_`, so
 * secret scanners and people can tell them apart); only its SHA-256 is stored. A new token of a
 * purpose replaces every earlier one of that account (the older mail stops working). Using a token
 * is one conditional UPDATE (not used yet, not expired) in the transaction of what it does: of two
 * concurrent uses exactly one wins, and a failed effect leaves the token unused.
 *
 * The lookup by hash runs in the admin scope of row-level security (the token is the credential;
 * nobody is known before it is found); issuing and using it run in its user's scope.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { AccountToken, type AccountTokenPurpose } from '../../db/models';
import { withTenant } from '../../db/tenant';
import { AppError } from '../../lib/errors';

const PREFIX: Record<AccountTokenPurpose, string> = { password_reset: 'bapr_', email_verification: 'baev_' };

export function hashAccountToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Issues a token for the user inside the caller's transaction (the user's scope); earlier tokens of the purpose stop working. */
export async function issueAccountToken(
  trx: Knex,
  userId: number,
  purpose: AccountTokenPurpose,
  ttlMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  const token = `${PREFIX[purpose]}${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(Date.now() + ttlMs);
  await AccountToken.query(trx).delete().where({ userId, purpose });
  await AccountToken.query(trx).insert({ userId, purpose, tokenHash: hashAccountToken(token), expiresAt });
  return { token, expiresAt };
}

export type TokenProblem = 'invalid' | 'used' | 'expired';

/** The row of a presented token (undefined: no such token of this purpose). */
export async function findAccountToken(db: Knex, token: string, purpose: AccountTokenPurpose): Promise<AccountToken | undefined> {
  if (!token.startsWith(PREFIX[purpose])) return undefined;
  return withTenant(db, { admin: true }, (trx) => AccountToken.query(trx).findOne({ tokenHash: hashAccountToken(token), purpose }));
}

/** What is wrong with a token's row, or null when it may be used. */
export function tokenProblem(row: AccountToken | undefined, now = Date.now()): TokenProblem | null {
  if (!row) return 'invalid';
  if (row.usedAt) return 'used';
  if (row.expiresAt.getTime() <= now) return 'expired';
  return null;
}

/** Marks the token used in the caller's transaction: true when this caller won it (unused and unexpired until now). */
export async function useAccountToken(trx: Knex, row: AccountToken): Promise<boolean> {
  const now = new Date();
  const updated = await AccountToken.query(trx).patch({ usedAt: now }).where('id', row.id).whereNull('usedAt').where('expiresAt', '>', now);
  return updated === 1;
}

const MESSAGES: Record<AccountTokenPurpose, { what: string; again: string }> = {
  password_reset: { what: 'password reset token', again: 'Ask for a new one with POST /api/auth/password-reset.' },
  email_verification: {
    what: 'email verification token',
    again: 'Log in and ask for a new one with POST /api/auth/verify-email/resend.',
  },
};

const CODE_PREFIX: Record<AccountTokenPurpose, string> = { password_reset: 'reset_token', email_verification: 'verification_token' };

/** 400 with a code per problem: reset_token_invalid / _used / _expired, verification_token_invalid / _used / _expired. */
export function tokenError(purpose: AccountTokenPurpose, problem: TokenProblem): AppError {
  const { what, again } = MESSAGES[purpose];
  const reason = {
    invalid: `This ${what} is not valid: mistyped, or replaced by a newer mail.`,
    used: `This ${what} was already used; it works once.`,
    expired: `This ${what} has expired.`,
  }[problem];
  return new AppError(400, `${CODE_PREFIX[purpose]}_${problem}`, `${reason} ${again}`);
}

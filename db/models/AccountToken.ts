import { BaseModel } from './BaseModel';

export const ACCOUNT_TOKEN_PURPOSES = ['password_reset', 'email_verification'] as const;
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

/** A single-use token mailed to an account (password reset, email verification), stored only as a hash. */
export class AccountToken extends BaseModel {
  static override tableName = 'account_tokens';
  static override readonly hasUpdatedAt = false;

  id!: number;
  userId!: number;
  purpose!: AccountTokenPurpose;
  tokenHash!: string;
  expiresAt!: Date;
  usedAt?: Date | null;

  override $formatJson(json: Record<string, unknown>): Record<string, unknown> {
    const { tokenHash: _omit, ...rest } = super.$formatJson(json);
    return rest;
  }
}

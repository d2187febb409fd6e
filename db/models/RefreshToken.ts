import { BaseModel } from './BaseModel';

/** A rotating refresh token, stored only as a hash, grouped in a family for reuse detection. */
export class RefreshToken extends BaseModel {
  static override tableName = 'refresh_tokens';
  static override readonly hasUpdatedAt = false;

  id!: number;
  userId!: number;
  familyId!: string;
  tokenHash!: string;
  expiresAt!: Date;
  rotatedAt?: Date | null;
  replacedById?: number | null;
  revokedAt?: Date | null;
  revokedReason?: string | null;
  ip?: string | null;
  userAgent?: string | null;

  override $formatJson(json: Record<string, unknown>): Record<string, unknown> {
    const { tokenHash: _omit, ...rest } = super.$formatJson(json);
    return rest;
  }
}

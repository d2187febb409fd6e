import type { RelationMappingsThunk } from 'objection';
import { BaseModel } from './BaseModel';
import { PLANS, type Plan } from '../../lib/domain/plans';
import { UserLimit } from './UserLimit';

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export class User extends BaseModel {
  static override tableName = 'users';

  id!: number;
  email!: string;
  passwordHash!: string;
  role!: Role;
  plan!: Plan;
  isActive!: boolean;
  lastLogin?: Date | null;
  /** Access tokens issued at or before this instant are refused (an account that changed hands). */
  sessionsRevokedAt?: Date | null;
  /** When the account proved it reads mail at its address (null: not yet verified). */
  emailVerifiedAt?: Date | null;
  /** The daily digest mail is on (workflows/dailyDigest.ts). */
  dailyDigest?: boolean;
  /** The last day (YYYY-MM-DD, UTC) a digest went out: at most one a day. */
  digestSentOn?: Date | string | null;
  limits?: UserLimit;

  static override jsonSchema = {
    type: 'object',
    required: ['email', 'passwordHash'],
    properties: {
      id: { type: 'integer' },
      email: { type: 'string', minLength: 3, maxLength: 254 },
      passwordHash: { type: 'string', minLength: 1 },
      role: { type: 'string', enum: [...ROLES] },
      plan: { type: 'string', enum: [...PLANS] },
      isActive: { type: 'boolean' },
    },
  };

  static override relationMappings: RelationMappingsThunk = () => ({
    limits: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: UserLimit,
      join: { from: 'users.plan', to: 'user_limits.plan' },
    },
  });

  /** Never serialise the password hash, whatever route renders a user. */
  override $formatJson(json: Record<string, unknown>): Record<string, unknown> {
    const { passwordHash: _omit, ...rest } = super.$formatJson(json);
    return rest;
  }
}

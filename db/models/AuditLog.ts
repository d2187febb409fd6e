import { BaseModel } from './BaseModel';

/** Who did what to whom: logins, registrations, token reuse, every admin action. Append-only. */
export class AuditLog extends BaseModel {
  static override tableName = 'audit_logs';
  static override readonly hasUpdatedAt = false;

  id!: number;
  actorId?: number | null;
  actorEmail?: string | null;
  action!: string;
  targetType?: string | null;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  meta?: unknown;
  ip?: string | null;
  requestId?: string | null;
}

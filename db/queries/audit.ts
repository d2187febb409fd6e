/** The audit log: who did what to whom (logins, registrations, token reuse, admin actions). */
import type { Knex } from 'knex';
import { AuditLog } from '../models';

export interface AuditEntry {
  action: string;
  actorId?: number | null;
  actorEmail?: string | null;
  targetType?: string;
  targetId?: string | number;
  before?: unknown;
  after?: unknown;
  meta?: Record<string, unknown>;
  ip?: string;
  requestId?: string;
}

/** Where a request came from, for audit entries. */
export interface RequestMeta {
  ip: string;
  requestId: string;
  userAgent?: string;
}

export async function recordAudit(db: Knex, entry: AuditEntry): Promise<void> {
  await AuditLog.query(db).insert({
    ...entry,
    targetId: entry.targetId === undefined ? undefined : String(entry.targetId),
  });
}

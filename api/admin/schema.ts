/** Request shapes of /api/admin. */
import { z } from 'zod';
import { patchBody } from '../patchBody';
import { ROLES } from '../../db/models';
import { PLANS } from '../../lib/domain/plans';
import { rowId } from '../ids';
import { pageQuery } from '../pagination';

const booleanParam = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listUsersQuery = z.object({
  ...pageQuery,
  plan: z.enum(PLANS).optional(),
  role: z.enum(ROLES).optional(),
  active: booleanParam.optional(),
  search: z.string().trim().min(1).max(254).optional(),
});
export type ListUsersQuery = z.infer<typeof listUsersQuery>;

/** Only these fields may change; anything else is refused (no mass assignment). */
export const updateUserBody = patchBody(z.object({ role: z.enum(ROLES), plan: z.enum(PLANS), isActive: z.boolean() }).partial());
export type UpdateUserBody = z.infer<typeof updateUserBody>;

export const userIdParam = z.object({ id: rowId });

export const listLogsQuery = z.object({
  ...pageQuery,
  action: z.string().trim().min(1).max(100).optional(),
  /** null: an id too large to exist, which no entry matches. */
  actorId: rowId.optional(),
  targetType: z.string().trim().min(1).max(50).optional(),
  targetId: z.string().trim().min(1).max(100).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});
export type ListLogsQuery = z.infer<typeof listLogsQuery>;

/** Page-based pagination shared by every list endpoint: ?page=1&limit=20 (limit at most 100). */
import { z } from 'zod';

const MAX_PAGE_SIZE = 100;
/** Far past any last page, and small enough that (page - 1) * limit stays an exact SQL offset. */
const MAX_PAGE = 2_147_483_647;

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(MAX_PAGE, `must be at most ${MAX_PAGE}`).default(1),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`).default(20),
};

export interface Page<T> {
  data: T[];
  pagination: { page: number; limit: number; total: number; pages: number };
}

export function toPage<T>(data: T[], total: number, page: number, limit: number): Page<T> {
  return { data, pagination: { page, limit, total, pages: Math.ceil(total / limit) } };
}

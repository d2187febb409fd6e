/**
 * Row ids (users, bloggers) are PostgreSQL `integer`s. A well-formed id beyond that range names no
 * row, so it is treated like any other unknown id: a 404 in a path, no match in a filter. Only a
 * malformed id (not digits, zero, negative) is a 400. Passed on as is, PostgreSQL refuses it
 * ("out of range for type integer") and the client got a 500.
 */
import { z } from 'zod';
import { NotFoundError } from '../lib/errors';

const MAX_ROW_ID = 2_147_483_647;

/** An id from a path, query string or JSON body: the number, or null when it is too large to exist. */
export const rowId = z
  .preprocess(
    // JSON numbers as digits (BigInt spells 1e20 out, String would not).
    (v) => (typeof v === 'number' && Number.isInteger(v) ? BigInt(v).toString() : v),
    z
      .string()
      .trim()
      .regex(/^0*[1-9]\d*$/, 'must be a positive integer'),
  )
  .transform((digits) => (BigInt(digits) <= BigInt(MAX_ROW_ID) ? Number(digits) : null));

/** The id a path names, or the 404 any unknown id gets when it is too large to exist. */
export function existingId(id: number | null, what: string): number {
  if (id === null) throw new NotFoundError(what);
  return id;
}

/**
 * PostgreSQL `bigint` (int8) arrives as a number, here and nowhere else: node-postgres hands it
 * over as a string by default, since an int8 may not fit a JavaScript number. Every bigint of
 * this schema does: ids come from sequences and counts are views, likes and the like (billions,
 * far below 2^53). A value beyond Number.MAX_SAFE_INTEGER fails its query rather than come back
 * rounded. Sums of bigints are numeric in PostgreSQL; queries cast them back to bigint.
 */
import { types } from 'pg';

export function parseBigint(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} is beyond the integers a number holds exactly`);
  return value;
}

/** The connection's type parsers: pg's own, with int8 as a number. */
export const pgTypes = {
  getTypeParser: (oid: number, format: string): unknown =>
    oid === (types.builtins.INT8 as number) && format !== 'binary'
      ? parseBigint
      : types.getTypeParser(oid, format === 'binary' ? 'binary' : 'text'),
};

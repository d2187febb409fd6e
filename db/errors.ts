/** Recognising database errors by meaning, in one place (objection wraps some, not all). */
import { UniqueViolationError } from 'objection';

const UNIQUE_VIOLATION = '23505';

/**
 * A unique violation, and the constraint (or index) it names. Objection recognises a violated
 * constraint, but an expression index (lower(...)) reaches it as a plain error with the
 * PostgreSQL code 23505, so both shapes are read.
 */
export function uniqueViolation(err: unknown): { constraint: string } | null {
  const native = (err as { nativeError?: { code?: string; constraint?: string } } | null)?.nativeError;
  if (!(err instanceof UniqueViolationError) && native?.code !== UNIQUE_VIOLATION) return null;
  return { constraint: native?.constraint ?? (err as { constraint?: string }).constraint ?? '' };
}

export function isUniqueViolation(err: unknown): boolean {
  return uniqueViolation(err) !== null;
}

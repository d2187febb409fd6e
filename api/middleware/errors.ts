/**
 * The one error middleware (mounted first): every failure leaves as
 * `{ error: { code, message, details } }` with the right status. Client errors say what to fix;
 * anything unexpected is a 500 with a generic message and the request id, logged with its stack.
 * No stack trace or database message ever reaches a client.
 */
import type { Middleware } from 'koa';
import { DBError, ForeignKeyViolationError, NotFoundError as ObjectionNotFound, ValidationError as ObjectionValidation } from 'objection';
import { ZodError } from 'zod';
import { uniqueViolation } from '../../db/errors';
import {
  AppError,
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
  TemporalUnavailableError,
  ValidationError,
} from '../../lib/errors';
import { isTemporalUnavailable } from '../../temporal/client';

/** How soon to try again after Temporal was unreachable (the API reconnects on the next call). */
const TEMPORAL_RETRY_AFTER_SECONDS = 10;
/** How soon to try again after PostgreSQL was unreachable (the pool opens new connections on demand). */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Socket errors, SQLSTATE classes 08 (connection) and 57P (shutting down / starting up). */
const DB_UNREACHABLE_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|08\w{3}|57P0[123])$/;

/**
 * True when PostgreSQL could not be reached or dropped the connection (as opposed to refusing a
 * statement): the pool timing out, the driver losing its socket, the server shutting down.
 */
function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { name, code, message } = e as { name?: unknown; code?: unknown; message?: unknown };
    if (name === 'KnexTimeoutError') return true;
    if (typeof code === 'string' && DB_UNREACHABLE_CODES.test(code)) return true;
    if (typeof message === 'string' && /^Connection terminated/.test(message)) return true;
    e = (e as { nativeError?: unknown; cause?: unknown }).nativeError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Codes for framework errors that carry only a status (body parser, router, koa-jwt). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'rate_limited',
  501: 'not_implemented',
};

export function zodToValidationError(err: ZodError, where = 'body'): ValidationError {
  const details = err.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  const first = details[0];
  return new ValidationError(first ? `Invalid request: ${first.path}: ${first.message}` : 'Invalid request.', details);
}

/** Turns any thrown value into an AppError, or undefined when it is an unexpected failure. */
export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) return zodToValidationError(err);
  if (err instanceof ObjectionValidation) return new ValidationError(err.message, err.data);
  if (err instanceof ObjectionNotFound) return new NotFoundError();
  const unique = uniqueViolation(err);
  if (unique) return new ConflictError('This already exists.', unique.constraint ? { constraint: unique.constraint } : undefined);
  if (err instanceof ForeignKeyViolationError) return new ConflictError('A referenced record does not exist or is still in use.');
  if (isDatabaseUnavailable(err)) {
    return new ServiceUnavailableError(
      'The database is unreachable just now; nothing was changed. Try again shortly.',
      { down: ['postgres'], retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
      'database_unavailable',
      { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
    );
  }
  if (err instanceof DBError) return undefined;
  if (isTemporalUnavailable(err)) {
    return new TemporalUnavailableError(
      'The workflow engine (Temporal) is unreachable just now. Try again shortly.',
      TEMPORAL_RETRY_AFTER_SECONDS,
    );
  }
  const status = (err as { status?: unknown })?.status;
  const expose = (err as { expose?: unknown })?.expose;
  if (typeof status === 'number' && status >= 400 && status < 500 && expose !== false) {
    const message = (err as Error).message || 'Bad request.';
    return new AppError(status, CODE_BY_STATUS[status] ?? 'client_error', message);
  }
  return undefined;
}

export function errorHandler(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new NotFoundError(`Route ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      const appError = toAppError(err);
      const requestId = ctx.state.requestId as string | undefined;
      if (appError) {
        ctx.status = appError.status;
        ctx.set(appError.headers);
        ctx.body = {
          error: {
            code: appError.code,
            message: appError.message,
            ...(appError.details !== undefined ? { details: appError.details } : {}),
          },
        };
        if (appError.status >= 500) ctx.log?.warn({ err }, appError.message);
      } else {
        ctx.log?.error({ err }, 'unhandled error');
        ctx.status = 500;
        ctx.body = {
          error: {
            code: 'internal_error',
            message: 'Something went wrong on our side. Quote the request id if you report it.',
            details: { requestId },
          },
        };
      }
    }
  };
}

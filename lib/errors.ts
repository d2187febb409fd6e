/**
 * Application errors. Every error a client may see is an AppError: status, a stable machine
 * code, a message that says what to fix, and optional details (e.g. field paths). The API's error
 * middleware renders them as `{ error: { code, message, details } }`, as the README says.
 */
export class AppError extends Error {
  override name = 'AppError';
  /** Whether the message may be shown to clients (never for 5xx). */
  readonly expose: boolean;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. Retry-After on 429/503. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.expose = status < 500;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: unknown) {
    super(400, 'validation_failed', message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required: send "Authorization: Bearer <access token>".', code = 'unauthorized') {
    super(401, code, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not allowed to do this.', code = 'forbidden') {
    super(403, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(what = 'Resource') {
    super(404, 'not_found', `${what} not found.`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: unknown) {
    super(409, 'conflict', message, details);
  }
}

export class TooManyRequestsError extends AppError {
  constructor(message: string, retryAfterSeconds: number, headers: Record<string, string> = {}) {
    super(
      429,
      'rate_limited',
      message,
      { retryAfterSeconds },
      {
        ...headers,
        'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
      },
    );
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string, details?: unknown, code = 'service_unavailable', headers: Record<string, string> = {}) {
    super(503, code, message, details, headers);
    // 503 is a server-side state, but its message (what is down) is meant for the caller.
    (this as { expose: boolean }).expose = true;
  }
}

/** Temporal (the workflow engine) cannot be reached: the request did nothing and may be retried. */
export class TemporalUnavailableError extends ServiceUnavailableError {
  constructor(message = 'The workflow engine is unreachable right now; nothing was changed. Retry shortly.', retryAfterSeconds = 30) {
    super(message, { retryAfterSeconds }, 'temporal_unavailable', { 'Retry-After': String(retryAfterSeconds) });
  }
}

/**
 * Validation at the edge: one zod schema per request shape. The parsed (trimmed, coerced,
 * whitelisted) value replaces the raw input, so handlers only ever see valid data; a failure is a
 * 400 listing every bad field by its path (e.g. "body.email").
 */
import type { Middleware } from 'koa';
import type { z } from 'zod';
import { zodToValidationError } from './errors';

declare module 'koa' {
  interface DefaultState {
    /** The validated query string, when a route declares a query schema. */
    query?: unknown;
  }
}

export function validateBody<S extends z.ZodType>(schema: S): Middleware {
  return async (ctx, next) => {
    const parsed = schema.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw zodToValidationError(parsed.error, 'body');
    ctx.request.body = parsed.data;
    await next();
  };
}

export function validateQuery<S extends z.ZodType>(schema: S): Middleware {
  return async (ctx, next) => {
    const parsed = schema.safeParse(ctx.query);
    if (!parsed.success) throw zodToValidationError(parsed.error, 'query');
    ctx.state.query = parsed.data;
    await next();
  };
}

/** Route parameters through a schema: a 400 naming the parameter (e.g. "params.id") when not allowed. */
export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.output<S> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw zodToValidationError(parsed.error, 'params');
  return parsed.data;
}

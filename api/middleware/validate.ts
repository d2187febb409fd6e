/**
 * Validation at the edge: one zod schema per request shape. The parsed (trimmed, coerced,
 * whitelisted) value replaces the raw input, so handlers only ever see valid data; a failure is a
 * 400 listing every bad field by its path (e.g. "body.email").
 */
import type { Middleware } from 'koa';
import type { z } from 'zod';
import { ValidationError } from '../../lib/errors';
import { zodToValidationError } from './errors';

type Parsed<S, Key extends string> = [S] extends [z.ZodType] ? { [K in Key]: z.output<S> } : unknown;

/** What validate() puts in ctx.state: the parsed value of each part it was given a schema for. */
export type ValidatedState<B, Q, P> = Parsed<B, 'body'> & Parsed<Q, 'query'> & Parsed<P, 'params'>;

/**
 * One middleware per route for all of its input: the body, the query string and the route
 * parameters, each through its schema, checked in that order. The parsed values land in
 * `ctx.state.body`, `ctx.state.query` and `ctx.state.params`, typed from the schemas (the parsed
 * body also replaces ctx.request.body). A route declares it once: `validate({ body, params })`.
 */
export function validate<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
>(schemas: { body?: B; query?: Q; params?: P }): Middleware<ValidatedState<B, Q, P>> {
  return async (ctx, next) => {
    const state = ctx.state as { body?: unknown; query?: unknown; params?: unknown };
    if (schemas.body) {
      state.body = parse(schemas.body, ctx.request.body ?? {}, 'body');
      ctx.request.body = state.body;
    }
    if (schemas.query) state.query = parse(schemas.query, ctx.query, 'query');
    // Router-level middleware sees the route's parameters too (koa-router sets ctx.params first).
    if (schemas.params) state.params = parse(schemas.params, (ctx as { params?: unknown }).params ?? {}, 'params');
    await next();
  };
}

/** A 400 listing every bad field by its path (e.g. "body.email", "params.id") when not allowed. */
function parse<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'params'): z.output<S> {
  rejectNulCharacters(input, where);
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw zodToValidationError(parsed.error, where);
  return parsed.data;
}

export const validateBody = <S extends z.ZodType>(body: S) => validate({ body });
export const validateQuery = <S extends z.ZodType>(query: S) => validate({ query });
export const validateParams = <S extends z.ZodType>(params: S) => validate({ params });

const NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';

/**
 * PostgreSQL cannot store U+0000 in text or jsonb, so a string (or key) carrying one would fail
 * in the database as a 500: it is a 400 naming the field, before any schema or handler runs.
 */
function rejectNulCharacters(input: unknown, where: string): void {
  const details: { path: string; message: string }[] = [];
  const walk = (value: unknown, path: string, depth: number): void => {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) details.push({ path, message: NUL_MESSAGE });
    } else if (value !== null && typeof value === 'object' && depth < 64) {
      for (const [key, item] of Object.entries(value)) {
        const itemPath = `${path}.${key.replaceAll('\u0000', '\\u0000')}`;
        if (key.includes('\u0000')) details.push({ path: itemPath, message: NUL_MESSAGE });
        walk(item, itemPath, depth + 1);
      }
    }
  };
  walk(input, where, 0);
  const first = details[0];
  if (first) throw new ValidationError(`Invalid request: ${first.path}: ${first.message}`, details);
}

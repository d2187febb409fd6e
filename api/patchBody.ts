/** The shape every partial update (PATCH, the admin's PUT) shares. */
import type { z } from 'zod';

/**
 * A partial update: nothing but the object's own fields, and at least one of them. An empty body
 * is a 400 that names what may change, never a 200 that changed nothing.
 */
export function patchBody<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>) {
  const fields = Object.keys(schema.shape);
  return schema.strict().refine((body) => Object.keys(body).length > 0, `give at least one of ${fields.join(', ')}`);
}

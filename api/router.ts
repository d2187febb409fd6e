/**
 * Every router of the API is made here, so that all of them match paths the same strict way:
 * case-sensitive ("/api/ADMIN/users" is not "/api/admin/users") and with trailing slashes
 * significant ("/api/bloggers/1/" is not "/api/bloggers/1"). A router's own middleware
 * (`router.use(protect)`) always matches case-sensitively, so a case-insensitive route could run
 * without its router's guard; api/routeAccess.test.ts checks that every mounted router is built here.
 *
 * Under strict routing `router.get('/')` means "<prefix>/", so a router that serves its collection
 * at the bare prefix (GET /api/bloggers) takes the parent prefix and spells its paths out.
 */
import Router from '@koa/router';

export const STRICT_ROUTING = { sensitive: true, strict: true } as const;

export function apiRouter(prefix: string): Router {
  return new Router({ prefix, ...STRICT_ROUTING });
}

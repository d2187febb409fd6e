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
import type { DefaultState, Middleware } from 'koa';
import type { AuthUser } from './middleware/auth';

const STRICT_ROUTING = { sensitive: true, strict: true } as const;

/** A request's state behind `protect`: the user is always there (no `ctx.state.user!`). */
export interface UserState extends DefaultState {
  user: AuthUser;
}

export function apiRouter<StateT = DefaultState>(prefix: string): Router<StateT> {
  return new Router<StateT>({ prefix, ...STRICT_ROUTING });
}

/**
 * A router whose every route needs a user: it mounts `protect` first (then any further guard,
 * e.g. requireAdmin()), so its handlers read a typed `ctx.state.user`. A public router with a
 * few protected routes uses apiRouter() and currentUser(ctx) instead.
 */
export function userRouter(prefix: string, protect: Middleware, ...guards: Middleware[]): Router<UserState> {
  const router = apiRouter<UserState>(prefix);
  router.use(protect, ...guards);
  return router;
}

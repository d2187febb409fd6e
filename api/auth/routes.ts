/** /api/auth: register, login, refresh (public); logout, me (access token required). */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { currentUser } from '../middleware/auth';
import { limitPerIp } from '../middleware/rateLimit';
import { validateBody } from '../middleware/validate';
import { requestMeta } from '../requestMeta';
import { apiRouter } from '../router';
import { loginBody, refreshBody, registerBody } from './schema';
import * as auth from './service';
import type { AccessClaims } from './tokens';

export function authRoutes(deps: auth.AuthDeps, protect: Middleware): Router {
  const router = apiRouter('/api/auth');
  // Counted before validation: a malformed request costs the caller an attempt too.
  const registerLimit = limitPerIp(deps.redis, {
    keyPrefix: 'rl:register:ip',
    points: deps.config.REGISTER_MAX_PER_IP,
    durationSeconds: 3600,
    what: 'registrations',
  });
  const refreshLimit = limitPerIp(deps.redis, {
    keyPrefix: 'rl:refresh:ip',
    points: deps.config.REFRESH_MAX_PER_IP,
    durationSeconds: 60,
    what: 'token refreshes',
  });

  router.post('/register', registerLimit, validateBody(registerBody), async (ctx) => {
    const user = await auth.register(deps, ctx.state.body, requestMeta(ctx));
    ctx.status = 201;
    ctx.body = { user: await auth.me(deps, user.id) };
  });

  router.post('/login', validateBody(loginBody), async (ctx) => {
    ctx.body = await auth.login(deps, ctx.state.body, requestMeta(ctx));
  });

  router.post('/refresh', refreshLimit, validateBody(refreshBody), async (ctx) => {
    ctx.body = await auth.refresh(deps, ctx.state.body, requestMeta(ctx));
  });

  router.post('/logout', protect, async (ctx) => {
    const token = ctx.state.token as AccessClaims;
    await auth.logout(deps, currentUser(ctx), { jti: token.jti, familyId: token.fid, exp: token.exp }, requestMeta(ctx));
    ctx.status = 204;
  });

  router.get('/me', protect, async (ctx) => {
    ctx.body = { user: await auth.me(deps, currentUser(ctx).id) };
  });

  return router;
}

/**
 * Builds the Koa app. Mount order matters: errors first (so they catch everything), then request
 * ids and logs, security headers and CORS, the body parser with its size limit, then routes and
 * allowedMethods (405/501 for known paths with the wrong method).
 */
import { bodyParser } from '@koa/bodyparser';
import cors from '@koa/cors';
import Koa from 'koa';
import compose from 'koa-compose';
import helmet from 'koa-helmet';
import { adminRoutes } from './admin/routes';
import { alertRoutes } from './alerts/routes';
import { trendControlRoutes } from './admin/trendControl/routes';
import { LoginGuard } from './auth/loginGuard';
import { authRoutes } from './auth/routes';
import { bloggerRoutes } from './bloggers/routes';
import { loadSigningKey } from './auth/tokens';
import type { ApiDeps } from './deps';
import { healthRoutes } from './health/routes';
import { authenticate } from './middleware/auth';
import { errorHandler } from './middleware/errors';
import { PlanRateLimiter, planRateLimit } from './middleware/rateLimit';
import { requestLogging } from './middleware/requestLogging';
import { statsRoutes } from './stats/routes';
import { streamRoutes } from './stream/routes';
import { trendRoutes } from './trends/routes';
import { webhookRoutes } from './webhooks/routes';

export function buildApp(deps: ApiDeps): Koa {
  // ctx.ip: the socket address, or behind TRUST_PROXY_HOPS proxies the address the outermost of
  // them saw (Koa keeps the last maxIpsCount X-Forwarded-For entries and takes the first of those),
  // so whatever a client writes into the header itself is never believed.
  const hops = deps.config.TRUST_PROXY_HOPS;
  const app = new Koa({ proxy: hops > 0, maxIpsCount: hops });
  // The error middleware answers every error; Koa's default handler would only log it again.
  app.silent = true;

  app.use(errorHandler());
  app.use(requestLogging(deps.logger));
  app.use(helmet());
  app.use(cors({ exposeHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'] }));
  // DELETE too: deleting one's own account confirms it with the password in the body (DELETE /api/auth/me).
  app.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: deps.config.BODY_LIMIT,
      encoding: 'utf-8',
      parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
    }),
  );

  const signingKey = loadSigningKey(deps.config);
  const rateLimiter = new PlanRateLimiter(deps.redis);
  /** Access token, then the plan's rate limit: what every tenant route is behind. */
  const protect = compose([authenticate(deps, signingKey), planRateLimit(rateLimiter)]);

  // Each router carries its own guard (`router.use(protect)`, plus requireAdmin on the admin
  // routers); nothing here tests ctx.path. api/routeAccess.test.ts walks every route to prove it.
  const routers = [
    healthRoutes(deps),
    authRoutes({ ...deps, signingKey, loginGuard: new LoginGuard(deps.redis, deps.config) }, protect),
    adminRoutes(deps, protect),
    trendControlRoutes(deps, protect),
    trendRoutes(deps, protect),
    bloggerRoutes(deps, protect),
    statsRoutes(deps, protect, rateLimiter),
    alertRoutes(deps, protect),
    webhookRoutes(deps, protect),
    streamRoutes(deps, protect, rateLimiter),
  ];
  for (const router of routers) {
    // A router's typed state (UserState behind protect) is its own: Koa mounts plain middleware.
    app.use(router.routes() as Koa.Middleware);
    app.use(router.allowedMethods({ throw: true }) as Koa.Middleware);
  }
  return app;
}

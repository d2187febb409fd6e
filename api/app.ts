/**
 * Builds the Koa app. Mount order matters: errors first (so they catch everything), then request
 * ids and logs, security headers and CORS, the body parser with its size limit, then routes and
 * allowedMethods (405/501 for known paths with the wrong method).
 */
import { bodyParser } from '@koa/bodyparser';
import cors from '@koa/cors';
import Koa from 'koa';
import helmet from 'koa-helmet';
import type { ApiDeps } from './deps';
import { healthRoutes } from './health/routes';
import { errorHandler } from './middleware/errors';
import { requestLogging } from './middleware/requestLogging';

export function buildApp(deps: ApiDeps): Koa {
  const app = new Koa({ proxy: deps.config.NODE_ENV === 'production' });
  // The error middleware answers every error; Koa's default handler would only log it again.
  app.silent = true;

  app.use(errorHandler());
  app.use(requestLogging(deps.logger));
  app.use(helmet());
  app.use(cors({ exposeHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'] }));
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: deps.config.BODY_LIMIT, encoding: 'utf-8' }));

  for (const router of [healthRoutes(deps)]) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
  }
  return app;
}

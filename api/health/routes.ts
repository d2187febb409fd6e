/** Liveness and readiness probes (for load balancers, nginx and the docker compose health checks). */
import type Router from '@koa/router';
import { ServiceUnavailableError } from '../../lib/errors';
import type { ApiDeps } from '../deps';
import { apiRouter } from '../router';
import { checkDependencies } from './service';

export function healthRoutes(deps: ApiDeps): Router {
  const router = apiRouter('/api');

  /** The process is alive and serving HTTP; says nothing about dependencies. */
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  });

  /** 200 when PostgreSQL, Redis and Temporal all answer; 503 naming what is down otherwise. */
  router.get('/ready', async (ctx) => {
    const checks = await checkDependencies(deps);
    const down = Object.entries(checks).filter(([, c]) => !c.ok).map(([name]) => name);
    if (down.length > 0) {
      throw new ServiceUnavailableError(`Not ready: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} unreachable.`, { down, checks });
    }
    ctx.body = { status: 'ready', checks };
  });

  return router;
}

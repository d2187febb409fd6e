/** Liveness and readiness probes (for load balancers, nginx and the docker compose health checks). */
import type Router from '@koa/router';
import type { ApiDeps } from '../deps';
import { apiRouter } from '../router';
import { checkDependencies } from './service';

/** How soon a caller may ask again after a 503 (the API reconnects on the next probe). */
const READY_RETRY_AFTER_SECONDS = 5;

export function healthRoutes(deps: ApiDeps): Router {
  const router = apiRouter('/api');

  /** The process is alive and serving HTTP; says nothing about dependencies. */
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  });

  /**
   * 200 when PostgreSQL, Redis and Temporal all answer; 503 naming what is down otherwise. The
   * probe is public, so it names the dependencies and nothing more: why one failed (addresses,
   * driver messages) goes to the log only. The 503 carries the usual error object and, for
   * probes that read only the top level, `status` and `down`.
   */
  router.get('/ready', async (ctx) => {
    const checks = await checkDependencies(deps);
    const down = Object.entries(checks)
      .filter(([, c]) => !c.ok)
      .map(([name]) => name);
    if (down.length > 0) {
      ctx.log?.warn({ down: Object.fromEntries(down.map((name) => [name, checks[name as keyof typeof checks].error])) }, 'not ready');
      const message = `Not ready: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} unreachable.`;
      ctx.status = 503;
      ctx.set('Retry-After', String(READY_RETRY_AFTER_SECONDS));
      ctx.body = { status: 'unavailable', down, error: { code: 'service_unavailable', message, details: { down } } };
      return;
    }
    ctx.body = {
      status: 'ready',
      checks: Object.fromEntries(Object.entries(checks).map(([name, c]) => [name, { ok: c.ok, latencyMs: c.latencyMs }])),
    };
  });

  return router;
}

/**
 * /api/stream: live events as Server-Sent Events (README "Live events"). Both routes need a user:
 * the ticket route a bearer token, the stream a bearer token or a ticket (EventSource cannot send
 * headers), each guarded on its own route; every refusal is a JSON error sent before any stream
 * header.
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import type { ApiDeps } from '../deps';
import { currentUser } from '../middleware/auth';
import { planRateLimit, type PlanRateLimiter } from '../middleware/rateLimit';
import { validateQuery } from '../middleware/validate';
import { apiRouter } from '../router';
import type { AccessClaims } from '../auth/tokens';
import { streamQuery } from './schema';
import * as stream from './service';
import type { StreamSession } from './tickets';

declare module 'koa' {
  interface DefaultState {
    /** The session a stream ticket was issued to (GET /api/stream?ticket=…). */
    streamSession?: StreamSession;
  }
}

export function streamRoutes(
  deps: Pick<ApiDeps, 'redis' | 'db' | 'config' | 'accounts' | 'streams'>,
  protect: Middleware,
  rateLimiter: PlanRateLimiter,
): Router {
  const router = apiRouter('/api');

  /** A ticket (single use) when one is given, else the bearer token; then the plan's rate limit, as for every route. */
  const redeemTicket: Middleware = async (ctx, next) => {
    const { user, session } = await stream.authenticateTicket(deps, String(ctx.query.ticket));
    ctx.state.user = user;
    ctx.state.streamSession = session;
    await next();
  };
  const byTicket = compose([redeemTicket, planRateLimit(rateLimiter)]);
  const ticketOrBearer: Middleware = (ctx, next) => (typeof ctx.query.ticket === 'string' ? byTicket(ctx, next) : protect(ctx, next));

  router.get('/stream', ticketOrBearer, validateQuery(streamQuery), async (ctx) => {
    const header = ctx.get('Last-Event-ID');
    await stream.openStream(deps.streams, {
      user: currentUser(ctx),
      session: ctx.state.streamSession ?? stream.sessionOf(ctx.state.token as AccessClaims),
      lastEventId: header !== '' ? header : ctx.state.query.lastEventId,
      req: ctx.req,
      res: ctx.res,
    });
    // The stream writes to the response itself from here on (the headers are out).
    ctx.respond = false;
  });

  router.post('/stream/ticket', protect, async (ctx) => {
    ctx.status = 201;
    ctx.body = await stream.createTicket(deps, ctx.state.token as AccessClaims);
  });

  return router;
}

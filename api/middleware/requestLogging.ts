/**
 * Request ids and structured access logs. A caller's X-Request-Id is kept when it is a sane
 * token (so traces join up across services), otherwise a UUID is minted; it is echoed back in the
 * response and bound to every log line of the request (`ctx.log`).
 */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../lib/logger';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

declare module 'koa' {
  interface BaseContext {
    log: Logger;
  }
}

export function requestLogging(logger: Logger): Middleware {
  const httpLogger = pinoHttp({
    logger,
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        // A stream ticket (GET /api/stream?ticket=…) is a credential until used: never in the logs.
        url: req.url.replace(/([?&]ticket=)[^&]*/g, '$1[redacted]'),
        ip: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    // Health probes every few seconds would drown the log.
    autoLogging: { ignore: (req) => req.url === '/api/health' },
  });
  return async (ctx, next) => {
    httpLogger(ctx.req, ctx.res);
    ctx.state.requestId = ctx.req.id;
    ctx.log = ctx.req.log;
    await next();
  };
}

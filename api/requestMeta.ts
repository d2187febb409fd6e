import type { Context } from 'koa';
import type { RequestMeta } from '../db/queries/audit';

/** Where a request came from (for audit entries and login limits). */
export function requestMeta(ctx: Context): RequestMeta {
  return { ip: ctx.ip, requestId: String(ctx.state.requestId ?? ''), userAgent: ctx.get('user-agent') || undefined };
}

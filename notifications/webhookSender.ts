/**
 * Sends one signed webhook request, safely:
 *  - the URL is checked again (notifications/webhookUrl.ts), and the connection resolves the host
 *    itself through a lookup that refuses any forbidden address, so the address checked is the
 *    address connected to (DNS rebinding cannot slip a private address in between);
 *  - redirects are never followed (a 3xx is a failed attempt, like any other non-2xx);
 *  - one deadline covers connecting, the headers and the body; at most 4 KiB of the response is
 *    read (kept for the delivery log), the rest is discarded;
 *  - every outcome is a result, never a throw: status code (or null), error, duration.
 */
import dns from 'node:dns';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { Agent, request } from 'undici';
import { checkWebhookUrl, forbiddenAddressReason, WebhookTargetError, type TargetPolicy } from './webhookUrl';

/** How much of a receiver's answer is read and kept. */
export const MAX_RESPONSE_BYTES = 4096;
const USER_AGENT = 'BloggerAnalytics-Webhooks/1.0';

/** dns.lookup with `all: true` (tests hand in a resolver that answers what they need). */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;
const systemResolve: ResolveAll = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export interface WebhookRequest {
  url: string;
  /** The exact bytes that were signed. */
  body: string;
  /** webhook-id, webhook-timestamp, webhook-signature. */
  headers: Record<string, string>;
}

export interface WebhookResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The start of the receiver's answer (at most MAX_RESPONSE_BYTES). */
  responseBody: string | null;
  /** The target itself is refused (forbidden address, bad URL): retrying cannot help. */
  refused: boolean;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export class WebhookSender {
  private readonly agent: Agent;

  constructor(private readonly options: { policy: TargetPolicy; timeoutMs: number; resolve?: ResolveAll }) {
    const resolve = options.resolve ?? systemResolve;
    const policy = options.policy;
    const lookup = (hostname: string, opts: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => {
      resolve(hostname).then(
        (addresses) => {
          const family = typeof opts === 'object' && opts.family ? Number(opts.family) : 0;
          const usable = addresses.filter((a) => !family || a.family === family);
          if (!usable.length) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
          // One forbidden answer refuses the name: a name that mixes public and private addresses is not a receiver.
          for (const a of usable) {
            const reason = forbiddenAddressReason(a.address, policy);
            if (reason)
              return callback(Object.assign(new WebhookTargetError(`${hostname} resolves to ${reason}`), { code: 'EFORBIDDEN' }), []);
          }
          if (typeof opts === 'object' && opts.all) return callback(null, usable);
          return callback(null, usable[0]!.address, usable[0]!.family);
        },
        (err: NodeJS.ErrnoException) => callback(err, []),
      );
    };
    this.agent = new Agent({
      connect: { lookup: lookup as never, timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
      connections: 16,
    });
  }

  async send(req: WebhookRequest): Promise<WebhookResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = checkWebhookUrl(req.url, this.options.policy);
    } catch (err) {
      return {
        ok: false,
        statusCode: null,
        error: `refused: ${(err as Error).message}`,
        durationMs: elapsed(),
        responseBody: null,
        refused: true,
      };
    }
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...req.headers },
        body: req.body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const responseBody = await readBounded(res.body);
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return {
        ok,
        statusCode: res.statusCode,
        error: ok
          ? null
          : `receiver answered ${res.statusCode}${res.statusCode >= 300 && res.statusCode < 400 ? ' (redirects are not followed)' : ''}`,
        durationMs: elapsed(),
        responseBody,
        refused: false,
      };
    } catch (err) {
      const refused = err instanceof WebhookTargetError || (err as { cause?: unknown }).cause instanceof WebhookTargetError;
      return { ok: false, statusCode: null, error: describeError(err), durationMs: elapsed(), responseBody: null, refused };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Reads at most MAX_RESPONSE_BYTES of a body and drops the rest (the connection is not kept for a huge answer). */
async function readBounded(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_RESPONSE_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
}

function describeError(err: unknown): string {
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT')
    return 'timed out';
  if (e instanceof WebhookTargetError || e.cause instanceof WebhookTargetError) return `refused: ${(e.cause ?? e).message}`;
  const code = e.code ?? e.cause?.code;
  const message = e.cause?.message ?? e.message;
  return code ? `${code}: ${message}` : message;
}

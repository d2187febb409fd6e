/**
 * Plain HTTP to the platforms (Node's fetch), with the guards every adapter needs: a deadline,
 * a response size cap, lossless JSON (64-bit ids survive), and transport failures turned into
 * classified PlatformErrors instead of crashes. Status codes are left to each adapter, which
 * knows its platform's error bodies.
 *
 * A 2xx answer we could not read whole (cut off, empty, over the size cap, HTML from a gateway,
 * any unparseable text) is a transient failure: 'retryable'. Only a well-formed JSON body that
 * fails the adapter's schema is 'bad_input' (validate.ts). An unparseable error answer (4xx/5xx)
 * comes back with `json: undefined`, so the adapter classifies it by its status.
 */
import { isSafeNumber, parse } from 'lossless-json';
import { PlatformError } from './errors';
import type { PlatformName } from './types';

export interface HttpOptions {
  platform: PlatformName;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A string is sent as is (set its content-type); anything else as JSON. */
  body?: unknown;
  timeoutMs: number;
  maxBytes: number;
  /** The adapter's clock: `receivedAt` is read from it when the whole answer has arrived. */
  clock?: () => Date;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON; numbers that would lose precision as a JS number arrive as strings. */
  json: unknown;
  /** When the whole answer had arrived (the adapter's clock): the time of every metric in it. */
  receivedAt: Date;
}

/** Lossless parse: safe numbers become numbers, anything larger (64-bit ids) stays a string. */
function parseJsonLossless(text: string): unknown {
  return parse(text, null, (value: string) => (isSafeNumber(value) ? Number(value) : value));
}

async function readCapped(res: Response, maxBytes: number, platform: PlatformName): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    // Retryable: a gateway's junk or a one-off; a body that stays too large fails after the retries.
    throw new PlatformError(platform, 'retryable', `response of ${declared} bytes exceeds the ${maxBytes}-byte limit`, {
      status: res.status,
      code: 'too_large',
    });
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new PlatformError(platform, 'retryable', `response exceeds the ${maxBytes}-byte limit`, {
        status: res.status,
        code: 'too_large',
      });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function requestJson({
  platform,
  url,
  method = 'GET',
  headers = {},
  body,
  timeoutMs,
  maxBytes,
  clock = () => new Date(),
}: HttpOptions): Promise<HttpResponse> {
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal,
      redirect: 'error',
    });
    text = await readCapped(res, maxBytes, platform);
  } catch (err) {
    if (err instanceof PlatformError) throw err;
    if (signal.aborted) throw new PlatformError(platform, 'retryable', `no complete answer within ${timeoutMs} ms`);
    // Includes a body cut off before its content-length (undici: "terminated").
    throw new PlatformError(platform, 'retryable', `network error: ${describe(err)}`, { code: 'network' });
  }
  const receivedAt = clock();
  const ok = res.status >= 200 && res.status < 300;
  if (text.trim() === '') {
    if (ok)
      throw new PlatformError(platform, 'retryable', `empty body in a ${res.status} response`, { status: res.status, code: 'empty_body' });
    return { status: res.status, headers: res.headers, json: undefined, receivedAt };
  }
  try {
    return { status: res.status, headers: res.headers, json: parseJsonLossless(text), receivedAt };
  } catch {
    // A 2xx that is not JSON was cut off (close-delimited) or replaced by a gateway's HTML page:
    // transient. An error status without JSON is classified by its status by the adapter.
    if (ok)
      throw new PlatformError(platform, 'retryable', `invalid or cut-off JSON in a ${res.status} response`, {
        status: res.status,
        code: 'invalid_json',
      });
    return { status: res.status, headers: res.headers, json: undefined, receivedAt };
  }
}

/** A transport error's message with its cause ("terminated: other side closed"). */
function describe(err: unknown): string {
  const { message, cause } = err as Error & { cause?: unknown };
  return cause instanceof Error ? `${message}: ${cause.message}` : message;
}

/** Retry-After (seconds or HTTP date) in milliseconds, when present. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

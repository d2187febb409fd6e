/**
 * Plain HTTP to the platforms (Node's fetch), with the guards every adapter needs: a deadline,
 * a response size cap, lossless JSON (64-bit ids survive), and transport failures turned into
 * classified PlatformErrors instead of crashes. Status codes are left to each adapter, which
 * knows its platform's error bodies.
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
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON; numbers that would lose precision as a JS number arrive as strings. */
  json: unknown;
}

/** Lossless parse: safe numbers become numbers, anything larger (64-bit ids) stays a string. */
export function parseJsonLossless(text: string): unknown {
  return parse(text, null, (value: string) => (isSafeNumber(value) ? Number(value) : value));
}

async function readCapped(res: Response, maxBytes: number, platform: PlatformName): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new PlatformError(platform, 'bad_input', `response of ${declared} bytes exceeds the ${maxBytes}-byte limit`, { status: res.status });
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
      throw new PlatformError(platform, 'bad_input', `response exceeds the ${maxBytes}-byte limit`, { status: res.status });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function requestJson({ platform, url, method = 'GET', headers = {}, body, timeoutMs, maxBytes }: HttpOptions): Promise<HttpResponse> {
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
    throw new PlatformError(platform, 'retryable', `network error: ${(err as Error).message}`);
  }
  if (text.trim() === '') return { status: res.status, headers: res.headers, json: undefined };
  try {
    return { status: res.status, headers: res.headers, json: parseJsonLossless(text) };
  } catch {
    // Gateways answer HTML on outages; a 2xx with garbage is a broken contract.
    const kind = res.status >= 500 || res.status === 429 ? 'retryable' : 'bad_input';
    throw new PlatformError(platform, kind, `invalid JSON in a ${res.status} response`, { status: res.status });
  }
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

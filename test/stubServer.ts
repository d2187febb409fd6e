/**
 * A local HTTP server on 127.0.0.1 (port 0) that answers platform adapter requests from a handler
 * and logs every request, so adapter tests talk real HTTP without the internet.
 *
 *   const stub = await startStubServer((req) => ({ body: { items: [] } }));
 *   ... point the adapter at stub.url ...
 *   assert.equal(stub.requests.length, 1);
 *   await stub.close();
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  method: string;
  /** Path without the query string, e.g. '/youtube/v3/channels'. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface StubReply {
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as is (content-type text/plain unless given). */
  body?: string | object;
  /** Wait this long before answering (to exercise client timeouts). */
  delayMs?: number;
  /** Send the body without content-length, chunked (to exercise streamed size caps). */
  chunked?: boolean;
  /**
   * Send only the first `bytes` of the body, then close the connection: a cut-off answer.
   * 'content-length' announces the whole body's length (the client sees the socket end early);
   * 'close' sends no length, so the short body looks complete (HTTP/1.0-style close-delimited).
   */
  cutOff?: { bytes: number; framing: 'content-length' | 'close' };
}

export type StubHandler = (req: StubRequest) => StubReply | Promise<StubReply>;

export interface StubServer {
  /** Base URL without a trailing slash, e.g. 'http://127.0.0.1:41234'. */
  url: string;
  /** Every request received, in arrival order. */
  requests: StubRequest[];
  /** Replaces the handler for later requests. */
  setHandler(handler: StubHandler): void;
  close(): Promise<void>;
}

export async function startStubServer(handler: StubHandler): Promise<StubServer> {
  let current = handler;
  const requests: StubRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const request: StubRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      Promise.resolve()
        .then(() => current(request))
        .catch((err: unknown): StubReply => ({ status: 500, body: `stub handler failed: ${(err as Error).message}` }))
        .then((reply) => {
          const send = (): void => {
            timers.delete(timer);
            if (res.destroyed) return;
            const isJson = typeof reply.body === 'object';
            const text = reply.body === undefined ? '' : isJson ? JSON.stringify(reply.body) : (reply.body as string);
            if (reply.cutOff) {
              // Written on the socket by hand: Node's response would complete or re-frame the body.
              const { bytes, framing } = reply.cutOff;
              const head = [
                `HTTP/1.1 ${reply.status ?? 200} Stub`,
                `content-type: ${isJson ? 'application/json' : 'text/plain'}`,
                'connection: close',
                ...(framing === 'content-length' ? [`content-length: ${Buffer.byteLength(text)}`] : []),
                ...Object.entries(reply.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
              ];
              res.socket?.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), Buffer.from(text).subarray(0, bytes)]));
              return;
            }
            const length = reply.chunked ? {} : { 'content-length': String(Buffer.byteLength(text)) };
            res.writeHead(reply.status ?? 200, { 'content-type': isJson ? 'application/json' : 'text/plain', ...length, ...reply.headers });
            res.end(text);
          };
          const timer = setTimeout(send, reply.delayMs ?? 0);
          timers.add(timer);
        });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler(next) {
      current = next;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

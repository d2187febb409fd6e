/**
 * Server-Sent Events framing on a raw Node response. Written here rather than with better-sse:
 * the framing is these few lines, and what the stream needs beyond it (an id that is a cursor over
 * several Redis streams, replay merged with live events, a byte bound per connection, ends decided
 * by session checks) is ours either way; writing to the response ourselves keeps the bound exact
 * (`res.writableLength`: every byte not yet taken by the socket).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseOptions {
  /** Bytes waiting for the client past which the connection is dropped (SSE_MAX_BUFFER_BYTES). */
  maxBufferBytes: number;
  /** The client's reconnection delay (the `retry:` field). */
  retryMs: number;
  /** How long a replay waits for a slow client to take what was sent before it is dropped. */
  drainTimeoutMs: number;
}

/** How long an ended stream's last bytes may take to reach the client before its connection is cut (shutdown waits for it). */
const END_GRACE_MS = 2000;
/** Bytes waiting past which a replay waits for the client before sending more. */
const REPLAY_HIGH_WATER = 64 * 1024;

export class SseConnection {
  private closedFlag = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly options: SseOptions,
    private readonly onDropped: (why: string) => void,
  ) {
    res.once('close', () => {
      this.closedFlag = true;
    });
  }

  get closed(): boolean {
    return this.closedFlag || this.res.destroyed || this.res.writableEnded;
  }

  /** Status line and headers (no buffering or transformation by proxies), the retry hint, and a first line so clients see the stream open. */
  open(): void {
    const socket = this.req.socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    socket.setTimeout(0);
    // The connection closes with the stream (a reconnect opens a new one), so shutdown is not held up by it.
    this.res.shouldKeepAlive = false;
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // nginx: pass each event on at once (deploy/nginx/nginx.conf also turns buffering off for /api/stream).
      'X-Accel-Buffering': 'no',
    });
    this.write(`retry: ${this.options.retryMs}\n: connected\n\n`);
  }

  /** One event; false when the connection is gone (or was just dropped as too slow). */
  event(type: string, data: string, id?: string): boolean {
    const lines = data.split('\n').map((line) => `data: ${line}\n`);
    return this.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${type}\n${lines.join('')}\n`);
  }

  comment(text: string): boolean {
    return this.write(`: ${text}\n\n`);
  }

  /**
   * Resolves when the client has taken enough of what was sent to send more (a replay waits on
   * it); a client that takes nothing for `drainTimeoutMs` is dropped.
   */
  async drained(): Promise<void> {
    if (this.closed || this.res.writableLength <= REPLAY_HIGH_WATER) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        this.drop('the client took nothing for too long');
      }, this.options.drainTimeoutMs);
      this.res.once('drain', done);
      this.res.once('close', done);
    });
  }

  /** Ends the response cleanly (the client sees the stream close); a client that does not take the end within a grace is cut off. */
  end(): void {
    if (!this.closed) {
      this.res.end();
      setTimeout(() => this.res.destroy(), END_GRACE_MS).unref();
    }
    this.closedFlag = true;
  }

  /** Drops the connection at once: what is still waiting for the client is thrown away. */
  drop(why: string): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.res.destroy();
    this.onDropped(why);
  }

  private write(frame: string): boolean {
    if (this.closed) return false;
    this.res.write(frame);
    // Whatever the socket has not taken yet counts: a client that does not read cannot make it grow past the bound.
    if (this.res.writableLength > this.options.maxBufferBytes) {
      this.drop(`more than ${this.options.maxBufferBytes} bytes waiting for the client`);
      return false;
    }
    return true;
  }
}

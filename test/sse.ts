/**
 * A small Server-Sent Events client for tests: fetch plus a parser of the event-stream format
 * (WHATWG HTML, "Server-sent events"), which also keeps comment lines (heartbeats), invisible to
 * EventSource. A refusal (a JSON error instead of a stream) is read as such.
 */

export interface SseEvent {
  /** The event's `id` field (undefined when it had none). */
  id?: string;
  event: string;
  data: string;
  /** The data as JSON. */
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
}

export interface SseClient {
  status: number;
  headers: Headers;
  /** A refusal's JSON body (undefined for a stream). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  events: SseEvent[];
  comments: string[];
  /** The last id seen, as EventSource would send it back in Last-Event-ID. */
  lastEventId: string | undefined;
  /** The reconnection delay the server asked for (`retry:`). */
  retryMs: number | undefined;
  /** Resolves when the server ends the stream (or the client closes it). */
  ended: Promise<void>;
  isEnded(): boolean;
  /** The first event (seen already or to come) that matches; fails after `timeoutMs` naming what was seen. */
  waitFor(predicate: (e: SseEvent) => boolean, timeoutMs?: number, what?: string): Promise<SseEvent>;
  /** Waits until a comment line matching `pattern` arrives. */
  waitForComment(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

export async function openSse(
  url: string,
  { token, headers = {} }: { token?: string; headers?: Record<string, string> } = {},
): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  let ended = false;
  let lastEventId: string | undefined;
  let retryMs: number | undefined;

  const isStream = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
  let body: unknown;
  let done: Promise<void>;
  if (!isStream) {
    const text = await res.text();
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    ended = true;
    done = Promise.resolve();
  } else {
    done = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      let current: { id?: string; event?: string; data: string[] } = { data: [] };
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          const lines = buffer.split(/\r\n|\r|\n/);
          buffer = lines.pop()!;
          for (const line of lines) {
            if (line === '') {
              if (current.data.length > 0 || current.event !== undefined) {
                if (current.id !== undefined) lastEventId = current.id;
                const data = current.data.join('\n');
                events.push({ id: current.id, event: current.event ?? 'message', data, json: () => JSON.parse(data) });
                notify();
              }
              current = { data: [] };
            } else if (line.startsWith(':')) {
              comments.push(line.slice(1).trim());
              notify();
            } else {
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'data') current.data.push(value);
              else if (field === 'event') current.event = value;
              else if (field === 'id') current.id = value;
              else if (field === 'retry' && /^\d+$/.test(value)) retryMs = Number(value);
            }
          }
        }
      } catch {
        // aborted by close(), or the connection was cut: the stream has ended either way
      } finally {
        ended = true;
        notify();
      }
    })();
  }

  function wait<T>(probe: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = probe();
        if (found !== undefined) {
          cleanup();
          resolve(found);
        } else if (ended) {
          cleanup();
          reject(new Error(`the stream ended before ${what()}; events: ${describe(events)}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}; events: ${describe(events)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  }

  return {
    status: res.status,
    headers: res.headers,
    body,
    events,
    comments,
    get lastEventId() {
      return lastEventId;
    },
    get retryMs() {
      return retryMs;
    },
    ended: done,
    isEnded: () => ended,
    waitFor: (predicate, timeoutMs = 10_000, what = 'a matching event') =>
      wait(
        () => events.find(predicate),
        timeoutMs,
        () => what,
      ),
    waitForComment: (pattern, timeoutMs = 10_000) =>
      wait(
        () => comments.find((c) => pattern.test(c)),
        timeoutMs,
        () => `a comment ${pattern}`,
      ),
    close: () => abort.abort(),
  };
}

function describe(events: SseEvent[]): string {
  return JSON.stringify(events.map((e) => `${e.event}${e.id ? `#${e.id}` : ''}`)).slice(0, 2000);
}

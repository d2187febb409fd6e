/**
 * A TCP proxy in front of the test Redis that can stall: after `stall()` it keeps accepting
 * connections and reading what clients send, but never answers (a paused Redis, a swapping
 * host, a half-open connection). `blackHole: true` stalls from the start.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface StallingRedis {
  /** Redis URL through the proxy (same db index as the target). */
  url: string;
  stall(): void;
  close(): Promise<void>;
}

export async function startStallingRedis(targetUrl: string, { blackHole = false } = {}): Promise<StallingRedis> {
  const target = new URL(targetUrl);
  let stalled = blackHole;
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    track(client);
    if (stalled) {
      client.resume(); // read and drop: the connection stays open, nothing ever comes back
      return;
    }
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    track(upstream);
    client.on('data', (chunk) => {
      if (!stalled) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!stalled) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (!stalled) client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    stall: () => {
      stalled = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

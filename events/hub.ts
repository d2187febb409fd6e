/**
 * The live half of the event bus in one API process: a single Redis subscriber connection that
 * joins a channel while some local listener wants it (an audience's stream: one per connected
 * tenant, Trend Watch's, the admins'), and hands each message to that channel's listeners. So an
 * event published by any worker or API process reaches the connections of every API process, and
 * a process hears only the audiences it serves.
 *
 * Pub/sub loses what is sent while the subscriber is away. When it comes back, every channel is
 * subscribed again first and then each listener is told to `resync`: it reads what it missed from
 * the audience's stream (events/feed.ts). A subscriber connection can stall without closing
 * (half-open TCP): it is pinged every `pingMs`, and one that does not answer is reconnected.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger';

export interface ChannelListener {
  message(message: string): void;
  /** The subscription was lost and is back: messages sent meanwhile were missed. */
  resync(): void;
}

export interface EventHubOptions {
  /** How often the idle subscriber is pinged to find a stalled connection. */
  pingMs: number;
  /** How long a first subscription may wait for Redis before the caller is told it is unavailable. */
  subscribeTimeoutMs: number;
}

export class EventHub {
  private subscriber: Redis | null = null;
  private readonly listeners = new Map<string, Set<ChannelListener>>();
  private readonly subscribed = new Map<string, Promise<void>>();
  private connectedBefore = false;
  private watchdog: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly options: EventHubOptions,
  ) {}

  /** Channels with at least one listener in this process. */
  get channels(): string[] {
    return [...this.listeners.keys()];
  }

  /**
   * Adds a listener and resolves once Redis has confirmed the subscription, so whatever is
   * published from then on reaches it; rejects when Redis cannot be reached in time.
   */
  async listen(channel: string, listener: ChannelListener): Promise<() => void> {
    if (this.closed) throw new Error('event hub closed');
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    try {
      await this.subscribe(channel);
    } catch (err) {
      this.unlisten(channel, listener);
      throw err;
    }
    return () => this.unlisten(channel, listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.listeners.clear();
    this.subscribed.clear();
    await this.subscriber?.quit().catch(() => undefined);
    this.subscriber = null;
  }

  private unlisten(channel: string, listener: ChannelListener): void {
    const set = this.listeners.get(channel);
    if (!set?.delete(listener) || set.size > 0) return;
    this.listeners.delete(channel);
    this.subscribed.delete(channel);
    this.subscriber?.unsubscribe(channel).catch(() => undefined);
  }

  private subscribe(channel: string): Promise<void> {
    let pending = this.subscribed.get(channel);
    if (!pending) {
      const connection = this.connection();
      pending = withTimeout(
        connection.subscribe(channel).then(() => undefined),
        this.options.subscribeTimeoutMs,
        'Redis did not confirm the subscription in time',
      );
      this.subscribed.set(channel, pending);
      // A failed subscription is tried again by the next listener.
      pending.catch(() => {
        if (this.subscribed.get(channel) === pending) this.subscribed.delete(channel);
      });
    }
    return pending;
  }

  private connection(): Redis {
    if (this.subscriber) return this.subscriber;
    // Its own connection (a subscribed one can do nothing else). Commands wait for it while it
    // connects (bounded by the command timeout); channels are subscribed again by us, not by
    // ioredis, so that listeners resync only once the subscriptions are back.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, autoResubscribe: false });
    this.subscriber = subscriber;
    subscriber.on('error', (err: Error) => this.logger.debug({ err: err.message }, 'event subscriber'));
    subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) listener.message(message);
    });
    subscriber.on('ready', () => {
      if (!this.connectedBefore) {
        this.connectedBefore = true;
        return;
      }
      void this.resubscribe(subscriber);
    });
    this.watchdog = setInterval(() => {
      if (subscriber.status !== 'ready') return;
      subscriber.ping().catch(() => {
        this.logger.warn('event subscriber did not answer a ping: reconnecting');
        subscriber.disconnect(true);
      });
    }, this.options.pingMs);
    this.watchdog.unref();
    return subscriber;
  }

  /** After a reconnection: every channel again, then each listener reads what it missed. */
  private async resubscribe(subscriber: Redis): Promise<void> {
    const channels = this.channels;
    if (channels.length === 0) return;
    try {
      await subscriber.subscribe(...channels);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'event channels not subscribed again; retrying on the next connection');
      subscriber.disconnect(true);
      return;
    }
    this.logger.info({ channels: channels.length }, 'event subscriber reconnected: listeners catch up from the streams');
    for (const channel of channels) for (const listener of this.listeners.get(channel) ?? []) listener.resync();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

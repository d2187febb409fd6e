/**
 * The account behind an access token (active or not, role, plan and its limits, when its sessions
 * were revoked), kept in the API process for AUTH_USER_CACHE_MS: every authenticated request
 * needs it and it rarely changes, so a PostgreSQL round trip per request (the largest cost of a
 * cached read, issue 13) buys nothing.
 *
 * A change is never served stale for long: whoever changes an account publishes its id on
 * USER_CHANGED_CHANNEL and every API process drops the entry at once (admin disable, role or plan
 * change, delete). Should a message be lost (Redis down or the subscriber reconnecting), the cache
 * is emptied when the subscription comes back and an entry lives AUTH_USER_CACHE_MS at most, the
 * bound for changes made outside the API (a SQL console, `npm run admin:create`).
 */
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { User, UserLimit } from '../../db/models';
import type { Logger } from '../../lib/logger';
import type { AuthUser } from '../middleware/auth';

export const USER_CHANGED_CHANNEL = 'auth:user-changed';
const SUBSCRIBE_WAIT_MS = 2_000;

/** The account as GET /api/auth/me shows it. */
export function accountProfile(user: User) {
  const limits = user.limits as UserLimit;
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    plan: user.plan,
    isActive: user.isActive,
    emailVerified: Boolean(user.emailVerifiedAt),
    emailVerifiedAt: user.emailVerifiedAt ?? null,
    dailyDigest: Boolean(user.dailyDigest),
    lastLogin: user.lastLogin ?? null,
    createdAt: user.createdAt,
    limits: {
      maxBloggers: limits.maxBloggers,
      maxVideosPerDay: limits.maxVideosPerDay,
      trendWatchEnabled: limits.trendWatchEnabled,
      apiRateLimitPerMinute: limits.apiRateLimit,
      maxAlertRules: limits.maxAlertRules,
      maxWebhooks: limits.maxWebhooks,
    },
  };
}
export type AccountProfile = ReturnType<typeof accountProfile>;

/** What authentication needs to know of an account, and the account as GET /me shows it. */
export interface CachedAccount {
  user: AuthUser;
  isActive: boolean;
  sessionsRevokedAt: Date | null;
  profile: Readonly<AccountProfile>;
}

export async function loadAccount(db: Knex, id: number): Promise<CachedAccount | null> {
  const user = await User.query(db).findById(id).withGraphFetched('limits');
  if (!user) return null;
  const limits = user.limits as UserLimit;
  // Shared by every request of this account while cached: frozen, so none can change it for the others.
  return {
    isActive: user.isActive,
    sessionsRevokedAt: user.sessionsRevokedAt ?? null,
    profile: Object.freeze(accountProfile(user)),
    user: Object.freeze({
      id: user.id,
      email: user.email,
      role: user.role,
      plan: user.plan,
      emailVerified: Boolean(user.emailVerifiedAt),
      limits: Object.freeze({
        maxBloggers: limits.maxBloggers,
        maxVideosPerDay: limits.maxVideosPerDay,
        trendWatchEnabled: limits.trendWatchEnabled,
        apiRateLimit: limits.apiRateLimit,
        maxAlertRules: limits.maxAlertRules,
        maxWebhooks: limits.maxWebhooks,
      }),
    }),
  };
}

/** Tells every API process that an account changed (after the change is committed). Best effort: the TTL bounds a lost message. */
export async function publishUserChanged({ redis, logger }: { redis: Redis; logger: Logger }, userId: number): Promise<void> {
  await redis.publish(USER_CHANGED_CHANNEL, String(userId)).catch((err: Error) => {
    logger.warn({ err: err.message, userId }, 'account change not published: other API processes see it within AUTH_USER_CACHE_MS');
  });
}

/**
 * After the commit of an account change: this process drops the account at once (its next request
 * cannot meet the old entry while the message travels) and every other process hears of it. The
 * open event streams of the account hear it too, and end if it is disabled or gone.
 */
export async function accountChanged(deps: { accounts: AccountCache; redis: Redis; logger: Logger }, userId: number): Promise<void> {
  deps.accounts.drop(userId);
  await publishUserChanged(deps, userId);
}

export class AccountCache {
  private readonly entries = new Map<number, { account: CachedAccount | null; until: number }>();
  private readonly loading = new Map<number, Promise<CachedAccount | null>>();
  private subscriber: Redis | null = null;

  constructor(
    private readonly db: Knex,
    private readonly ttlMs: number,
  ) {}

  /** The account (null: none with this id), from the cache while fresh; concurrent misses share one query. */
  async get(id: number): Promise<CachedAccount | null> {
    const now = Date.now();
    const hit = this.entries.get(id);
    if (hit && hit.until > now) return hit.account;
    const pending = this.loading.get(id);
    if (pending) return pending;
    const load = loadAccount(this.db, id)
      .then((account) => {
        // A change published while this query ran may be older than what it read, or newer: keep
        // the entry only if nobody dropped the id meanwhile (see drop()).
        if (this.loading.get(id) === load && this.ttlMs > 0) this.entries.set(id, { account, until: Date.now() + this.ttlMs });
        return account;
      })
      .finally(() => {
        if (this.loading.get(id) === load) this.loading.delete(id);
      });
    this.loading.set(id, load);
    return load;
  }

  drop(id: number): void {
    this.entries.delete(id);
    this.loading.delete(id);
  }

  clear(): void {
    this.entries.clear();
    this.loading.clear();
  }

  /**
   * Listens for account changes on a connection of its own (a subscribed connection can do
   * nothing else). Start-up waits for the subscription SUBSCRIBE_WAIT_MS at most: with Redis down
   * the API still starts, and entries live AUTH_USER_CACHE_MS until the subscription is up.
   */
  async subscribe(redis: Redis, logger: Logger): Promise<void> {
    const subscriber = redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => {
      const id = Number(message);
      if (Number.isInteger(id)) this.drop(id);
    });
    subscriber.on('error', (err: Error) => logger.debug({ err: err.message }, 'account change subscriber'));
    const subscribed = new Promise<void>((resolve) => {
      // On every (re)connection: messages sent while it was down are lost, so forget everything.
      subscriber.on('ready', () => {
        this.clear();
        subscriber.subscribe(USER_CHANGED_CHANNEL).then(
          () => resolve(),
          (err: Error) => logger.warn({ err: err.message }, 'account changes not subscribed'),
        );
      });
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([subscribed, new Promise<void>((resolve) => (timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS)))]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    this.clear();
    await this.subscriber?.quit().catch(() => undefined);
    this.subscriber = null;
  }
}

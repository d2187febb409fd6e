/**
 * Brute-force protection for login, in Redis (shared by every API instance), with an in-memory
 * insurance limiter per process when Redis is down or stalled:
 *  - per IP: every attempt counts (LOGIN_MAX_PER_IP per 15 minutes);
 *  - per email: every attempt counts BEFORE the password is checked (LOGIN_MAX_FAILURES_PER_EMAIL
 *    per 15 minutes), and a successful one is refunded. Counting first is what makes the limit
 *    hold under parallel attempts: the counter is one atomic increment, so of 25 simultaneous
 *    guesses only the first 5 reach bcrypt and the rest are refused without hashing anything.
 *    (Checking "failures so far" and counting after bcrypt let all 25 through.)
 */
import type { Redis } from 'ioredis';
import { RateLimiterRes, type RateLimiterRedis } from 'rate-limiter-flexible';
import type { Config } from '../../lib/config';
import { TooManyRequestsError } from '../../lib/errors';
import { redisLimiter } from '../middleware/rateLimit';

const WINDOW_SECONDS = 15 * 60;

export class LoginGuard {
  private readonly perIp: RateLimiterRedis;
  private readonly perEmail: RateLimiterRedis;

  constructor(redis: Redis, config: Pick<Config, 'LOGIN_MAX_PER_IP' | 'LOGIN_MAX_FAILURES_PER_EMAIL'>) {
    this.perIp = redisLimiter(redis, 'rl:login:ip', config.LOGIN_MAX_PER_IP, WINDOW_SECONDS);
    this.perEmail = redisLimiter(redis, 'rl:login:email', config.LOGIN_MAX_FAILURES_PER_EMAIL, WINDOW_SECONDS);
  }

  /** Counts the attempt against the IP and the email; refuses it (429) when either is spent. */
  async beforeAttempt(ip: string, email: string): Promise<void> {
    try {
      await this.perIp.consume(ip);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      throw new TooManyRequestsError(
        `Too many login attempts from this address. Wait ${Math.ceil(res.msBeforeNext / 1000)} s and try again.`,
        res.msBeforeNext / 1000,
      );
    }
    try {
      await this.perEmail.consume(email);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      throw new TooManyRequestsError(
        `Too many failed logins for this email, so it is locked for now. Wait ${Math.ceil(res.msBeforeNext / 1000)} s and try again, or ask an administrator to reset your password.`,
        res.msBeforeNext / 1000,
      );
    }
  }

  /** The password was right (or the attempt never got to check it): the attempt does not count. */
  async refund(email: string): Promise<void> {
    await this.perEmail.reward(email, 1).catch(() => undefined);
  }

  /** A completed password reset lifts the email's lock-out: its owner proved who they are by mail. */
  async clear(email: string): Promise<void> {
    await this.perEmail.delete(email).catch(() => undefined);
  }
}

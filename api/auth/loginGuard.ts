/**
 * Brute-force protection for login, in Redis (shared by every API instance), with an in-memory
 * insurance limiter per process when Redis is down:
 *  - per IP: every attempt counts (LOGIN_MAX_PER_IP per 15 minutes);
 *  - per email: failed attempts count (LOGIN_MAX_FAILURES_PER_EMAIL per 15 minutes); a success
 *    clears them.
 */
import type { Redis } from 'ioredis';
import { RateLimiterRes, type RateLimiterRedis } from 'rate-limiter-flexible';
import type { Config } from '../../lib/config';
import { TooManyRequestsError } from '../../lib/errors';
import { redisLimiter } from '../middleware/rateLimit';

const WINDOW_SECONDS = 15 * 60;

export class LoginGuard {
  private readonly perIp: RateLimiterRedis;
  private readonly failuresPerEmail: RateLimiterRedis;

  constructor(redis: Redis, private readonly config: Pick<Config, 'LOGIN_MAX_PER_IP' | 'LOGIN_MAX_FAILURES_PER_EMAIL'>) {
    this.perIp = redisLimiter(redis, 'rl:login:ip', config.LOGIN_MAX_PER_IP, WINDOW_SECONDS);
    this.failuresPerEmail = redisLimiter(redis, 'rl:login:email', config.LOGIN_MAX_FAILURES_PER_EMAIL, WINDOW_SECONDS);
  }

  /** Counts the attempt against the IP and refuses it when the IP or the email is locked. */
  async beforeAttempt(ip: string, email: string): Promise<void> {
    const failures = await this.failuresPerEmail.get(email);
    if (failures && failures.consumedPoints >= this.config.LOGIN_MAX_FAILURES_PER_EMAIL) {
      throw new TooManyRequestsError(
        `Too many failed logins for this email. Wait ${Math.ceil(failures.msBeforeNext / 1000)} s, or reset your password.`,
        failures.msBeforeNext / 1000,
      );
    }
    try {
      await this.perIp.consume(ip);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      throw new TooManyRequestsError(`Too many login attempts from this address. Wait ${Math.ceil(res.msBeforeNext / 1000)} s.`, res.msBeforeNext / 1000);
    }
  }

  async failed(email: string): Promise<void> {
    await this.failuresPerEmail.penalty(email, 1);
  }

  async succeeded(email: string): Promise<void> {
    await this.failuresPerEmail.delete(email);
  }
}

/** Everything the API needs from the outside world, built once by server.ts (or by a test). */
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Clock } from '../lib/clock';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Mailer } from '../notifications/mailer';
import type { Temporal } from '../temporal/client';
import type { PasswordHasher } from './auth/passwords';
import type { BackgroundTasks } from './background';
import type { AccountCache } from './auth/userCache';
import type { LiveStreams } from './stream/liveStreams';

export interface ApiDeps {
  config: Config;
  logger: Logger;
  db: Knex;
  redis: Redis;
  /** Read `temporal.client` at each use: server.ts gives a RecoveringTemporal, which replaces a lost connection. */
  temporal: Temporal;
  /** Data time (lib/clock.ts): quota days, growth windows, sync times. Auth and rate limits stay on real time. */
  clock: Clock;
  /** Password hashing (bcrypt); tests hand in a counting spy. */
  passwords?: PasswordHasher;
  /** The accounts behind access tokens, kept a few seconds (api/auth/userCache.ts). */
  accounts: AccountCache;
  /** The event streams open in this process (GET /api/stream); closed first on shutdown. */
  streams: LiveStreams;
  /** Outbound mail (SMTP_URL): account mails, alerts. */
  mailer: Mailer;
  /** Work done after the answer (account mail), drained on shutdown (api/background.ts). */
  background: BackgroundTasks;
}

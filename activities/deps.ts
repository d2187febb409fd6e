/** What activities need from the outside world: narrow, so tests hand in real local services. */
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Clock } from '../lib/clock';
import type { TrendSettings } from '../lib/domain/trendSettings';
import type { Logger } from '../lib/logger';
import type { WebhookSettings } from '../lib/domain/webhookSettings';
import type { Mailer } from '../notifications/mailer';
import type { ResolveAll } from '../notifications/webhookSender';
import type { Platforms } from '../platforms';

export interface ActivityDeps {
  /** The app role (row-level security applies); tenant writes go through withTenant(). */
  db: Knex;
  logger: Logger;
  redis: Redis;
  platforms: Platforms;
  /** For activities that start or signal other workflows (monitors). */
  temporal: Client;
  /** Task queue the monitors run on. */
  taskQueue: string;
  settings: TrendSettings;
  /** Data time (lib/clock.ts): real in production, simulated at TIME_SCALE > 1. */
  clock: Clock;
  /** Outbound mail (SMTP_URL), e.g. alert mails; off (every send fails) without SMTP_URL. */
  mailer: Mailer;
  /** Webhook delivery settings (WEBHOOK_*); lib/domain/webhookSettings.ts defaults when absent. */
  webhooks?: WebhookSettings;
  /** Tests only: how webhook host names resolve (the sender still refuses forbidden answers). */
  webhookResolve?: ResolveAll;
  /** Events kept per audience stream for SSE replay (SSE_REPLAY_EVENTS); events/publish.ts' default when absent. */
  sseReplayEvents?: number;
}

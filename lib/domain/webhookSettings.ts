/** Webhook delivery settings, from configuration (WEBHOOK_*), for the API, the worker and the delivery workflow. */
import type { Config } from '../config';

export interface WebhookSettings {
  /** Attempts before a delivery is dead-lettered. */
  maxAttempts: number;
  /** Wait before the second attempt (ms); doubles on each attempt. */
  retryInitialMs: number;
  /** Deadline of one request (ms). */
  timeoutMs: number;
  /** Test/dev only: http and loopback targets allowed. */
  allowLocalTargets: boolean;
}

export function webhookSettings(
  config: Pick<Config, 'WEBHOOK_MAX_ATTEMPTS' | 'WEBHOOK_RETRY_INITIAL_SECONDS' | 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOKS_ALLOW_LOCAL_TARGETS'>,
): WebhookSettings {
  return {
    maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    retryInitialMs: Math.round(config.WEBHOOK_RETRY_INITIAL_SECONDS * 1000),
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    allowLocalTargets: config.WEBHOOKS_ALLOW_LOCAL_TARGETS,
  };
}

/** The defaults of lib/config.ts, for callers built without a configuration (benchmarks). */
export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  maxAttempts: 8,
  retryInitialMs: 30_000,
  timeoutMs: 10_000,
  allowLocalTargets: false,
};

/** The notificationDelivery workflow as its callers see it (one workflow per delivery). Workflow-safe. */

/** An alert firing's email to its rule's owner. */
export interface EmailDeliveryInput {
  channel: 'email';
  firingId: number;
  userId: number;
}

/** One webhook event to one endpoint: attempts with exponential backoff, then the dead letter. */
export interface WebhookDeliveryInput {
  channel: 'webhook';
  deliveryId: number;
  userId: number;
  /** WEBHOOK_MAX_ATTEMPTS */
  maxAttempts: number;
  /** WEBHOOK_RETRY_INITIAL_SECONDS in ms: the wait before the second attempt, doubling after. */
  retryInitialMs: number;
  /** WEBHOOK_TIMEOUT_MS: one request's deadline (the activity's own is a little longer). */
  timeoutMs: number;
}

export type NotificationDeliveryInput = EmailDeliveryInput | WebhookDeliveryInput;

export interface NotificationDeliveryResult {
  /** sent (email), delivered (webhook), dead (webhook: every attempt failed), failed (email), skipped (nothing to do any more). */
  status: 'sent' | 'delivered' | 'dead' | 'failed' | 'skipped';
  /** Webhook attempts recorded for the delivery so far. */
  attempts?: number;
}

/** Failure types of the delivery activities (ApplicationFailure types). */
export const WEBHOOK_FAILURES = {
  /** A non-2xx answer, a timeout, a connection error: retried. */
  attemptFailed: 'WebhookAttemptFailed',
  /** The target is refused (a forbidden address after DNS, a disabled endpoint): not retried. */
  refused: 'WebhookTargetRefused',
} as const;

/** The longest wait between two webhook attempts, as a multiple of the first (the backoff doubles up to it). */
export const WEBHOOK_MAX_BACKOFF_FACTOR = 100;

/** The schedule of the notificationSweep workflow: alert deliveries whose start was lost are started again. */
export const NOTIFICATION_SWEEP_SCHEDULE = 'notification-sweep';

export interface NotificationSweepResult {
  /** Webhook deliveries started again. */
  webhooks: number;
  /** Alert emails started again. */
  emails: number;
}

/**
 * Delivery activities of the notificationDelivery workflow: one webhook attempt (signed, sent
 * through the SSRF-safe sender, logged), the dead letter, an alert's email. Each reads its row
 * first, so a delivery that is already delivered, dead or gone sends nothing (a repeated start, a
 * redelivery that raced a success).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { firingForEmail, setEmailStatus } from '../db/queries/alerts';
import { deliveryForSending, markDead, recordAttempt } from '../db/queries/webhooks';
import { withTenant } from '../db/tenant';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from '../lib/domain/webhookSettings';
import { MailNotConfiguredError } from '../notifications/mailer';
import { WebhookSender, type ResolveAll } from '../notifications/webhookSender';
import { signWebhook } from '../notifications/webhookSignature';
import { WEBHOOK_FAILURES, type NotificationDeliveryResult } from '../temporal/contract';
import type { ActivityDeps } from './deps';

export interface NotificationActivityDeps extends Pick<ActivityDeps, 'db' | 'logger' | 'mailer'> {
  webhooks?: WebhookSettings;
  /** Tests resolve names their own way (a public name that resolves to a loopback address). */
  webhookResolve?: ResolveAll;
}

/** One attempt at a webhook delivery; throws (retryable or not) when it failed, after logging it. */
export async function attemptWebhookDelivery(
  { db, logger }: Pick<ActivityDeps, 'db' | 'logger'>,
  sender: WebhookSender,
  { deliveryId, userId }: { deliveryId: number; userId: number },
): Promise<NotificationDeliveryResult> {
  const delivery = await withTenant(db, { userId }, (trx) => deliveryForSending(trx, userId, deliveryId));
  if (!delivery) return { status: 'skipped' };
  if (delivery.status !== 'pending') return { status: delivery.status, attempts: delivery.attempts };
  if (!delivery.endpointEnabled) {
    throw ApplicationFailure.nonRetryable('the endpoint is disabled', WEBHOOK_FAILURES.refused);
  }
  const body = JSON.stringify(delivery.payload);
  // Signatures speak real time (receivers compare the timestamp with their clock), never data time.
  const headers = signWebhook(delivery.secret, delivery.eventId, body, new Date());
  const result = await sender.send({ url: delivery.url, body, headers });
  const attempt = await withTenant(db, { userId }, (trx) => recordAttempt(trx, userId, deliveryId, result));
  logger.info(
    { deliveryId, attempt, statusCode: result.statusCode, durationMs: result.durationMs, error: result.error },
    result.ok ? 'webhook delivered' : 'webhook attempt failed',
  );
  if (result.ok) return { status: 'delivered', attempts: attempt };
  if (result.refused) throw ApplicationFailure.nonRetryable(result.error ?? 'target refused', WEBHOOK_FAILURES.refused);
  throw ApplicationFailure.retryable(result.error ?? 'attempt failed', WEBHOOK_FAILURES.attemptFailed);
}

/** The last attempt failed: the delivery is dead-lettered. */
export async function deadLetterWebhookDelivery(
  { db, logger }: Pick<ActivityDeps, 'db' | 'logger'>,
  { deliveryId, userId, reason }: { deliveryId: number; userId: number; reason: string },
): Promise<{ attempts: number }> {
  const row = await withTenant(db, { userId }, (trx) => markDead(trx, userId, deliveryId, reason));
  logger.warn({ deliveryId, attempts: row?.attempts, reason }, 'webhook delivery dead-lettered');
  return { attempts: row?.attempts ?? 0 };
}

/** An alert's email to its rule's owner (once: a sent one is not sent again). */
export async function sendAlertEmail(
  { db, mailer }: Pick<ActivityDeps, 'db' | 'mailer'>,
  { firingId, userId }: { firingId: number; userId: number },
): Promise<NotificationDeliveryResult> {
  const firing = await withTenant(db, { userId }, (trx) => firingForEmail(trx, userId, firingId));
  if (!firing) return { status: 'skipped' };
  if (firing.emailStatus !== 'pending') return { status: firing.emailStatus === 'sent' ? 'sent' : 'skipped' };
  const subject = `Alert: ${firing.ruleName}`;
  const text = [
    firing.message,
    '',
    `Rule: ${firing.ruleName} (${firing.ruleKind})`,
    `Fired at: ${new Date(firing.firedAt).toISOString()}`,
    '',
    'Details:',
    JSON.stringify(firing.subject, null, 2),
    '',
    `Mute or change this rule: PATCH /api/alerts/${firing.ruleId}`,
  ].join('\n');
  try {
    await mailer.send({ to: firing.userEmail, subject, text });
  } catch (err) {
    // Mail switched off (no SMTP_URL) is not a hiccup: retrying cannot send it.
    if (err instanceof MailNotConfiguredError) throw ApplicationFailure.nonRetryable(err.message, err.name);
    throw err;
  }
  await withTenant(db, { userId }, (trx) =>
    setEmailStatus(trx, userId, firingId, { emailStatus: 'sent', emailSentAt: new Date(), emailError: null }),
  );
  return { status: 'sent' };
}

export async function markAlertEmailFailed(
  { db }: Pick<ActivityDeps, 'db'>,
  { firingId, userId, error }: { firingId: number; userId: number; error: string },
): Promise<void> {
  await withTenant(db, { userId }, (trx) =>
    setEmailStatus(trx, userId, firingId, { emailStatus: 'failed', emailError: error.slice(0, 1000) }),
  );
}

export function createNotificationActivities(deps: NotificationActivityDeps) {
  const settings = deps.webhooks ?? DEFAULT_WEBHOOK_SETTINGS;
  // One sender (one connection pool) per worker.
  const sender = new WebhookSender({
    policy: { allowLocal: settings.allowLocalTargets },
    timeoutMs: settings.timeoutMs,
    ...(deps.webhookResolve ? { resolve: deps.webhookResolve } : {}),
  });
  return {
    attemptWebhookDelivery: (input: { deliveryId: number; userId: number }) => attemptWebhookDelivery(deps, sender, input),
    deadLetterWebhookDelivery: (input: Parameters<typeof deadLetterWebhookDelivery>[1]) => deadLetterWebhookDelivery(deps, input),
    sendAlertEmail: (input: { firingId: number; userId: number }) => sendAlertEmail(deps, input),
    markAlertEmailFailed: (input: Parameters<typeof markAlertEmailFailed>[1]) => markAlertEmailFailed(deps, input),
  };
}

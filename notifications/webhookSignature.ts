/**
 * Webhook signatures: the Standard Webhooks scheme (https://www.standardwebhooks.com, the
 * `standardwebhooks` library by Svix), which receivers can verify with a library in most languages:
 *
 *   webhook-id:        the event's id (msg_…), the same on every attempt (receivers deduplicate by it)
 *   webhook-timestamp: seconds since the epoch when this attempt was signed
 *   webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed by the secret's bytes>
 *
 * Secrets are `whsec_` + base64 of 32 random bytes; they are stored to sign and shown to the user
 * when created or rotated only.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export const SECRET_PREFIX = 'whsec_';

export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** A new event id (the webhook-id header): unique, opaque, stable across the event's attempts. */
export function newEventId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

/** The three signature headers of one attempt of an event. */
export function signWebhook(secret: string, eventId: string, body: string, at: Date): Record<string, string> {
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(eventId, at, body),
  };
}

/** Verifies a request as a receiver does (tests use it); throws WebhookVerificationError when it does not hold. */
export function verifyWebhook(secret: string, body: string, headers: Record<string, string>): unknown {
  return new Webhook(secret).verify(body, headers);
}

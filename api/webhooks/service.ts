/**
 * Webhook endpoints, inside the caller's tenant (another tenant's endpoint is a 404). The secret
 * is returned when an endpoint is created and when it is rotated, never otherwise. A URL must
 * pass notifications/webhookUrl.ts (https, no credentials, no private or local address; names are
 * checked again at send time after DNS answers). `POST …/test` sends a signed `webhook.test`
 * event through the same delivery path as alerts; a dead delivery can be sent again.
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { createWithinPlanLimit } from '../../db/queries/planLimits';
import {
  attemptsOf,
  countEndpoints,
  deleteEndpoint,
  deliveriesOf,
  endpointsOf,
  findDelivery,
  findEndpoint,
  insertDelivery,
  insertEndpoint,
  reopenDead,
  updateEndpoint,
  type WebhookAttemptRow,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from '../../db/queries/webhooks';
import { withTenant } from '../../db/tenant';
import type { Config } from '../../lib/config';
import { webhookSettings } from '../../lib/domain/webhookSettings';
import { ConflictError, NotFoundError, TemporalUnavailableError, ValidationError } from '../../lib/errors';
import { checkWebhookUrl, WebhookTargetError } from '../../notifications/webhookUrl';
import { newEventId, newWebhookSecret } from '../../notifications/webhookSignature';
import { isTemporalUnavailable } from '../../temporal/client';
import { startWebhookDelivery } from '../../temporal/starters';
import type { AuthUser } from '../middleware/auth';
import { toPage } from '../pagination';
import { knexPageWithTotal } from '../../db/queries/paging';
import type { CreateWebhookBody, ListDeliveriesQuery, UpdateWebhookBody } from './schema';

type Owner = Pick<AuthUser, 'id' | 'plan' | 'limits'>;

export interface WebhookDeps {
  db: Knex;
  config: Config;
  temporal: { client: Client };
}

export function publicWebhook(e: WebhookEndpointRow) {
  return { id: e.id, url: e.url, description: e.description ?? null, enabled: e.enabled, createdAt: e.createdAt, updatedAt: e.updatedAt };
}

function publicDelivery(d: WebhookDeliveryRow, attempts: WebhookAttemptRow[]) {
  return {
    id: Number(d.id),
    webhookId: d.endpointId,
    eventId: d.eventId,
    eventType: d.eventType,
    firingId: d.firingId === null ? null : Number(d.firingId),
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    deliveredAt: d.deliveredAt,
    deadAt: d.deadAt,
    createdAt: d.createdAt,
    payload: d.payload,
    log: attempts.map((a) => ({
      attempt: a.attempt,
      statusCode: a.statusCode,
      error: a.error,
      durationMs: a.durationMs,
      at: a.attemptedAt,
    })),
  };
}

/** The URL as stored, or a 400 naming body.url with what to fix. */
function checkedUrl(config: Config, raw: string): string {
  try {
    return checkWebhookUrl(raw, { allowLocal: config.WEBHOOKS_ALLOW_LOCAL_TARGETS }).toString();
  } catch (err) {
    if (err instanceof WebhookTargetError) {
      throw new ValidationError(`Invalid request: body.url: ${err.message}`, [{ path: 'body.url', message: err.message }]);
    }
    throw err;
  }
}

/** A Temporal call from a request waits this long at most. */
const TEMPORAL_CALL_DEADLINE_MS = 5000;

async function startDelivery(deps: WebhookDeps, delivery: { id: number; userId: number }): Promise<void> {
  const settings = webhookSettings(deps.config);
  try {
    await deps.temporal.client.connection.withDeadline(Date.now() + TEMPORAL_CALL_DEADLINE_MS, () =>
      startWebhookDelivery(deps.temporal.client, deps.config.TEMPORAL_TASK_QUEUE, settings, delivery),
    );
  } catch (err) {
    if (isTemporalUnavailable(err)) throw new TemporalUnavailableError();
    throw err;
  }
}

export async function createWebhook(deps: WebhookDeps, owner: Owner, body: CreateWebhookBody) {
  const url = checkedUrl(deps.config, body.url);
  return withTenant(deps.db, { userId: owner.id }, async (trx) => {
    const endpoint = await createWithinPlanLimit(trx, {
      userId: owner.id,
      plan: owner.plan,
      resource: 'webhooks',
      limit: owner.limits.maxWebhooks,
      noun: ['webhook', 'webhooks'],
      count: (t) => countEndpoints(t, owner.id),
      create: (t) =>
        insertEndpoint(t, { userId: owner.id, url, description: body.description, secret: newWebhookSecret(), enabled: body.enabled }),
    });
    // The only time the secret is shown (and when it is rotated).
    return { ...publicWebhook(endpoint), secret: endpoint.secret };
  });
}

async function findOwned(trx: Knex, owner: Owner, id: number): Promise<WebhookEndpointRow> {
  const endpoint = await findEndpoint(trx, owner.id, id);
  if (!endpoint) throw new NotFoundError('Webhook');
  return endpoint;
}

export async function getWebhook(db: Knex, owner: Owner, id: number) {
  return withTenant(db, { userId: owner.id }, async (trx) => publicWebhook(await findOwned(trx, owner, id)));
}

export async function listWebhooks(db: Knex, owner: Owner, q: { page: number; limit: number }) {
  return withTenant(db, { userId: owner.id }, async (trx) => {
    const query = endpointsOf(trx, owner.id);
    const { results, total } = await knexPageWithTotal<WebhookEndpointRow>(query.orderBy('id'), q.page, q.limit);
    return toPage(results.map(publicWebhook), total, q.page, q.limit);
  });
}

export async function updateWebhook(deps: WebhookDeps, owner: Owner, id: number, body: UpdateWebhookBody) {
  const url = body.url === undefined ? undefined : checkedUrl(deps.config, body.url);
  return withTenant(deps.db, { userId: owner.id }, async (trx) => {
    await findOwned(trx, owner, id);
    const updated = await updateEndpoint(trx, owner.id, id, {
      ...(url !== undefined ? { url } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
    });
    return publicWebhook(updated!);
  });
}

/** A new secret; the old one stops signing at once (receivers switch to the new one). */
export async function rotateSecret(db: Knex, owner: Owner, id: number) {
  return withTenant(db, { userId: owner.id }, async (trx) => {
    await findOwned(trx, owner, id);
    const updated = (await updateEndpoint(trx, owner.id, id, { secret: newWebhookSecret() }))!;
    return { ...publicWebhook(updated), secret: updated.secret };
  });
}

export async function deleteWebhook(db: Knex, owner: Owner, id: number): Promise<void> {
  if (!(await withTenant(db, { userId: owner.id }, (trx) => deleteEndpoint(trx, owner.id, id)))) throw new NotFoundError('Webhook');
}

/** Sends a signed `webhook.test` event now, through the same delivery path (attempts, retries, dead letter) as alerts. */
export async function sendTestEvent(deps: WebhookDeps, owner: Owner, id: number) {
  const delivery = await withTenant(deps.db, { userId: owner.id }, async (trx) => {
    const endpoint = await findOwned(trx, owner, id);
    if (!endpoint.enabled) throw new ConflictError('This webhook is disabled; enable it (PATCH enabled: true) to send it events.');
    return insertDelivery(trx, {
      userId: owner.id,
      endpointId: id,
      firingId: null,
      eventId: newEventId(),
      eventType: 'webhook.test',
      payload: {
        type: 'webhook.test',
        timestamp: new Date().toISOString(),
        data: { webhookId: id, message: 'A test event from Blogger Analytics: your endpoint and its signature check work.' },
      },
    });
  });
  try {
    await startDelivery(deps, { id: Number(delivery.id), userId: owner.id });
  } catch (err) {
    // Not started: the test event is dropped rather than sent late (the same request can be sent again).
    await withTenant(deps.db, { userId: owner.id }, (trx) =>
      trx('webhook_deliveries').where({ id: delivery.id, userId: owner.id }).delete(),
    ).catch(() => undefined);
    throw err;
  }
  return publicDelivery(delivery, []);
}

export async function listDeliveries(db: Knex, owner: Owner, id: number, q: ListDeliveriesQuery) {
  return withTenant(db, { userId: owner.id }, async (trx) => {
    await findOwned(trx, owner, id);
    const query = deliveriesOf(trx, owner.id, id);
    if (q.status) query.where('status', q.status);
    const { results: rows, total } = await knexPageWithTotal<WebhookDeliveryRow>(query.orderBy('id', 'desc'), q.page, q.limit);
    const attempts = await attemptsOf(
      trx,
      owner.id,
      rows.map((r) => Number(r.id)),
    );
    return toPage(
      rows.map((r) => publicDelivery(r, attempts.get(Number(r.id)) ?? [])),
      total,
      q.page,
      q.limit,
    );
  });
}

/** Sends a dead delivery again (same event id: receivers that saw it can tell); its attempts go on counting. */
export async function redeliver(deps: WebhookDeps, owner: Owner, id: number, deliveryId: number) {
  const reopened = await withTenant(deps.db, { userId: owner.id }, async (trx) => {
    await findOwned(trx, owner, id);
    const delivery = await findDelivery(trx, owner.id, deliveryId);
    if (!delivery || delivery.endpointId !== id) throw new NotFoundError('Delivery');
    if (delivery.status !== 'dead') {
      throw new ConflictError(`Only a dead delivery can be sent again; this one is ${delivery.status}.`, { status: delivery.status });
    }
    return (await reopenDead(trx, owner.id, deliveryId))!;
  });
  await startDelivery(deps, { id: deliveryId, userId: owner.id });
  return publicDelivery(reopened, []);
}

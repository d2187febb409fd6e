/**
 * Webhook endpoints, deliveries and their attempts. Every question names the user as well as the
 * row; run inside withTenant().
 */
import type { Knex } from 'knex';

export interface WebhookEndpointRow {
  id: number;
  userId: number;
  url: string;
  description: string | null;
  secret: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface WebhookDeliveryRow {
  id: number;
  userId: number;
  endpointId: number;
  firingId: number | null;
  eventId: string;
  eventType: string;
  payload: Record<string, unknown>;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  deadAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookAttemptRow {
  id: number;
  userId: number;
  deliveryId: number;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  attemptedAt: Date;
}

// ---------------------------------------------------------------- endpoints

export function endpointsOf(trx: Knex, userId: number) {
  return trx<WebhookEndpointRow>('webhook_endpoints').where({ userId });
}

export async function findEndpoint(trx: Knex, userId: number, id: number): Promise<WebhookEndpointRow | undefined> {
  return trx<WebhookEndpointRow>('webhook_endpoints').where({ id, userId }).first();
}

export async function countEndpoints(trx: Knex, userId: number): Promise<number> {
  const row = (await trx('webhook_endpoints').where({ userId }).count('* as count').first()) as { count: string | number } | undefined;
  return Number(row?.count ?? 0);
}

export async function insertEndpoint(
  trx: Knex,
  row: Pick<WebhookEndpointRow, 'userId' | 'url' | 'description' | 'secret' | 'enabled'>,
): Promise<WebhookEndpointRow> {
  const [created] = await trx<WebhookEndpointRow>('webhook_endpoints')
    .insert(row as never)
    .returning('*');
  return created as WebhookEndpointRow;
}

export async function updateEndpoint(
  trx: Knex,
  userId: number,
  id: number,
  patch: Partial<Pick<WebhookEndpointRow, 'url' | 'description' | 'secret' | 'enabled'>>,
): Promise<WebhookEndpointRow | undefined> {
  const [row] = await trx<WebhookEndpointRow>('webhook_endpoints')
    .where({ id, userId })
    .update({ ...patch, updatedAt: trx.fn.now() } as never)
    .returning('*');
  return row as WebhookEndpointRow | undefined;
}

/** Deletes the endpoint (its deliveries go with it) and takes it out of the user's rules' channels. */
export async function deleteEndpoint(trx: Knex, userId: number, id: number): Promise<boolean> {
  const deleted = (await trx('webhook_endpoints').where({ id, userId }).delete()) > 0;
  if (deleted) {
    await trx.raw(
      `update alert_rules set channels = jsonb_set(channels, '{webhookIds}',
         coalesce((select jsonb_agg(e) from jsonb_array_elements(channels->'webhookIds') e where e <> to_jsonb(?::int)), '[]'::jsonb)),
         updated_at = now()
       where user_id = ? and channels->'webhookIds' @> to_jsonb(array[?::int])`,
      [id, userId, id],
    );
  }
  return deleted;
}

// ---------------------------------------------------------------- deliveries

/** Creates a delivery of an event to each of the user's enabled endpoints among `endpointIds` (once per firing and endpoint). */
export async function createDeliveries(
  trx: Knex,
  userId: number,
  endpointIds: number[],
  event: { firingId: number | null; eventType: string; payload: Record<string, unknown>; newEventId: () => string },
): Promise<void> {
  if (!endpointIds.length) return;
  const endpoints = await trx('webhook_endpoints').where({ userId, enabled: true }).whereIn('id', endpointIds).select('id');
  if (!endpoints.length) return;
  const query = trx('webhook_deliveries').insert(
    endpoints.map((e: { id: number }) => ({
      userId,
      endpointId: e.id,
      firingId: event.firingId,
      eventId: event.newEventId(),
      eventType: event.eventType,
      payload: JSON.stringify(event.payload),
    })),
  );
  if (event.firingId !== null) await query.onConflict(['endpointId', 'firingId']).ignore();
  else await query;
}

/** A firing's webhook deliveries still waiting (to start their workflows). */
export async function pendingDeliveriesOfFiring(trx: Knex, userId: number, firingId: number): Promise<WebhookDeliveryRow[]> {
  return trx<WebhookDeliveryRow>('webhook_deliveries').where({ userId, firingId, status: 'pending' }).orderBy('id');
}

export async function insertDelivery(
  trx: Knex,
  row: Pick<WebhookDeliveryRow, 'userId' | 'endpointId' | 'firingId' | 'eventId' | 'eventType' | 'payload'>,
): Promise<WebhookDeliveryRow> {
  const [created] = await trx<WebhookDeliveryRow>('webhook_deliveries')
    .insert({ ...row, payload: JSON.stringify(row.payload) } as never)
    .returning('*');
  return created as WebhookDeliveryRow;
}

export async function findDelivery(trx: Knex, userId: number, id: number): Promise<WebhookDeliveryRow | undefined> {
  return trx<WebhookDeliveryRow>('webhook_deliveries').where({ id, userId }).first();
}

export function deliveriesOf(trx: Knex, userId: number, endpointId: number) {
  return trx<WebhookDeliveryRow>('webhook_deliveries').where({ userId, endpointId });
}

/** Each delivery's attempts, oldest first. */
export async function attemptsOf(trx: Knex, userId: number, deliveryIds: number[]): Promise<Map<number, WebhookAttemptRow[]>> {
  const out = new Map<number, WebhookAttemptRow[]>(deliveryIds.map((id) => [id, []]));
  if (!deliveryIds.length) return out;
  const rows = await trx<WebhookAttemptRow>('webhook_delivery_attempts')
    .where({ userId })
    .whereIn('deliveryId', deliveryIds)
    .orderBy(['deliveryId', 'attempt']);
  for (const r of rows) out.get(Number(r.deliveryId))?.push(r);
  return out;
}

/** A delivery with what signing and sending it needs. */
export async function deliveryForSending(
  trx: Knex,
  userId: number,
  id: number,
): Promise<(WebhookDeliveryRow & { url: string; secret: string; endpointEnabled: boolean }) | undefined> {
  return (await trx('webhook_deliveries as d')
    .join('webhook_endpoints as e', 'e.id', 'd.endpointId')
    .where({ 'd.id': id, 'd.userId': userId })
    .select('d.*', 'e.url as url', 'e.secret as secret', 'e.enabled as endpointEnabled')
    .first()) as (WebhookDeliveryRow & { url: string; secret: string; endpointEnabled: boolean }) | undefined;
}

/** Logs one attempt and its outcome on the delivery; returns the attempt's number. */
export async function recordAttempt(
  trx: Knex,
  userId: number,
  deliveryId: number,
  outcome: { ok: boolean; statusCode: number | null; error: string | null; durationMs: number },
): Promise<number> {
  const [row] = await trx('webhook_deliveries')
    .where({ id: deliveryId, userId })
    .update({
      attempts: trx.raw('attempts + 1'),
      lastStatusCode: outcome.statusCode,
      lastError: outcome.error,
      updatedAt: trx.fn.now(),
      ...(outcome.ok ? { status: 'delivered', deliveredAt: trx.fn.now() } : {}),
    })
    .returning('attempts');
  if (!row) return 0; // deleted meanwhile (its endpoint was): nothing to log
  const attempt = Number((row as { attempts: number }).attempts);
  await trx('webhook_delivery_attempts').insert({
    userId,
    deliveryId,
    attempt,
    statusCode: outcome.statusCode,
    error: outcome.error,
    durationMs: outcome.durationMs,
  });
  return attempt;
}

/** The last attempt failed: the delivery is dead-lettered (listed, redeliverable). */
export async function markDead(trx: Knex, userId: number, deliveryId: number, reason: string): Promise<WebhookDeliveryRow | undefined> {
  const [row] = await trx<WebhookDeliveryRow>('webhook_deliveries')
    .where({ id: deliveryId, userId, status: 'pending' })
    .update({ status: 'dead', deadAt: trx.fn.now(), lastError: reason, updatedAt: trx.fn.now() } as never)
    .returning('*');
  return (row as WebhookDeliveryRow | undefined) ?? findDelivery(trx, userId, deliveryId);
}

/** A dead delivery goes back to pending for a redelivery (its attempts go on counting). */
export async function reopenDead(trx: Knex, userId: number, deliveryId: number): Promise<WebhookDeliveryRow | undefined> {
  const [row] = await trx<WebhookDeliveryRow>('webhook_deliveries')
    .where({ id: deliveryId, userId, status: 'dead' })
    .update({ status: 'pending', deadAt: null, updatedAt: trx.fn.now() } as never)
    .returning('*');
  return row as WebhookDeliveryRow | undefined;
}

/**
 * Pending webhook deliveries whose workflow may never have started (admin scope, keyset pages by
 * id): never attempted and recorded before `neverTriedBefore`, or silent since `silentSince`
 * (longer than the longest wait between two attempts: a redelivery whose start was lost).
 */
export function unstartedWebhookDeliveries(
  trx: Knex,
  { neverTriedBefore, silentSince, afterId, limit }: { neverTriedBefore: Date; silentSince: Date; afterId: number; limit: number },
): PromiseLike<{ id: number; userId: number }[]> {
  return trx('webhook_deliveries')
    .where('status', 'pending')
    .where('id', '>', afterId)
    .where((q) => q.where((n) => n.where('attempts', 0).where('createdAt', '<', neverTriedBefore)).orWhere('updatedAt', '<', silentSince))
    .select('id', 'userId')
    .orderBy('id')
    .limit(limit);
}

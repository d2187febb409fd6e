/**
 * Alert rules, always inside the caller's tenant (withTenant(): row-level security), so another
 * tenant's rule is simply not found (404). Creating one counts against the plan's
 * `max_alert_rules` under the plan-limit lock; Trend Watch kinds need a plan with Trend Watch; the
 * email channel needs a verified address; webhook channels must name the caller's endpoints.
 */
import type { Knex } from 'knex';
import type { z } from 'zod';
import {
  countRules,
  deleteRule,
  findRule,
  firingsOf,
  insertRule,
  ownedWebhookIds,
  rulesOf,
  updateRule,
  type AlertChannels,
  type AlertFiringRow,
  type AlertRuleRow,
} from '../../db/queries/alerts';
import { ownsBlogger } from '../../db/queries/bloggers';
import { createWithinPlanLimit } from '../../db/queries/planLimits';
import { withTenant } from '../../db/tenant';
import { alertParams, BLOGGER_KINDS, TREND_WATCH_KINDS, type AlertKind } from '../../lib/domain/alertRules';
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors';
import type { AuthUser } from '../middleware/auth';
import { toPage } from '../pagination';
import { knexPageWithTotal } from '../../db/queries/paging';
import { assertTrendWatch } from '../trends/service';
import type { CreateAlertBody, ListAlertsQuery, ListFiringsQuery, UpdateAlertBody } from './schema';

type Owner = Pick<AuthUser, 'id' | 'plan' | 'limits' | 'emailVerified'>;

export function publicRule(r: AlertRuleRow) {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    params: r.params,
    channels: r.channels,
    debounceMinutes: r.debounceMinutes,
    mutedUntil: r.mutedUntil ?? null,
    enabled: r.enabled,
    lastFiredAt: r.lastFiredAt ?? null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

interface FiringDelivery {
  id: number;
  firingId: number;
  endpointId: number;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
}

function publicFiring(f: AlertFiringRow, deliveries: FiringDelivery[]) {
  return {
    id: Number(f.id),
    ruleId: f.ruleId,
    firedAt: f.firedAt,
    message: f.message,
    subject: f.subject,
    muted: f.muted,
    channels: f.channels,
    email: f.emailStatus ? { status: f.emailStatus, sentAt: f.emailSentAt ?? null, error: f.emailError ?? null } : null,
    webhooks: deliveries.map((d) => ({
      deliveryId: Number(d.id),
      endpointId: d.endpointId,
      status: d.status,
      attempts: d.attempts,
      lastStatusCode: d.lastStatusCode,
      lastError: d.lastError,
    })),
  };
}

/** A 400 naming the field, in the validation middleware's shape. */
function invalid(path: string, message: string): ValidationError {
  return new ValidationError(`Invalid request: ${path}: ${message}`, [{ path, message }]);
}

/** Checks what a rule refers to: its blogger and its webhooks must be the caller's; email needs a verified address. */
async function checkReferences(
  trx: Knex,
  owner: Owner,
  rule: { kind: AlertKind; params: Record<string, unknown>; channels?: AlertChannels },
) {
  const bloggerId = (rule.params as { bloggerId?: number | null }).bloggerId ?? null;
  if (BLOGGER_KINDS.includes(rule.kind) && bloggerId !== null && !(await ownsBlogger(trx, owner.id, bloggerId))) {
    throw invalid('body.params.bloggerId', `you have no blogger ${bloggerId}`);
  }
  if (!rule.channels) return;
  if (rule.channels.email && !owner.emailVerified) {
    throw new ForbiddenError(
      'Alerts by email go to verified addresses only: verify your email (POST /api/auth/verify-email/resend sends the link), or use a webhook.',
      'email_not_verified',
    );
  }
  const owned = new Set(await ownedWebhookIds(trx, owner.id, rule.channels.webhookIds));
  const missing = rule.channels.webhookIds.filter((id) => !owned.has(id));
  if (missing.length)
    throw invalid('body.channels.webhookIds', `you have no webhook ${missing.join(', ')} (create one with POST /api/webhooks)`);
}

export async function createRule(db: Knex, owner: Owner, body: CreateAlertBody) {
  if (TREND_WATCH_KINDS.includes(body.kind)) await assertTrendWatch(db, owner as AuthUser);
  const params = body.params as Record<string, unknown>;
  return withTenant(db, { userId: owner.id }, async (trx) => {
    await checkReferences(trx, owner, { kind: body.kind, params, channels: body.channels });
    const rule = await createWithinPlanLimit(trx, {
      userId: owner.id,
      plan: owner.plan,
      resource: 'alertRules',
      limit: owner.limits.maxAlertRules,
      noun: ['alert rule', 'alert rules'],
      count: (t) => countRules(t, owner.id),
      create: (t) =>
        insertRule(t, {
          userId: owner.id,
          name: body.name,
          kind: body.kind,
          params,
          bloggerId: (params.bloggerId as number | null | undefined) ?? null,
          channels: body.channels,
          debounceMinutes: body.debounceMinutes,
          mutedUntil: body.mutedUntil,
          enabled: body.enabled,
        }),
    });
    return publicRule(rule);
  });
}

async function findOwned(trx: Knex, owner: Owner, id: number): Promise<AlertRuleRow> {
  const rule = await findRule(trx, owner.id, id);
  if (!rule) throw new NotFoundError('Alert rule');
  return rule;
}

export async function getRule(db: Knex, owner: Owner, id: number) {
  return withTenant(db, { userId: owner.id }, async (trx) => publicRule(await findOwned(trx, owner, id)));
}

export async function listRules(db: Knex, owner: Owner, q: ListAlertsQuery) {
  return withTenant(db, { userId: owner.id }, async (trx) => {
    const query = rulesOf(trx, owner.id);
    if (q.kind) query.where('kind', q.kind);
    if (q.enabled !== undefined) query.where('enabled', q.enabled);
    const { results, total } = await knexPageWithTotal<AlertRuleRow>(query.orderBy('id'), q.page, q.limit);
    return toPage(results.map(publicRule), total, q.page, q.limit);
  });
}

export async function updateRuleOf(db: Knex, owner: Owner, id: number, body: UpdateAlertBody) {
  return withTenant(db, { userId: owner.id }, async (trx) => {
    const rule = await findOwned(trx, owner, id);
    // PATCH merges (RFC 7396, one level): the params and channels given replace the rule's, a
    // null param drops back to its default, and what is not named stays as it was.
    let params: Record<string, unknown> | undefined;
    if (body.params !== undefined) {
      const merged: Record<string, unknown> = { ...rule.params };
      for (const [name, value] of Object.entries(body.params)) {
        if (value === null) delete merged[name];
        else merged[name] = value;
      }
      const parsed = (alertParams[rule.kind] as z.ZodType).safeParse(merged);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ path: ['body', 'params', ...i.path].join('.'), message: i.message }));
        throw new ValidationError(`Invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
      }
      params = parsed.data as Record<string, unknown>;
    }
    const channels = body.channels && {
      email: body.channels.email ?? rule.channels.email,
      webhookIds: body.channels.webhookIds ?? rule.channels.webhookIds,
    };
    await checkReferences(trx, owner, {
      kind: rule.kind,
      params: params ?? rule.params,
      // Only changed channels are checked again (an email channel kept from before stays).
      ...(channels ? { channels } : {}),
    });
    const updated = await updateRule(trx, owner.id, id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(params ? { params, bloggerId: (params.bloggerId as number | null | undefined) ?? null } : {}),
      ...(channels ? { channels } : {}),
      ...(body.debounceMinutes !== undefined ? { debounceMinutes: body.debounceMinutes } : {}),
      ...(body.mutedUntil !== undefined ? { mutedUntil: body.mutedUntil } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
    });
    return publicRule(updated!);
  });
}

export async function deleteRuleOf(db: Knex, owner: Owner, id: number): Promise<void> {
  const deleted = await withTenant(db, { userId: owner.id }, (trx) => deleteRule(trx, owner.id, id));
  if (!deleted) throw new NotFoundError('Alert rule');
}

/** The rule's firings, newest first, each with where it was delivered. */
export async function listFirings(db: Knex, owner: Owner, ruleId: number, q: ListFiringsQuery) {
  return withTenant(db, { userId: owner.id }, async (trx) => {
    await findOwned(trx, owner, ruleId);
    const query = firingsOf(trx, owner.id, ruleId);
    if (q.muted !== undefined) query.where('muted', q.muted);
    const { results: firings, total } = await knexPageWithTotal<AlertFiringRow>(
      query.orderBy([
        { column: 'firedAt', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]),
      q.page,
      q.limit,
    );
    const deliveries = firings.length
      ? ((await trx('webhook_deliveries')
          .where({ userId: owner.id })
          .whereIn(
            'firingId',
            firings.map((f) => f.id),
          )
          .select('id', 'firingId', 'endpointId', 'status', 'attempts', 'lastStatusCode', 'lastError')
          .orderBy('id')) as FiringDelivery[])
      : [];
    return toPage(
      firings.map((f) =>
        publicFiring(
          f,
          deliveries.filter((d) => Number(d.firingId) === Number(f.id)),
        ),
      ),
      total,
      q.page,
      q.limit,
    );
  });
}

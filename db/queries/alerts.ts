/**
 * Alert rules and firings. Tenant questions name the user as well as the row (run inside
 * withTenant(): row-level security is the second wall); the cross-tenant readings of the alert
 * engine (velocity and trend rules of every Trend Watch user) run under the admin scope.
 *
 * recordFiring is the one place a rule fires: under a row lock on the rule it finds the firing of
 * the same triggering fact (dedupe key: a retried activity gets the firing it recorded), applies
 * the sliding debounce window and the mute, and records the firing with its deliveries, all in
 * the caller's transaction, so a firing and the fact that caused it commit together.
 */
import type { Knex } from 'knex';
import type { AlertKind } from '../../lib/domain/alertRules';
import { isDebounced, isMuted } from '../../lib/domain/alertRules';

export interface AlertChannels {
  email: boolean;
  webhookIds: number[];
}

export interface AlertRuleRow {
  id: number;
  userId: number;
  name: string;
  kind: AlertKind;
  params: Record<string, unknown>;
  bloggerId: number | null;
  channels: AlertChannels;
  debounceMinutes: number;
  mutedUntil: Date | null;
  enabled: boolean;
  lastFiredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface AlertFiringRow {
  id: number;
  userId: number;
  ruleId: number;
  dedupeKey: string;
  subject: Record<string, unknown>;
  message: string;
  firedAt: Date;
  muted: boolean;
  channels: AlertChannels;
  emailStatus: 'pending' | 'sent' | 'failed' | null;
  emailSentAt: Date | null;
  emailError: string | null;
  createdAt: Date;
}

const json = (value: unknown) => JSON.stringify(value);

// ---------------------------------------------------------------- rules (API)

export function rulesOf(trx: Knex, userId: number) {
  return trx<AlertRuleRow>('alert_rules').where({ userId });
}

export async function findRule(trx: Knex, userId: number, id: number): Promise<AlertRuleRow | undefined> {
  return trx<AlertRuleRow>('alert_rules').where({ id, userId }).first();
}

export async function countRules(trx: Knex, userId: number): Promise<number> {
  const row = (await trx('alert_rules').where({ userId }).count('* as count').first()) as { count: string | number } | undefined;
  return Number(row?.count ?? 0);
}

export type NewAlertRule = Pick<
  AlertRuleRow,
  'userId' | 'name' | 'kind' | 'params' | 'bloggerId' | 'channels' | 'debounceMinutes' | 'mutedUntil' | 'enabled'
>;

export async function insertRule(trx: Knex, rule: NewAlertRule): Promise<AlertRuleRow> {
  const [row] = await trx<AlertRuleRow>('alert_rules')
    .insert({ ...rule, params: json(rule.params), channels: json(rule.channels) } as never)
    .returning('*');
  return row as AlertRuleRow;
}

export async function updateRule(trx: Knex, userId: number, id: number, patch: Partial<NewAlertRule>): Promise<AlertRuleRow | undefined> {
  const [row] = await trx<AlertRuleRow>('alert_rules')
    .where({ id, userId })
    .update({
      ...patch,
      ...(patch.params ? { params: json(patch.params) } : {}),
      ...(patch.channels ? { channels: json(patch.channels) } : {}),
      updatedAt: trx.fn.now(),
    } as never)
    .returning('*');
  return row as AlertRuleRow | undefined;
}

export async function deleteRule(trx: Knex, userId: number, id: number): Promise<boolean> {
  return (await trx('alert_rules').where({ id, userId }).delete()) > 0;
}

/** The user's webhook endpoints among `ids` (to check a rule's channels). */
export async function ownedWebhookIds(trx: Knex, userId: number, ids: number[]): Promise<number[]> {
  if (!ids.length) return [];
  return (await trx('webhook_endpoints').where({ userId }).whereIn('id', ids).select('id')).map((r: { id: number }) => r.id);
}

export function firingsOf(trx: Knex, userId: number, ruleId: number) {
  return trx<AlertFiringRow>('alert_firings').where({ userId, ruleId });
}

// ---------------------------------------------------------------- rules (alert engine)

/** The user's enabled rules of one kind that cover a blogger (rules for every blogger included). */
export async function enabledRulesForBlogger(trx: Knex, userId: number, kind: AlertKind, bloggerId: number): Promise<AlertRuleRow[]> {
  return trx<AlertRuleRow>('alert_rules')
    .where({ userId, kind, enabled: true })
    .where((q) => q.whereNull('bloggerId').orWhere('bloggerId', bloggerId))
    .orderBy('id');
}

/** Whether the user has any enabled rule of these kinds for the blogger (a cheap check before extra platform calls). */
export async function hasRulesForBlogger(trx: Knex, userId: number, kinds: AlertKind[], bloggerId: number): Promise<boolean> {
  const row = await trx('alert_rules')
    .where({ userId, enabled: true })
    .whereIn('kind', kinds)
    .where((q) => q.whereNull('bloggerId').orWhere('bloggerId', bloggerId))
    .select('id')
    .first();
  return row !== undefined;
}

/**
 * Enabled rules of a Trend Watch kind of every active user whose plan has Trend Watch (admin
 * scope: across tenants). The velocity check caches this per process for a minute.
 */
export async function enabledTrendWatchRules(trx: Knex, kind: AlertKind): Promise<AlertRuleRow[]> {
  return (await trx('alert_rules as r')
    .join('users as u', 'u.id', 'r.userId')
    .join('user_limits as l', 'l.plan', 'u.plan')
    .where({ 'r.kind': kind, 'r.enabled': true, 'u.isActive': true, 'l.trendWatchEnabled': true })
    .select('r.*')
    .orderBy('r.id')) as AlertRuleRow[];
}

// ---------------------------------------------------------------- firing

export interface FiringFact {
  dedupeKey: string;
  subject: Record<string, unknown>;
  message: string;
}

export interface RecordedFiring {
  firing: AlertFiringRow;
  rule: AlertRuleRow;
  /** False: the same fact fired already (a retried activity); its deliveries may still need starting. */
  created: boolean;
}

/**
 * Fires a rule for one fact at `now` (data time), in the caller's transaction (tenant scope of the
 * rule's user): null when the rule is gone or disabled, or the fact falls in the debounce window.
 */
export async function recordFiring(
  trx: Knex,
  ruleRef: { id: number; userId: number },
  fact: FiringFact,
  now: Date,
): Promise<RecordedFiring | null> {
  // The lock serialises firings of one rule: concurrent activities see each other's firing.
  const rule = await trx<AlertRuleRow>('alert_rules').where({ id: ruleRef.id, userId: ruleRef.userId }).forUpdate().first();
  if (!rule || !rule.enabled) return null;
  const existing = await trx<AlertFiringRow>('alert_firings').where({ ruleId: rule.id, dedupeKey: fact.dedupeKey }).first();
  if (existing) return { firing: existing, rule, created: false };

  const muted = isMuted(rule.mutedUntil ? new Date(rule.mutedUntil) : null, now);
  // The window slides from the rule's last firing of the same kind (delivered, or muted).
  const last = (await trx('alert_firings').where({ ruleId: rule.id, muted }).max('firedAt as max').first()) as
    { max: Date | null } | undefined;
  if (isDebounced(last?.max ? new Date(last.max) : null, now, rule.debounceMinutes)) return null;

  const channels: AlertChannels = muted ? { email: false, webhookIds: [] } : rule.channels;
  const [firing] = await trx<AlertFiringRow>('alert_firings')
    .insert({
      userId: rule.userId,
      ruleId: rule.id,
      dedupeKey: fact.dedupeKey,
      subject: json(fact.subject),
      message: fact.message,
      firedAt: now,
      muted,
      channels: json(channels),
      emailStatus: channels.email ? 'pending' : null,
    } as never)
    .returning('*');
  if (!muted) await trx('alert_rules').where({ id: rule.id }).update({ lastFiredAt: now });
  return { firing: firing as AlertFiringRow, rule, created: true };
}

/** The firing of a rule for a fact, if it fired (tests; an activity retry goes through recordFiring). */
export async function findFiring(trx: Knex, ruleId: number, dedupeKey: string): Promise<AlertFiringRow | undefined> {
  return trx<AlertFiringRow>('alert_firings').where({ ruleId, dedupeKey }).first();
}

/** A firing with its rule's name and its owner's address, for the alert's email. */
export async function firingForEmail(
  trx: Knex,
  userId: number,
  firingId: number,
): Promise<(AlertFiringRow & { ruleName: string; ruleKind: AlertKind; userEmail: string }) | undefined> {
  return (await trx('alert_firings as f')
    .join('alert_rules as r', 'r.id', 'f.ruleId')
    .join('users as u', 'u.id', 'f.userId')
    .where({ 'f.id': firingId, 'f.userId': userId })
    .select('f.*', 'r.name as ruleName', 'r.kind as ruleKind', 'u.email as userEmail')
    .first()) as (AlertFiringRow & { ruleName: string; ruleKind: AlertKind; userEmail: string }) | undefined;
}

export async function setEmailStatus(
  trx: Knex,
  userId: number,
  firingId: number,
  patch: { emailStatus: 'sent' | 'failed'; emailSentAt?: Date; emailError?: string | null },
): Promise<void> {
  await trx('alert_firings').where({ id: firingId, userId }).update(patch);
}

// ---------------------------------------------------------------- follower counts

/** The blogger link's follower count of a data day, if looked up. */
export async function followerCountOn(trx: Knex, bloggerId: number, platform: string, day: string): Promise<number | null> {
  const row = await trx('blogger_follower_counts').where({ bloggerId, platform, day }).select('followers').first();
  return row ? Number(row.followers) : null;
}

/** Records a day's follower count (the first lookup of the day stands). */
export async function recordFollowerCount(
  trx: Knex,
  row: { userId: number; bloggerId: number; platform: string; day: string; followers: number; fetchedAt: Date },
): Promise<void> {
  await trx('blogger_follower_counts').insert(row).onConflict(['bloggerId', 'platform', 'day']).ignore();
}

/** Firings whose email is still pending since before `olderThan` (admin scope, keyset pages by id): their start may have been lost. */
export function unsentAlertEmails(
  trx: Knex,
  { olderThan, afterId, limit }: { olderThan: Date; afterId: number; limit: number },
): PromiseLike<{ id: number; userId: number }[]> {
  return trx('alert_firings')
    .where('emailStatus', 'pending')
    .where('createdAt', '<', olderThan)
    .where('id', '>', afterId)
    .select('id', 'userId')
    .orderBy('id')
    .limit(limit);
}

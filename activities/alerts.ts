/**
 * The alert engine: the activities that see a fact (a blogger sync, a link check, a trend
 * analysis, a snapshot batch) hand it here, with the data they already have.
 *
 *  - evaluate: the rules of the fact's kind are tested with the pure tests of
 *    lib/domain/alertRules.ts;
 *  - record: each match becomes a firing in the caller's tenant transaction (recordFiring: rule row
 *    lock, dedupe key per triggering fact, sliding debounce window, mute), with a webhook delivery
 *    per endpoint of the rule and the email marked pending;
 *  - dispatch, after the commit: the `alert.fired` event for the rule's user, and one
 *    notificationDelivery workflow per delivery (idempotent starts). A retried activity finds its
 *    firings by their dedupe keys and starts what is missing; the notification sweep starts again
 *    every delivery whose start was lost (restartLostDeliveries).
 */
import type { Knex } from 'knex';
import { createDeliveries, pendingDeliveriesOfFiring, unstartedWebhookDeliveries } from '../db/queries/webhooks';
import {
  enabledRulesForBlogger,
  enabledTrendWatchRules,
  followerCountOn,
  hasRulesForBlogger,
  recordFiring,
  recordFollowerCount,
  unsentAlertEmails,
  type AlertFiringRow,
  type AlertRuleRow,
  type FiringFact,
  type RecordedFiring,
} from '../db/queries/alerts';
import { withTenant } from '../db/tenant';
import { publishEvent } from '../events/publish';
import {
  dedupeKeys,
  followerChangeFires,
  linkBrokenFires,
  trendMatches,
  velocityCrosses,
  videoOutlierFires,
  type AlertParams,
} from '../lib/domain/alertRules';
import type { CreatorRef, PlatformName } from '../lib/domain/platforms';
import { DEFAULT_WEBHOOK_SETTINGS } from '../lib/domain/webhookSettings';
import { newEventId } from '../notifications/webhookSignature';
import { withQuotaScope } from '../platforms/quota';
import type { PlatformLink } from '../db/models';
import { WEBHOOK_MAX_BACKOFF_FACTOR, type TrendAnalysisResult } from '../temporal/contract';
import { startNotificationDelivery, startWebhookDelivery } from '../temporal/starters';
import type { ActivityDeps } from './deps';
import type { WrittenSnapshot } from './snapshotBatch';

export type AlertDeps = Pick<ActivityDeps, 'db' | 'redis' | 'logger' | 'temporal' | 'taskQueue' | 'clock' | 'sseReplayEvents' | 'webhooks'>;

/** A rule and the fact it fires for. */
export interface AlertCandidate {
  rule: AlertRuleRow;
  fact: FiringFact;
}

// ---------------------------------------------------------------- payloads

/** What a firing says to its user: the SSE event's data, and the webhook payload's `data`. */
export function firingData(f: { firing: AlertFiringRow; rule: Pick<AlertRuleRow, 'id' | 'name' | 'kind'> }) {
  return {
    firingId: Number(f.firing.id),
    ruleId: f.rule.id,
    ruleName: f.rule.name,
    kind: f.rule.kind,
    firedAt: new Date(f.firing.firedAt).toISOString(),
    message: f.firing.message,
    subject: f.firing.subject,
  };
}

/** The webhook body of a firing (Standard Webhooks layout: type, timestamp, data). */
export function alertWebhookPayload(f: { firing: AlertFiringRow; rule: Pick<AlertRuleRow, 'id' | 'name' | 'kind'> }) {
  return { type: 'alert.fired', timestamp: new Date(f.firing.firedAt).toISOString(), data: firingData(f) };
}

// ---------------------------------------------------------------- record and dispatch

/**
 * Records the firings of the candidates at `now` (data time) in the caller's transaction, which
 * must be in the tenant scope of the rules' user (or admin), with their webhook deliveries.
 */
export async function recordFirings(trx: Knex, candidates: AlertCandidate[], now: Date): Promise<RecordedFiring[]> {
  const recorded: RecordedFiring[] = [];
  for (const { rule, fact } of candidates) {
    const r = await recordFiring(trx, rule, fact, now);
    if (!r) continue;
    if (!r.firing.muted && r.firing.channels.webhookIds.length) {
      await createDeliveries(trx, r.firing.userId, r.firing.channels.webhookIds, {
        firingId: Number(r.firing.id),
        eventType: 'alert.fired',
        payload: alertWebhookPayload(r),
        newEventId,
      });
    }
    recorded.push(r);
  }
  return recorded;
}

/** Starts a firing's email and each of its pending webhook deliveries (each its own workflow; starting twice is harmless). */
export async function startFiringDeliveries(deps: AlertDeps, firing: AlertFiringRow): Promise<void> {
  if (firing.muted) return;
  const { temporal, taskQueue } = deps;
  const settings = deps.webhooks ?? DEFAULT_WEBHOOK_SETTINGS;
  const userId = firing.userId;
  if (firing.emailStatus === 'pending') {
    await startNotificationDelivery(temporal, { taskQueue }, { channel: 'email', firingId: Number(firing.id), userId });
  }
  const pending = await withTenant(deps.db, { userId }, (trx) => pendingDeliveriesOfFiring(trx, userId, Number(firing.id)));
  for (const d of pending) await startWebhookDelivery(temporal, taskQueue, settings, { id: Number(d.id), userId });
}

/**
 * After the firings committed: the `alert.fired` event of each new firing (published once per
 * firing, even when the activity is retried), and the start of every delivery still pending.
 * Throws when Temporal cannot be reached, so the activity retries and finds its firings again.
 */
export async function dispatchFirings(deps: AlertDeps, recorded: RecordedFiring[]): Promise<void> {
  for (const r of recorded) {
    await publishEvent(deps, {
      type: 'alert.fired',
      audience: { userId: r.firing.userId },
      key: `alert.fired:${r.firing.id}`,
      data: { ...firingData(r), muted: r.firing.muted },
    });
    await startFiringDeliveries(deps, r.firing);
  }
}

/** Records and dispatches in one go, in the user's own tenant transaction (facts found outside a write transaction). */
export async function fireForUser(deps: AlertDeps, userId: number, candidates: AlertCandidate[], now: Date): Promise<RecordedFiring[]> {
  if (!candidates.length) return [];
  const recorded = await withTenant(deps.db, { userId }, (trx) => recordFirings(trx, candidates, now));
  await dispatchFirings(deps, recorded);
  return recorded;
}

/** How long a delivery may wait for its first attempt before its start is taken for lost. */
const LOST_START_MS = 60_000;
/** Deliveries restarted per page (one short admin-scope read each). */
const SWEEP_PAGE = 200;

/**
 * Starts again every delivery whose workflow start may have been lost: the process died between
 * the firing's commit and the start, or Temporal could not be reached. That is a webhook delivery
 * not attempted a minute after it was recorded, or silent for longer than its longest wait between
 * attempts (a redelivery whose start was lost), and an email still pending a minute after. Each
 * start attaches to a running delivery or runs a finished one that finds nothing left to do, so a
 * false alarm costs one call. Run by the notification-sweep schedule (workflows/notificationSweep.ts).
 */
export async function restartLostDeliveries(deps: AlertDeps): Promise<{ webhooks: number; emails: number }> {
  const settings = deps.webhooks ?? DEFAULT_WEBHOOK_SETTINGS;
  const now = Date.now();
  const neverTriedBefore = new Date(now - LOST_START_MS);
  const silentSince = new Date(now - (settings.retryInitialMs * WEBHOOK_MAX_BACKOFF_FACTOR + settings.timeoutMs + LOST_START_MS));
  const { taskQueue, temporal } = deps;
  const webhooks = await sweepPages(
    deps,
    (trx, afterId) => unstartedWebhookDeliveries(trx, { neverTriedBefore, silentSince, afterId, limit: SWEEP_PAGE }),
    (d) => startWebhookDelivery(temporal, taskQueue, settings, { id: Number(d.id), userId: d.userId }),
  );
  const emails = await sweepPages(
    deps,
    (trx, afterId) => unsentAlertEmails(trx, { olderThan: neverTriedBefore, afterId, limit: SWEEP_PAGE }),
    (f) => startNotificationDelivery(temporal, { taskQueue }, { channel: 'email', firingId: Number(f.id), userId: f.userId }),
  );
  if (webhooks + emails) deps.logger.info({ webhooks, emails }, 'alert deliveries whose start was lost started again');
  return { webhooks, emails };
}

/** Every row of a keyset-paged admin-scope read, each handed to `start`; returns how many. */
async function sweepPages<T extends { id: number }>(
  deps: AlertDeps,
  page: (trx: Knex, afterId: number) => PromiseLike<T[]>,
  start: (row: T) => Promise<unknown>,
): Promise<number> {
  let count = 0;
  for (let afterId = 0; ;) {
    const rows = await withTenant(deps.db, { admin: true }, (trx) => page(trx, afterId));
    for (const row of rows) await start(row);
    count += rows.length;
    if (rows.length < SWEEP_PAGE) return count;
    afterId = Number(rows[rows.length - 1]!.id);
  }
}

// ---------------------------------------------------------------- blogger facts (sync activity)

export interface SyncedVideo {
  platform: PlatformName;
  platformVideoId: string;
  title: string | null;
  url: string | null;
  views: number | null;
  viralScore: number | null;
  publishedAt: Date;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** video_outlier candidates among the videos a sync saw (each fires once per rule: its dedupe key is the video). */
export async function videoOutlierCandidates(
  trx: Knex,
  ctx: { userId: number; bloggerId: number; bloggerName: string; observedAt: Date },
  videos: SyncedVideo[],
): Promise<AlertCandidate[]> {
  if (!videos.length) return [];
  const rules = await enabledRulesForBlogger(trx, ctx.userId, 'video_outlier', ctx.bloggerId);
  const out: AlertCandidate[] = [];
  for (const rule of rules) {
    const params = rule.params as AlertParams['video_outlier'];
    for (const v of videos) {
      if (!videoOutlierFires(params, { viralScore: v.viralScore, publishedAt: v.publishedAt, observedAt: ctx.observedAt })) continue;
      const hours = (ctx.observedAt.getTime() - v.publishedAt.getTime()) / 3_600_000;
      out.push({
        rule,
        fact: {
          dedupeKey: dedupeKeys.videoOutlier(v.platform, v.platformVideoId),
          message: `${ctx.bloggerName}: "${v.title ?? v.platformVideoId}" has ${fmt(v.views ?? 0)} views, ${v.viralScore!.toFixed(1)}x the blogger's median, ${hours.toFixed(1)} h after publish.`,
          subject: {
            type: 'video',
            bloggerId: ctx.bloggerId,
            bloggerName: ctx.bloggerName,
            platform: v.platform,
            videoId: v.platformVideoId,
            title: v.title,
            url: v.url,
            views: v.views,
            viralScore: v.viralScore,
            publishedAt: v.publishedAt.toISOString(),
            hoursSincePublish: Math.round(hours * 10) / 10,
          },
        },
      });
    }
  }
  return out;
}

/** link_broken candidates for links that went broken in this step (brokenAt: when it was found, stable across retries). */
export async function linkBrokenCandidates(
  trx: Knex,
  ctx: { userId: number; bloggerId: number; bloggerName: string },
  broken: { platform: PlatformName; reason: string; brokenAt: string }[],
): Promise<AlertCandidate[]> {
  if (!broken.length) return [];
  const rules = await enabledRulesForBlogger(trx, ctx.userId, 'link_broken', ctx.bloggerId);
  const out: AlertCandidate[] = [];
  for (const rule of rules) {
    for (const b of broken) {
      if (!linkBrokenFires(rule.params as AlertParams['link_broken'], b.platform)) continue;
      out.push({
        rule,
        fact: {
          dedupeKey: dedupeKeys.linkBroken(ctx.bloggerId, b.platform, b.brokenAt),
          message: `${ctx.bloggerName}: the ${b.platform} link is broken: ${b.reason}`,
          subject: {
            type: 'link',
            bloggerId: ctx.bloggerId,
            bloggerName: ctx.bloggerName,
            platform: b.platform,
            reason: b.reason,
            brokenAt: b.brokenAt,
          },
        },
      });
    }
  }
  return out;
}

/** Whether the blogger's follower counts are worth a lookup today (an enabled follower_change rule covers it). */
export function wantsFollowerCounts(trx: Knex, userId: number, bloggerId: number): Promise<boolean> {
  return hasRulesForBlogger(trx, userId, ['follower_change'], bloggerId);
}

/** The data day (UTC) of an instant: follower counts are kept per day. */
export const dataDay = (at: Date) => at.toISOString().slice(0, 10);
const previousDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/**
 * Records today's follower counts (the first lookup of a data day stands) and returns the
 * follower_change candidates against the day before's counts. Re-evaluated from the stored
 * counts on every sync of the day, so a retried activity finds its firing by the day's key.
 */
export async function followerChangeCandidates(
  trx: Knex,
  ctx: { userId: number; bloggerId: number; bloggerName: string; day: string },
  lookups: { platform: PlatformName; followers: number | null; fetchedAt: Date }[],
  platforms: PlatformName[],
): Promise<AlertCandidate[]> {
  if (!lookups.length && !platforms.length) return [];
  for (const l of lookups) {
    if (l.followers === null) continue;
    await recordFollowerCount(trx, {
      userId: ctx.userId,
      bloggerId: ctx.bloggerId,
      platform: l.platform,
      day: ctx.day,
      followers: l.followers,
      fetchedAt: l.fetchedAt,
    });
  }
  const rules = await enabledRulesForBlogger(trx, ctx.userId, 'follower_change', ctx.bloggerId);
  if (!rules.length) return [];
  const out: AlertCandidate[] = [];
  for (const platform of platforms) {
    const current = await followerCountOn(trx, ctx.bloggerId, platform, ctx.day);
    const previous = current === null ? null : await followerCountOn(trx, ctx.bloggerId, platform, previousDay(ctx.day));
    if (current === null || previous === null) continue;
    for (const rule of rules) {
      const change = followerChangeFires(rule.params as AlertParams['follower_change'], { previous, current });
      if (!change) continue;
      const verb = change.change > 0 ? 'gained' : 'lost';
      out.push({
        rule,
        fact: {
          dedupeKey: dedupeKeys.followerChange(ctx.bloggerId, platform, ctx.day),
          message: `${ctx.bloggerName} ${verb} ${fmt(Math.abs(change.change))} ${platform} followers in a day (${fmt(previous)} → ${fmt(current)}${change.percent !== null ? `, ${change.percent.toFixed(1)} %` : ''}).`,
          subject: {
            type: 'followers',
            bloggerId: ctx.bloggerId,
            bloggerName: ctx.bloggerName,
            platform,
            day: ctx.day,
            previous,
            current,
            change: change.change,
            percent: change.percent,
          },
        },
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- Trend Watch facts

/** A trend an analysis run found new. */
export type NewTrend = TrendAnalysisResult['newTrends'][number];

/**
 * trend_match: new trends against every Trend Watch user's watched names, recorded in the
 * analysis's own transaction (admin scope), so a trend and its firings commit together. A retried
 * run finds its trends written and nothing new: the firings must not be left to it.
 */
export async function recordTrendMatches(trx: Knex, trends: NewTrend[], run: { at: string; now: Date }): Promise<RecordedFiring[]> {
  if (!trends.length) return [];
  const candidates: AlertCandidate[] = [];
  for (const rule of await enabledTrendWatchRules(trx, 'trend_match')) {
    for (const trend of trends) {
      if (!trendMatches(rule.params as AlertParams['trend_match'], trend)) continue;
      candidates.push({
        rule,
        fact: {
          dedupeKey: dedupeKeys.trendMatch(trend.kind, trend.name, run.at),
          message: `New trend: ${trend.kind} "${trend.name}" (one of your watched names).`,
          subject: { type: 'trend', kind: trend.kind, name: trend.name, score: trend.score, detectedAt: run.at },
        },
      });
    }
  }
  return recordFirings(trx, candidates, run.now);
}

/**
 * Dispatches firings committed by a step that a retry would not repeat (a retried analysis finds
 * nothing new): a failure is logged, not thrown, and the notification sweep starts the deliveries.
 */
export async function dispatchCommittedFirings(deps: AlertDeps, recorded: RecordedFiring[]): Promise<void> {
  try {
    await dispatchFirings(deps, recorded);
  } catch (err) {
    deps.logger.warn(
      { err: (err as Error).message, firings: recorded.map((r) => Number(r.firing.id)) },
      'alert deliveries not started; the notification sweep starts them',
    );
  }
}

/** How long a process keeps the active velocity rules (one query per minute, however many snapshots). */
const VELOCITY_RULES_TTL_MS = 60_000;

/**
 * velocity_threshold on the snapshot hot path: the active rules are read once per process per
 * minute and tested in memory against every written snapshot; only a crossing touches the
 * database (its firing, keyed per video, so telling of a snapshot again records nothing twice).
 * Throws when a crossing cannot be recorded or dispatched: the snapshot activities fail and retry,
 * and their retry tells of the same rows again, so no firing is lost to a crash or an outage.
 */
export class VelocityAlerts {
  private rules: AlertRuleRow[] = [];
  private loadedAt = -Infinity;
  private loading: Promise<AlertRuleRow[]> | null = null;

  constructor(
    private readonly deps: AlertDeps,
    private readonly ttlMs = VELOCITY_RULES_TTL_MS,
  ) {}

  private async activeRules(): Promise<AlertRuleRow[]> {
    if (Date.now() - this.loadedAt < this.ttlMs) return this.rules;
    this.loading ??= withTenant(this.deps.db, { admin: true }, (trx) => enabledTrendWatchRules(trx, 'velocity_threshold'))
      .then((rules) => {
        this.rules = rules;
        this.loadedAt = Date.now();
        return rules;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  async check(snapshots: WrittenSnapshot[]): Promise<number> {
    const rules = await this.activeRules();
    if (!rules.length) return 0;
    const byUser = new Map<number, AlertCandidate[]>();
    for (const s of snapshots) {
      for (const rule of rules) {
        const params = rule.params as AlertParams['velocity_threshold'];
        if (!velocityCrosses(params, s)) continue;
        const list = byUser.get(rule.userId) ?? [];
        list.push({
          rule,
          fact: {
            dedupeKey: dedupeKeys.velocity(s.trendVideoId),
            message: `A Trend Watch ${s.platform} video reached ${fmt(s.velocity!)} views/hour (your threshold: ${fmt(params.viewsPerHour)}).`,
            subject: {
              type: 'trend_video',
              trendVideoId: s.trendVideoId,
              platform: s.platform,
              videoId: s.platformVideoId,
              velocity: s.velocity,
              previousVelocity: s.previousVelocity,
              views: s.views,
              takenAt: s.takenAt.toISOString(),
            },
          },
        });
        byUser.set(rule.userId, list);
      }
    }
    let fired = 0;
    for (const [userId, candidates] of byUser) {
      fired += (await fireForUser(this.deps, userId, candidates, this.deps.clock.date())).filter((r) => r.created).length;
    }
    return fired;
  }
}

// ---------------------------------------------------------------- the blogger sync's hooks

type BloggerLinks = Partial<Record<PlatformName, PlatformLink & { ref?: CreatorRef }>>;

/** Links that went broken between `before` and `after`, with when (stable across retries where the caller gives `at`). */
export function newlyBrokenLinks(before: BloggerLinks | undefined, after: BloggerLinks, at: string) {
  return (Object.entries(after) as [PlatformName, PlatformLink][])
    .filter(([platform, link]) => link.state === 'broken' && before?.[platform]?.state !== 'broken')
    .map(([platform, link]) => ({ platform, reason: link.reason ?? 'unknown reason', brokenAt: at }));
}

/**
 * Today's follower counts of the blogger's working links, looked up only when a follower_change
 * rule covers the blogger and only once per link and data day (the tenant's quota share counts
 * it; a refused or failed lookup is skipped until the next sync).
 */
export async function lookUpFollowers(
  { db, platforms, logger }: Pick<ActivityDeps, 'db' | 'platforms' | 'logger'>,
  ctx: { userId: number; bloggerId: number; day: string },
  links: BloggerLinks,
  skip: Partial<Record<PlatformName, unknown>>,
): Promise<{ platform: PlatformName; followers: number | null; fetchedAt: Date }[]> {
  const { userId, bloggerId, day } = ctx;
  const wanted = (Object.entries(links) as [PlatformName, PlatformLink & { ref?: CreatorRef }][]).filter(
    ([platform, link]) => link.state === 'ok' && link.ref && !skip[platform] && platforms.enabled.includes(platform),
  );
  if (!wanted.length) return [];
  const due = await withTenant(db, { userId }, async (trx) => {
    if (!(await wantsFollowerCounts(trx, userId, bloggerId))) return [];
    const out: typeof wanted = [];
    for (const entry of wanted) if ((await followerCountOn(trx, bloggerId, entry[0], day)) === null) out.push(entry);
    return out;
  });
  const lookups: { platform: PlatformName; followers: number | null; fetchedAt: Date }[] = [];
  for (const [platform, link] of due) {
    try {
      const creator = await withQuotaScope({ tenantId: userId }, () => platforms.client(platform).resolveCreator(link.ref!));
      lookups.push({ platform, followers: creator.followers, fetchedAt: new Date(creator.fetchedAt) });
    } catch (err) {
      logger.info({ bloggerId, platform, err: (err as Error).message }, 'follower count not looked up today (tried again next sync)');
    }
  }
  return lookups;
}

/** Every blogger rule a sync can fire, evaluated in its write transaction (tenant scope). */
export async function syncAlertCandidates(
  trx: Knex,
  ctx: { userId: number; bloggerId: number; bloggerName: string; observedAt: Date },
  facts: {
    videos: SyncedVideo[];
    broken: { platform: PlatformName; reason: string; brokenAt: string }[];
    followers: { platform: PlatformName; followers: number | null; fetchedAt: Date }[];
    platforms: PlatformName[];
  },
): Promise<AlertCandidate[]> {
  return [
    ...(await videoOutlierCandidates(trx, ctx, facts.videos)),
    ...(await linkBrokenCandidates(trx, ctx, facts.broken)),
    ...(await followerChangeCandidates(trx, { ...ctx, day: dataDay(ctx.observedAt) }, facts.followers, facts.platforms)),
  ];
}

/** The alert engine's own activities (the rest of it runs inside the activities that see the facts). */
export function createAlertActivities(deps: AlertDeps) {
  return {
    restartLostDeliveries: () => restartLostDeliveries(deps),
  };
}

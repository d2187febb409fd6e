/**
 * Tracked bloggers, always inside the caller's tenant: every query runs in withTenant() (row-level
 * security) and names the user too, so another tenant's blogger is simply not found (404).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Clock } from '../../lib/clock';
import type { Config } from '../../lib/config';
import { bloggerSyncSettings } from '../../lib/domain/bloggerSyncSettings';
import { isTemporalUnavailable } from '../../temporal/client';
import { bloggerSyncWorkflowId, pauseSync, resumeSync, stopSync, syncNow } from '../../temporal/contract';
import { signalOrStartBloggerSync, startBloggerSync } from '../../temporal/starters';
import { createWithinPlanLimit } from '../../db/queries/planLimits';
import { uniqueViolation } from '../../db/errors';
import { Blogger, type PlatformLink } from '../../db/models';
import { countBloggers, findOwnedBlogger } from '../../db/queries/bloggers';
import { videosFetchedOn } from '../../db/queries/usage';
import { tenantQuota, type TenantQuota } from '../../db/queries/platformQuota';
import { withTenant } from '../../db/tenant';
import {
  PLATFORM_NAMES,
  PLATFORM_URL_FIELDS,
  PLATFORMS,
  type PlatformName,
  type PlatformUrlColumn,
  type PlatformUrlField,
} from '../../lib/domain/platforms';
import { parseCreatorUrl, PlatformUrlError } from '../../lib/domain/platformUrls';
import { budgetDay, syncCallEstimate } from '../../lib/domain/syncCadence';
import { ConflictError, NotFoundError, TemporalUnavailableError, TooManyRequestsError, ValidationError } from '../../lib/errors';
import { quotaBucketOf } from '../../platforms';
import { QuotaLedger } from '../../platforms/quota';
import { pageWithTotal } from '../../db/queries/paging';
import { retireBloggerCache } from '../../lib/redis';
import type { AuthUser } from '../middleware/auth';
import { toPage } from '../pagination';
import type { CreateBloggerBody, ListBloggersQuery, UpdateBloggerBody } from './schema';

type Owner = Pick<AuthUser, 'id' | 'plan' | 'limits'>;

/** The columns one platform's URL sets (or clears, for null). */
function platformColumns(
  platform: PlatformName,
  url: string | null,
): { columns: Partial<Blogger>; link?: PlatformLink & { ref: unknown } } {
  const { urlField, columns } = PLATFORMS[platform];
  if (url === null) {
    return { columns: Object.fromEntries([columns.url, ...columns.ids].map((c) => [c, null])) };
  }
  let parsed;
  try {
    parsed = parseCreatorUrl(platform, url);
  } catch (err) {
    if (err instanceof PlatformUrlError)
      throw new ValidationError(`Invalid request: body.${urlField}: ${err.message}`, [{ path: `body.${urlField}`, message: err.message }]);
    throw err;
  }
  const { ref, canonicalUrl } = parsed;
  return { link: { state: 'pending', ref }, columns: { [columns.url]: canonicalUrl, ...PLATFORMS[ref.platform].idColumns(ref) } };
}

/** Parses every URL the body names; the links of changed platforms start over as pending. */
function applyUrls(body: Partial<Record<PlatformUrlField, string | null | undefined>>, links: Blogger['platformLinks']) {
  const columns: Partial<Blogger> = {};
  const nextLinks = { ...links };
  for (const platform of PLATFORM_NAMES) {
    const value = body[PLATFORMS[platform].urlField];
    if (value === undefined) continue;
    const { columns: set, link } = platformColumns(platform, value);
    Object.assign(columns, set);
    if (link) nextLinks[platform] = link;
    else delete nextLinks[platform];
  }
  return { columns, links: nextLinks };
}

export function publicBlogger(b: Blogger) {
  return {
    id: b.id,
    name: b.name,
    ...(Object.fromEntries(PLATFORM_NAMES.map((p) => [PLATFORMS[p].columns.url, b[PLATFORMS[p].columns.url] ?? null])) as Record<
      PlatformUrlColumn,
      string | null
    >),
    platforms: Object.fromEntries(
      Object.entries(b.platformLinks ?? {}).map(([p, link]) => [
        p,
        {
          state: link.state,
          reason: link.reason ?? null,
          resolvedId: link.resolvedId ?? null,
          ...(link.retryAt ? { retryAt: link.retryAt } : {}),
        },
      ]),
    ),
    isActive: b.isActive,
    sync: { status: b.syncStatus, lastSyncedAt: b.lastSyncedAt ?? null, nextSyncAt: b.nextSyncAt ?? null },
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}

/** Turns a unique violation into a 409 that names the creator the user already tracks. */
function duplicate(err: unknown): never {
  const violation = uniqueViolation(err);
  if (violation) {
    const platform = PLATFORM_NAMES.find((p) => violation.constraint.includes(p)) ?? PLATFORM_NAMES[0];
    throw new ConflictError(`You already track this ${PLATFORMS[platform].label} in another blogger.`, { platform });
  }
  throw err;
}

export interface BloggerDeps {
  db: Knex;
  config: Config;
  temporal: { client: Client };
  clock: Clock;
}

/** A Temporal call from a request waits this long at most (its client otherwise retries ~20 s). */
const TEMPORAL_CALL_DEADLINE_MS = 5000;

/** Runs a Temporal call with a deadline; an unreachable Temporal becomes a 503 temporal_unavailable. */
async function temporalCall<T>({ temporal }: BloggerDeps, call: (client: Client) => Promise<T>): Promise<T> {
  try {
    return await temporal.client.connection.withDeadline(Date.now() + TEMPORAL_CALL_DEADLINE_MS, () => call(temporal.client));
  } catch (err) {
    if (isTemporalUnavailable(err)) throw new TemporalUnavailableError();
    throw err;
  }
}

const syncOptions = (config: Config) => ({ taskQueue: config.TEMPORAL_TASK_QUEUE, settings: bloggerSyncSettings(config) });

/**
 * Adds a blogger and starts its sync; the first data follows asynchronously. When the sync cannot
 * be started (Temporal unreachable: 503 temporal_unavailable) the row is rolled back, so the
 * same request can simply be retried. (Should the roll-back itself fail, the reconciler starts
 * the sync of the row that stayed.)
 */
export async function createBlogger(deps: BloggerDeps, owner: Owner, body: CreateBloggerBody) {
  const { db, config } = deps;
  const { columns, links } = applyUrls(body, {});
  let blogger: Blogger;
  try {
    blogger = await withTenant(db, { userId: owner.id }, (trx) =>
      createWithinPlanLimit(trx, {
        userId: owner.id,
        plan: owner.plan,
        resource: 'bloggers',
        limit: owner.limits.maxBloggers,
        noun: ['blogger', 'bloggers'],
        count: (t) => countBloggers(t, owner.id),
        create: (t) =>
          Blogger.query(t).insertAndFetch({ ...columns, userId: owner.id, name: body.name, platformLinks: links, syncStatus: 'pending' }),
      }),
    );
  } catch (err) {
    return duplicate(err);
  }
  try {
    await temporalCall(deps, (client) => startBloggerSync(client, syncOptions(config), { bloggerId: blogger.id, userId: owner.id }));
  } catch (err) {
    await withTenant(db, { userId: owner.id }, (trx) => Blogger.query(trx).deleteById(blogger.id).where('userId', owner.id)).catch(
      () => undefined,
    );
    throw err;
  }
  return publicBlogger(blogger);
}

async function findOwned(trx: Knex, owner: Owner, id: number): Promise<Blogger> {
  const blogger = await findOwnedBlogger(trx, owner.id, id);
  if (!blogger) throw new NotFoundError('Blogger');
  return blogger;
}

export async function getBlogger(db: Knex, owner: Owner, id: number) {
  return withTenant(db, { userId: owner.id }, async (trx) => publicBlogger(await findOwned(trx, owner, id)));
}

const SORTS = { created: 'createdAt', name: 'name' } as const;

export async function listBloggers(db: Knex, owner: Owner, q: ListBloggersQuery) {
  return withTenant(db, { userId: owner.id }, async (trx) => {
    const query = Blogger.query(trx).where('userId', owner.id);
    if (q.platform) query.whereNotNull(PLATFORMS[q.platform].columns.url);
    if (q.active !== undefined) query.where('isActive', q.active);
    const descending = q.sort.startsWith('-');
    query.orderBy(SORTS[q.sort.replace(/^-/, '') as keyof typeof SORTS], descending ? 'desc' : 'asc').orderBy('id');
    const { results, total } = await pageWithTotal(query, q.page, q.limit);
    return toPage(results.map(publicBlogger), total, q.page, q.limit);
  });
}

/**
 * A signal that only hurries the workflow along (it would notice by itself at its next step):
 * a missing workflow or an unreachable Temporal is not the caller's problem.
 */
async function nudge(deps: BloggerDeps, call: (client: Client) => Promise<void>): Promise<void> {
  await temporalCall(deps, call).catch((err: unknown) => {
    if (!(err instanceof WorkflowNotFoundError) && !(err instanceof TemporalUnavailableError)) throw err;
  });
}

export async function updateBlogger(deps: BloggerDeps, owner: Owner, id: number, body: UpdateBloggerBody) {
  const { db } = deps;
  let wasActive = true;
  let updated;
  try {
    updated = await withTenant(db, { userId: owner.id }, async (trx) => {
      const current = await findOwned(trx, owner, id);
      wasActive = current.isActive;
      const { columns, links } = applyUrls(body, current.platformLinks ?? {});
      const next = { ...current, ...columns };
      if (!PLATFORM_NAMES.some((p) => next[PLATFORMS[p].columns.url])) {
        throw new ValidationError(`A blogger needs at least one of ${PLATFORM_URL_FIELDS.join(', ')}.`, [
          { path: 'body', message: 'no profile URL would be left' },
        ]);
      }
      const updated = await Blogger.query(trx).patchAndFetchById(id, {
        ...columns,
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.isActive !== undefined ? { isActive: body.isActive } : {}),
        ...(body.isActive === false ? { nextSyncAt: null } : {}),
        platformLinks: links,
      });
      return publicBlogger(updated);
    });
  } catch (err) {
    return duplicate(err);
  }
  const handle = (client: Client) => client.workflow.getHandle(bloggerSyncWorkflowId(id));
  if (!updated.isActive) {
    // Deactivated: the sync ends now (each sync step also checks, should this signal be lost).
    if (wasActive) await nudge(deps, (client) => handle(client).signal(stopSync));
  } else if (!wasActive) {
    // Re-activated: the sync starts again (or, with Temporal unreachable, at the reconciler's next run).
    await nudge(deps, (client) => startBloggerSync(client, syncOptions(deps.config), { bloggerId: id, userId: owner.id }));
  } else if (PLATFORM_URL_FIELDS.some((f) => body[f] !== undefined)) {
    // A changed URL is resolved by the next sync: ask for it now.
    await nudge(deps, (client) => handle(client).signal(syncNow));
  }
  return updated;
}

export async function deleteBlogger(deps: BloggerDeps & { redis: Redis }, owner: Owner, id: number): Promise<void> {
  await withTenant(deps.db, { userId: owner.id }, async (trx) => {
    await findOwned(trx, owner, id);
    await Blogger.query(trx).deleteById(id); // its video history cascades
  });
  // Cached answers are served to their owner without PostgreSQL: retire them (stats.ts).
  await retireBloggerCache(deps.redis, id);
  // Already ended: nothing to stop. A sync that runs anyway finds the blogger gone and ends.
  await nudge(deps, (client) => client.workflow.getHandle(bloggerSyncWorkflowId(id)).signal(stopSync));
}

export interface ManualSyncAnswer {
  /** Whether a sync was woken; when not, `reason` says why and nothing was spent. */
  queued: boolean;
  reason?: 'budget_exhausted' | 'quota_share_spent' | 'not_due';
  message: string;
  lastSyncedAt: Date | null;
  nextSyncAt: Date | null;
  /** When a manual sync would be worth asking for again (budget day, quota reset, freshness). */
  retryAt?: string;
  /** The caller's share of each quota-limited platform this blogger uses. */
  quota?: TenantQuota[];
}

const manualSyncKey = (bloggerId: number) => `sync:manual:${bloggerId}`;

/** Links whose platform may be called by a sync: in use, new, or due for a retry. */
const usableLink = (link: PlatformLink, now: number) =>
  link.state !== 'broken' || (link.retryAt !== undefined && Date.parse(link.retryAt) <= now);
const linkNeedsResolving = (link: PlatformLink, now: number) =>
  link.state === 'pending' || (link.state === 'broken' && usableLink(link, now));

/** An inactive blogger has no sync to wake, pause or resume: 409 saying how to bring it back. */
function assertActive(blogger: { isActive: boolean }): void {
  if (!blogger.isActive) throw new ConflictError('This blogger is inactive: set isActive to true to sync it again.');
}

/**
 * POST /api/bloggers/:id/sync — a manual sync, cheap unless it has work to do. An inactive blogger
 * is a 409. It answers 202 without waking the sync when the owner's video budget for the day is spent,
 * the owner's share of every platform quota it needs is spent, or the blogger was synced within
 * BLOGGER_MANUAL_SYNC_MINUTES (and no new link waits); otherwise it wakes the sync, at most once
 * per BLOGGER_MANUAL_SYNC_MINUTES per blogger (429 with Retry-After in between).
 */
export async function requestSync(deps: BloggerDeps & { redis: Redis }, owner: Owner, id: number): Promise<ManualSyncAnswer> {
  const { db, config, redis, clock } = deps;
  const now = clock.now();
  const { day, nextDayAt } = budgetDay(now);
  const { blogger, videosToday } = await withTenant(db, { userId: owner.id }, async (trx) => ({
    blogger: await findOwned(trx, owner, id),
    videosToday: await videosFetchedOn(trx, owner.id, day),
  }));
  const times = { lastSyncedAt: blogger.lastSyncedAt ?? null, nextSyncAt: blogger.nextSyncAt ?? null };
  const links = Object.entries(blogger.platformLinks ?? {}) as [PlatformName, PlatformLink][];

  // Not a sync that is merely not due: there is no sync to wake until the blogger is active again.
  assertActive(blogger);
  const budget = owner.limits.maxVideosPerDay;
  if (budget >= 0 && videosToday >= budget) {
    return {
      queued: false,
      reason: 'budget_exhausted',
      ...times,
      retryAt: new Date(nextDayAt).toISOString(),
      message: `Your ${owner.plan} plan's ${budget} videos for ${day} are fetched; syncs resume at ${new Date(nextDayAt).toISOString()}.`,
    };
  }
  const ledger = new QuotaLedger(redis, () => clock.date());
  const quota: TenantQuota[] = [];
  let unlimited = false;
  for (const [platform] of links.filter(([, l]) => usableLink(l, now))) {
    const bucket = quotaBucketOf(config, platform);
    const demand = {
      callsPerSync: syncCallEstimate(platform, config.BLOGGER_MAX_VIDEOS_PER_SYNC),
      syncIntervalMs: config.BLOGGER_SYNC_MINUTES * 60_000,
    };
    if (bucket) quota.push(await tenantQuota(db, ledger, bucket, owner.id, demand, now));
    else unlimited = true;
  }
  const needed = (q: TenantQuota) => syncCallEstimate(q.platform, config.BLOGGER_MAX_VIDEOS_PER_SYNC);
  if (!unlimited && quota.length > 0 && quota.every((q) => q.yourAllowance < needed(q))) {
    const resetAt = quota.map((q) => q.resetAt).sort()[0]!;
    return {
      queued: false,
      reason: 'quota_share_spent',
      ...times,
      retryAt: resetAt,
      quota,
      message: `Your share of today's platform quota is spent (${quota.map((q) => `${q.platform}: you used ${q.usedByYou} of ${q.limit} ${q.bucket}, ${q.tenants} tenant(s) share them`).join('; ')}); syncs resume after ${resetAt}.`,
    };
  }
  const minGapMs = config.BLOGGER_MANUAL_SYNC_MINUTES * 60_000;
  const fresh = blogger.lastSyncedAt && now - blogger.lastSyncedAt.getTime() < minGapMs;
  if (fresh && !links.some(([, l]) => linkNeedsResolving(l, now))) {
    const dueAt = new Date(blogger.lastSyncedAt!.getTime() + minGapMs).toISOString();
    return {
      queued: false,
      reason: 'not_due',
      ...times,
      retryAt: dueAt,
      ...(quota.length ? { quota } : {}),
      message: `Nothing is due: this blogger was synced at ${blogger.lastSyncedAt!.toISOString()}; the next sync is planned for ${times.nextSyncAt?.toISOString() ?? 'soon'}, and a manual sync is possible from ${dueAt}.`,
    };
  }
  await claimManualSync(redis, id, minGapMs, config.BLOGGER_MANUAL_SYNC_MINUTES);
  try {
    // A blogger whose workflow is missing gets one started, with the sync asked of it.
    await temporalCall(deps, (client) =>
      signalOrStartBloggerSync(client, syncOptions(config), { bloggerId: id, userId: owner.id }, syncNow),
    );
  } catch (err) {
    await redis.del(manualSyncKey(id)).catch(() => undefined);
    throw err;
  }
  return { queued: true, message: 'A sync of this blogger starts now.', ...times, ...(quota.length ? { quota } : {}) };
}

/** At most one manual sync per blogger per window (SET NX: concurrent requests, one winner); 429 otherwise. */
async function claimManualSync(redis: Redis, bloggerId: number, windowMs: number, minutes: number): Promise<void> {
  let claimed: string | null;
  let leftMs: number;
  try {
    claimed = await redis.set(manualSyncKey(bloggerId), '1', 'PX', Math.max(1, Math.round(windowMs)), 'NX');
    leftMs = claimed ? 0 : await redis.pttl(manualSyncKey(bloggerId));
  } catch {
    return; // Redis down: the sync's own quota checks still bound what it spends.
  }
  if (claimed) return;
  const seconds = Math.max(1, Math.ceil(leftMs / 1000));
  throw new TooManyRequestsError(
    `This blogger was asked to sync moments ago; a blogger can be synced manually once per ${minutes} minutes. Retry in ${seconds} s (its scheduled syncs go on meanwhile).`,
    seconds,
  );
}

/**
 * Pause or resume the blogger's sync workflow (404 for another tenant's blogger). A
 * blogger whose workflow is missing gets one started, with the signal delivered to it; an
 * inactive blogger has no sync to steer (409).
 */
export async function signalSync(deps: BloggerDeps, owner: Owner, id: number, action: 'pause' | 'resume'): Promise<void> {
  assertActive(await getBlogger(deps.db, owner, id));
  const signal = action === 'pause' ? pauseSync : resumeSync;
  await temporalCall(deps, (client) =>
    signalOrStartBloggerSync(client, syncOptions(deps.config), { bloggerId: id, userId: owner.id }, signal),
  );
}

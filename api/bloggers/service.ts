/**
 * Tracked bloggers, always inside the caller's tenant: every query runs in withTenant() (row-level
 * security) and names the user too, so another tenant's blogger is simply not found (404).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import type { Config } from '../../lib/config';
import { bloggerSyncSettings } from '../../lib/domain/bloggerSyncSettings';
import { signalOrStartBloggerSync, startBloggerSync } from '../../temporal/bloggerSyncs';
import { isTemporalUnavailable } from '../../temporal/errors';
import { bloggerSyncWorkflowId } from '../../temporal/workflowIds';
import { stopSync, syncNow } from '../../workflows/bloggerSync';
import { createWithinPlanLimit } from '../../db/queries/planLimits';
import { Blogger, type Platform, type PlatformLink } from '../../db/models';
import { withTenant } from '../../db/tenant';
import { parseCreatorUrl, PlatformUrlError } from '../../lib/domain/platformUrls';
import { ConflictError, NotFoundError, TemporalUnavailableError, ValidationError } from '../../lib/errors';
import type { AuthUser } from '../middleware/auth';
import { toPage } from '../pagination';
import type { CreateBloggerBody, ListBloggersQuery, UpdateBloggerBody } from './schema';

type Owner = Pick<AuthUser, 'id' | 'plan' | 'limits'>;

const PLATFORM_LABEL: Record<Platform, string> = { youtube: 'YouTube channel', tiktok: 'TikTok account', instagram: 'Instagram account' };
const URL_FIELD = { youtube: 'youtube_url', tiktok: 'tiktok_url', instagram: 'instagram_url' } as const;

/** The columns one platform's URL sets (or clears, for null). */
function platformColumns(platform: Platform, url: string | null): { columns: Partial<Blogger>; link?: PlatformLink & { ref: unknown } } {
  if (url === null) {
    const cleared = { youtube: { youtubeUrl: null, youtubeChannelId: null, youtubeHandle: null }, tiktok: { tiktokUrl: null, tiktokUsername: null }, instagram: { instagramUrl: null, instagramUsername: null } };
    return { columns: cleared[platform] };
  }
  let parsed;
  try {
    parsed = parseCreatorUrl(platform, url);
  } catch (err) {
    if (err instanceof PlatformUrlError) throw new ValidationError(`Invalid request: body.${URL_FIELD[platform]}: ${err.message}`, [{ path: `body.${URL_FIELD[platform]}`, message: err.message }]);
    throw err;
  }
  const { ref, canonicalUrl } = parsed;
  const link = { state: 'pending' as const, ref };
  switch (ref.platform) {
    case 'youtube':
      return { link, columns: { youtubeUrl: canonicalUrl, youtubeChannelId: ref.kind === 'channelId' ? ref.value : null, youtubeHandle: ref.kind === 'channelId' ? null : ref.value } };
    case 'tiktok':
      return { link, columns: { tiktokUrl: canonicalUrl, tiktokUsername: ref.value } };
    case 'instagram':
      return { link, columns: { instagramUrl: canonicalUrl, instagramUsername: ref.value } };
  }
}

/** Parses every URL the body names; the links of changed platforms start over as pending. */
function applyUrls(body: Partial<Record<(typeof URL_FIELD)[Platform], string | null | undefined>>, links: Blogger['platformLinks']) {
  const columns: Partial<Blogger> = {};
  const nextLinks = { ...links };
  for (const platform of Object.keys(URL_FIELD) as Platform[]) {
    const value = body[URL_FIELD[platform]];
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
    youtubeUrl: b.youtubeUrl ?? null,
    tiktokUrl: b.tiktokUrl ?? null,
    instagramUrl: b.instagramUrl ?? null,
    platforms: Object.fromEntries(Object.entries(b.platformLinks ?? {}).map(([p, link]) => [p, { state: link.state, reason: link.reason ?? null, resolvedId: link.resolvedId ?? null }])),
    isActive: b.isActive,
    sync: { status: b.syncStatus, lastSyncedAt: b.lastSyncedAt ?? null, nextSyncAt: b.nextSyncAt ?? null },
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}

/** Turns a unique violation into a 409 that names the creator the user already tracks. */
function duplicate(err: unknown): never {
  // The per-user uniques are expression indexes (lower(...)): PostgreSQL reports 23505 with the
  // index name, which objection surfaces as a plain constraint violation.
  const native = (err as { nativeError?: { code?: string; constraint?: string } }).nativeError;
  if (err instanceof UniqueViolationError || native?.code === '23505') {
    const constraint = native?.constraint ?? (err as { constraint?: string }).constraint ?? '';
    const platform = (['youtube', 'tiktok', 'instagram'] as Platform[]).find((p) => constraint.includes(p)) ?? 'youtube';
    throw new ConflictError(`You already track this ${PLATFORM_LABEL[platform]} in another blogger.`, { platform });
  }
  throw err;
}

export interface BloggerDeps {
  db: Knex;
  config: Config;
  temporal: { client: Client };
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
        userId: owner.id, plan: owner.plan, resource: 'bloggers', limit: owner.limits.maxBloggers, noun: 'bloggers',
        count: (t) => Blogger.query(t).where('userId', owner.id).resultSize(),
        create: (t) => Blogger.query(t).insertAndFetch({ ...columns, userId: owner.id, name: body.name, platformLinks: links, syncStatus: 'pending' }),
      }));
  } catch (err) {
    return duplicate(err);
  }
  try {
    await temporalCall(deps, (client) => startBloggerSync(client, syncOptions(config), { bloggerId: blogger.id, userId: owner.id }));
  } catch (err) {
    await withTenant(db, { userId: owner.id }, (trx) => Blogger.query(trx).deleteById(blogger.id).where('userId', owner.id)).catch(() => undefined);
    throw err;
  }
  return publicBlogger(blogger);
}

async function findOwned(trx: Knex, owner: Owner, id: number): Promise<Blogger> {
  const blogger = await Blogger.query(trx).findById(id).where('userId', owner.id);
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
    if (q.platform) query.whereNotNull(`${q.platform}Url`);
    if (q.active !== undefined) query.where('isActive', q.active);
    const descending = q.sort.startsWith('-');
    query.orderBy(SORTS[q.sort.replace(/^-/, '') as keyof typeof SORTS], descending ? 'desc' : 'asc').orderBy('id');
    const { results, total } = await query.page(q.page - 1, q.limit);
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
      if (!next.youtubeUrl && !next.tiktokUrl && !next.instagramUrl) {
        throw new ValidationError('A blogger needs at least one of youtube_url, tiktok_url, instagram_url.', [{ path: 'body', message: 'no profile URL would be left' }]);
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
  } else if (body.youtube_url !== undefined || body.tiktok_url !== undefined || body.instagram_url !== undefined) {
    // A changed URL is resolved by the next sync: ask for it now.
    await nudge(deps, (client) => handle(client).signal(syncNow));
  }
  return updated;
}

export async function deleteBlogger(deps: BloggerDeps, owner: Owner, id: number): Promise<void> {
  await withTenant(deps.db, { userId: owner.id }, async (trx) => {
    await findOwned(trx, owner, id);
    await Blogger.query(trx).deleteById(id); // its video history cascades
  });
  // Already ended: nothing to stop. A sync that runs anyway finds the blogger gone and ends.
  await nudge(deps, (client) => client.workflow.getHandle(bloggerSyncWorkflowId(id)).signal(stopSync));
}

/**
 * Sync now, pause or resume the blogger's sync workflow (404 for another tenant's blogger). A
 * blogger whose workflow is missing gets one started, with the signal delivered to it; an
 * inactive blogger has no sync to steer (409).
 */
export async function signalSync(deps: BloggerDeps, owner: Owner, id: number, action: 'sync' | 'pause' | 'resume'): Promise<void> {
  const blogger = await getBlogger(deps.db, owner, id);
  if (!blogger.isActive) throw new ConflictError('This blogger is inactive: set isActive to true to sync it again.');
  await temporalCall(deps, (client) => signalOrStartBloggerSync(client, syncOptions(deps.config), { bloggerId: id, userId: owner.id }, action === 'sync' ? 'syncNow' : action));
}

/**
 * Tracked bloggers, always inside the caller's tenant: every query runs in withTenant() (row-level
 * security) and names the user too, so another tenant's blogger is simply not found (404).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import type { Config } from '../../lib/config';
import { BLOGGER_ID, USER_ID } from '../../temporal/searchAttributes';
import { bloggerSyncWorkflowId } from '../../temporal/workflowIds';
import type { BloggerSyncInput } from '../../workflows/bloggerSync';
import { createWithinPlanLimit } from '../../db/queries/planLimits';
import { Blogger, type Platform, type PlatformLink } from '../../db/models';
import { withTenant } from '../../db/tenant';
import { parseCreatorUrl, PlatformUrlError } from '../../lib/domain/platformUrls';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors';
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

/** The sync workflow's settings from configuration (intervals scaled by TIME_SCALE). */
export function bloggerSyncInput(config: Config, bloggerId: number, userId: number): BloggerSyncInput {
  return {
    bloggerId, userId,
    syncIntervalMs: Math.max(1, (config.BLOGGER_SYNC_MINUTES * 60_000) / config.TIME_SCALE),
    lookbackMs: (config.BLOGGER_LOOKBACK_DAYS * 86_400_000) / config.TIME_SCALE,
    maxVideos: config.BLOGGER_MAX_VIDEOS_PER_SYNC,
  };
}

/** Starts (or finds) the blogger's sync workflow; the first data follows asynchronously. */
async function startSync({ config, temporal }: BloggerDeps, bloggerId: number, userId: number): Promise<void> {
  await temporal.client.workflow.start('bloggerSync', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: bloggerSyncWorkflowId(bloggerId),
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [bloggerSyncInput(config, bloggerId, userId)],
    typedSearchAttributes: [{ key: USER_ID, value: userId }, { key: BLOGGER_ID, value: bloggerId }],
  });
}

export async function createBlogger({ db, ...rest }: BloggerDeps, owner: Owner, body: CreateBloggerBody) {
  const { columns, links } = applyUrls(body, {});
  try {
    const blogger = await withTenant(db, { userId: owner.id }, (trx) =>
      createWithinPlanLimit(trx, {
        userId: owner.id, plan: owner.plan, resource: 'bloggers', limit: owner.limits.maxBloggers, noun: 'bloggers',
        count: (t) => Blogger.query(t).where('userId', owner.id).resultSize(),
        create: (t) => Blogger.query(t).insertAndFetch({ ...columns, userId: owner.id, name: body.name, platformLinks: links, syncStatus: 'pending' }),
      }));
    await startSync({ db, ...rest }, blogger.id, owner.id);
    return publicBlogger(blogger);
  } catch (err) {
    return duplicate(err);
  }
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

export async function updateBlogger(deps: BloggerDeps, owner: Owner, id: number, body: UpdateBloggerBody) {
  const { db } = deps;
  try {
    const updated = await withTenant(db, { userId: owner.id }, async (trx) => {
      const current = await findOwned(trx, owner, id);
      const { columns, links } = applyUrls(body, current.platformLinks ?? {});
      const next = { ...current, ...columns };
      if (!next.youtubeUrl && !next.tiktokUrl && !next.instagramUrl) {
        throw new ValidationError('A blogger needs at least one of youtube_url, tiktok_url, instagram_url.', [{ path: 'body', message: 'no profile URL would be left' }]);
      }
      const updated = await Blogger.query(trx).patchAndFetchById(id, {
        ...columns,
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.isActive !== undefined ? { isActive: body.isActive } : {}),
        platformLinks: links,
      });
      return publicBlogger(updated);
    });
    // A changed URL is resolved by the next sync: ask for it now.
    if (body.youtube_url !== undefined || body.tiktok_url !== undefined || body.instagram_url !== undefined) {
      await deps.temporal.client.workflow.getHandle(bloggerSyncWorkflowId(id)).signal('syncNow').catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
    }
    return updated;
  } catch (err) {
    return duplicate(err);
  }
}

export async function deleteBlogger({ db, temporal }: BloggerDeps, owner: Owner, id: number): Promise<void> {
  await withTenant(db, { userId: owner.id }, async (trx) => {
    await findOwned(trx, owner, id);
    await Blogger.query(trx).deleteById(id); // its video history cascades
  });
  try {
    await temporal.client.workflow.getHandle(bloggerSyncWorkflowId(id)).signal('stop');
  } catch (err) {
    // Already ended: nothing to stop. (A sync that runs anyway finds the blogger gone and ends.)
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/** Sync now, pause or resume the blogger's sync workflow (404 for another tenant's blogger). */
export async function signalSync({ db, temporal }: BloggerDeps, owner: Owner, id: number, action: 'sync' | 'pause' | 'resume'): Promise<void> {
  await getBlogger(db, owner, id);
  try {
    await temporal.client.workflow.getHandle(bloggerSyncWorkflowId(id)).signal(action === 'sync' ? 'syncNow' : action);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new ConflictError('This blogger has no running sync; it starts again when the blogger is re-created.');
    throw err;
  }
}

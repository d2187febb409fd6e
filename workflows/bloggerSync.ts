/**
 * bloggerSync: one durable workflow per tracked blogger (id blogger-sync:{bloggerId}). Resolves the
 * blogger's platform links, then on every interval pulls new videos and fresh metrics for the ones
 * that are due (young videos often, old ones rarely), within the owner's daily video budget: over
 * budget it waits for the next budget day instead of failing. Ends when the blogger or its owner
 * is deleted, or on the `stop` signal; continues as new before its history grows large.
 *
 * Signals: syncNow, pause, resume, stop. Query: state.
 */
import {
  ActivityFailure, ApplicationFailure, condition, continueAsNew, defineQuery, defineSignal, log, proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';

const activities = proxyActivities<Activities>({
  // A sync is a few platform pages and one transaction; a lost worker's attempt is retried soon.
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

export interface BloggerSyncInput {
  bloggerId: number;
  userId: number;
  syncIntervalMs: number;
  lookbackMs: number;
  maxVideos: number;
  /** Carried across continueAsNew. */
  carried?: { syncs: number; videosFetched: number; lastSyncAt: string | null };
}

export interface BloggerSyncState {
  status: 'resolving' | 'syncing' | 'waiting' | 'paused' | 'budget_exhausted' | 'stopped' | 'deleted';
  syncs: number;
  videosFetched: number;
  lastSyncAt: string | null;
  nextSyncAt: string | null;
  budgetLeft: number | null;
  brokenLinks: Record<string, string>;
  /** Platforms the last sync left out to keep other tenants' share of the quota. */
  deferred: Record<string, string>;
}

export const syncNow = defineSignal('syncNow');
export const pauseSync = defineSignal('pause');
export const resumeSync = defineSignal('resume');
export const stopSync = defineSignal('stop');
export const syncState = defineQuery<BloggerSyncState>('state');

/** Syncs per run before continuing as new (each is a handful of events). */
const SYNCS_PER_RUN = 200;

export async function bloggerSync(input: BloggerSyncInput): Promise<BloggerSyncState> {
  const state: BloggerSyncState = {
    status: 'resolving', syncs: input.carried?.syncs ?? 0, videosFetched: input.carried?.videosFetched ?? 0,
    lastSyncAt: input.carried?.lastSyncAt ?? null, nextSyncAt: null, budgetLeft: null, brokenLinks: {}, deferred: {},
  };
  let wake = false;
  let paused = false;
  let stopped = false;
  setHandler(syncNow, () => {
    wake = true;
  });
  setHandler(pauseSync, () => {
    paused = true;
  });
  setHandler(resumeSync, () => {
    paused = false;
    wake = true;
  });
  setHandler(stopSync, () => {
    stopped = true;
  });
  setHandler(syncState, () => ({ ...state, status: stopped ? 'stopped' : paused ? 'paused' : state.status }));

  for (let run = 0; run < SYNCS_PER_RUN && !stopped; run++) {
    if (paused) {
      await activities.planNextBloggerSync({ bloggerId: input.bloggerId, userId: input.userId, nextSyncAt: null, status: 'paused' });
      await condition(() => !paused || stopped);
      if (stopped) break;
    }
    // Links added or changed since the last sync (PUT with a new URL) are resolved first.
    const { deleted } = await activities.resolveBloggerLinks({ bloggerId: input.bloggerId, userId: input.userId });
    if (deleted) return { ...state, status: 'deleted', nextSyncAt: null };
    state.status = 'syncing';
    const syncAt = new Date(Date.now()).toISOString();
    let outcome;
    try {
      outcome = await activities.syncBloggerVideos({ bloggerId: input.bloggerId, userId: input.userId, syncAt, lookbackMs: input.lookbackMs, maxVideos: input.maxVideos, syncIntervalMs: input.syncIntervalMs });
    } catch (err) {
      // The platform's quota is spent: wait for its reset. Anything else (retries exhausted): try
      // again at the next interval rather than ending the blogger's sync.
      const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
      const resetAt = cause?.type === 'quota_exhausted' ? Date.parse(String(cause.details?.[0] ?? '')) : NaN;
      const waitMs = Number.isFinite(resetAt) && resetAt > Date.now() ? resetAt - Date.now() : input.syncIntervalMs;
      log.warn('blogger sync failed; retrying later', { bloggerId: input.bloggerId, error: cause?.message ?? String(err), waitMs });
      state.status = 'waiting';
      state.nextSyncAt = new Date(Date.now() + waitMs).toISOString();
      await condition(() => wake || stopped, waitMs);
      wake = false;
      continue;
    }
    if (outcome.deleted) return { ...state, status: 'deleted', nextSyncAt: null };
    state.syncs++;
    state.videosFetched += outcome.fetched;
    state.lastSyncAt = syncAt;
    state.budgetLeft = outcome.budgetLeft;
    Object.assign(state.brokenLinks, outcome.linkErrors);
    state.deferred = outcome.deferred;

    // Over budget: wait for the next budget day (unless asked to sync again sooner).
    const budgetWait = outcome.budgetResetsAt ? Date.parse(outcome.budgetResetsAt) - Date.now() : 0;
    const waitMs = Math.max(input.syncIntervalMs, budgetWait);
    state.status = outcome.budgetResetsAt ? 'budget_exhausted' : 'waiting';
    state.nextSyncAt = new Date(Date.now() + waitMs).toISOString();
    await activities.planNextBloggerSync({ bloggerId: input.bloggerId, userId: input.userId, nextSyncAt: state.nextSyncAt, status: 'idle' });
    wake = false;
    await condition(() => wake || stopped || paused, waitMs);
    if (workflowInfo().continueAsNewSuggested) break;
  }
  if (stopped) return { ...state, status: 'stopped', nextSyncAt: null };
  return continueAsNew<typeof bloggerSync>({ ...input, carried: { syncs: state.syncs, videosFetched: state.videosFetched, lastSyncAt: state.lastSyncAt } });
}

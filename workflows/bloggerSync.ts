/**
 * bloggerSync: one durable workflow per tracked blogger (id blogger-sync:{bloggerId}). Resolves the
 * blogger's platform links, then on every interval pulls new videos and fresh metrics for the ones
 * that are due (young videos often, old ones rarely), within the owner's daily video budget: over
 * budget it waits for the next budget day instead of failing. Ends when the blogger or its owner
 * is deleted, when the blogger is deactivated or its owner disabled (the reconciler starts it again
 * once both are active), or on the `stop` signal; continues as new before its history grows large.
 *
 * Outages never end it: every activity retries transient failures without an attempt limit
 * (capped exponential backoff), and a step that fails for good only ends the current cycle.
 *
 * Signals: syncNow, pause, resume, stop. Query: state (definitions and types: temporal/contract).
 */
import { condition, continueAsNew, isCancellation, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  failureMessage,
  pauseSync,
  quotaResetAt,
  resumeSync,
  stopSync,
  syncNow,
  syncState,
  type BloggerSyncInput,
  type BloggerSyncState,
} from '../temporal/contract';

/**
 * One retry profile for every activity of a sync. A sync is a few platform pages and one
 * transaction; a lost worker's attempt is retried after the 1-minute timeout. No maximumAttempts:
 * a database, Redis or platform outage of any length is waited out; failures that retrying cannot
 * fix are thrown non-retryable and handled by the workflow.
 */
function syncActivities(retry: BloggerSyncInput['retry']) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: retry?.initialIntervalMs ?? '5s',
      backoffCoefficient: 2,
      maximumInterval: retry?.maximumIntervalMs ?? '5 minutes',
    },
  });
}

/** Syncs per run before continuing as new (each is a handful of events). */
const SYNCS_PER_RUN = 200;

/**
 * How long to wait after a step failed for good (retries exhausted only by non-retryable
 * failures): until the platform's quota resets, otherwise one sync interval.
 */
function waitAfterFailure(err: unknown, intervalMs: number): { waitMs: number; message: string } {
  const resetAt = quotaResetAt(err);
  const waitMs = resetAt !== undefined && resetAt > Date.now() ? resetAt - Date.now() : intervalMs;
  return { waitMs, message: failureMessage(err) };
}

export async function bloggerSync(input: BloggerSyncInput): Promise<BloggerSyncState> {
  const activities = syncActivities(input.retry);
  const state: BloggerSyncState = {
    status: 'resolving',
    syncs: input.carried?.syncs ?? 0,
    videosFetched: input.carried?.videosFetched ?? 0,
    lastSyncAt: input.carried?.lastSyncAt ?? null,
    nextSyncAt: null,
    budgetLeft: null,
    brokenLinks: {},
    deferred: {},
  };
  let wake = false;
  let paused = input.paused ?? false;
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

  /** A cycle that failed for good: record it, wait (quota reset or one interval), go on. */
  const failedCycle = async (step: string, err: unknown) => {
    if (isCancellation(err)) throw err; // the workflow itself was cancelled
    const { waitMs, message } = waitAfterFailure(err, input.syncIntervalMs);
    log.warn('blogger sync step failed; retrying later', { bloggerId: input.bloggerId, step, error: message, waitMs });
    state.status = 'waiting';
    state.nextSyncAt = new Date(Date.now() + waitMs).toISOString();
    await condition(() => wake || stopped, waitMs);
    wake = false;
  };

  for (let run = 0; run < (input.syncsPerRun ?? SYNCS_PER_RUN) && !stopped; run++) {
    if (paused) {
      try {
        await activities.planNextBloggerSync({ bloggerId: input.bloggerId, userId: input.userId, nextSyncAt: null, status: 'paused' });
      } catch (err) {
        if (isCancellation(err)) throw err;
        log.warn('could not record the pause', { bloggerId: input.bloggerId, error: waitAfterFailure(err, 0).message });
      }
      await condition(() => !paused || stopped);
      if (stopped) break;
    }
    // Links added or changed since the last sync (PUT with a new URL) are resolved first.
    let links;
    try {
      links = await activities.resolveBloggerLinks({ bloggerId: input.bloggerId, userId: input.userId });
    } catch (err) {
      await failedCycle('resolve', err);
      continue;
    }
    if (links.deleted) return { ...state, status: 'deleted', nextSyncAt: null };
    if (links.inactive) return { ...state, status: 'inactive', nextSyncAt: null };
    // A link that resolves again (a quota reset, a fixed key) is no longer reported broken.
    for (const platform of links.ok) delete state.brokenLinks[platform];
    state.status = 'syncing';
    const syncAt = new Date(Date.now()).toISOString();
    let outcome;
    try {
      outcome = await activities.syncBloggerVideos({
        bloggerId: input.bloggerId,
        userId: input.userId,
        syncAt,
        lookbackMs: input.lookbackMs,
        maxVideos: input.maxVideos,
        syncIntervalMs: input.syncIntervalMs,
      });
    } catch (err) {
      // The platform's quota is spent: wait for its reset. Anything else that failed for good:
      // try again at the next interval rather than ending the blogger's sync.
      await failedCycle('sync', err);
      continue;
    }
    if (outcome.deleted) return { ...state, status: 'deleted', nextSyncAt: null };
    if (outcome.inactive) return { ...state, status: 'inactive', nextSyncAt: null };
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
    try {
      await activities.planNextBloggerSync({
        bloggerId: input.bloggerId,
        userId: input.userId,
        nextSyncAt: state.nextSyncAt,
        status: 'idle',
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('could not record the next sync time', { bloggerId: input.bloggerId, error: waitAfterFailure(err, 0).message });
    }
    wake = false;
    await condition(() => wake || stopped || paused, waitMs);
    if (workflowInfo().continueAsNewSuggested) break;
  }
  if (stopped) return { ...state, status: 'stopped', nextSyncAt: null };
  // The pause is part of the input, so a paused sync stays paused in its next run.
  return continueAsNew<typeof bloggerSync>({
    ...input,
    paused,
    carried: { syncs: state.syncs, videosFetched: state.videosFetched, lastSyncAt: state.lastSyncAt },
  });
}

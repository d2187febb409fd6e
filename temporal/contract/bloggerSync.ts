/** The bloggerSync and bloggerSyncReconciler workflows as their callers see them. Workflow-safe. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { BloggerSyncSettings } from '../../lib/domain/bloggerSyncSettings';

export interface BloggerSyncInput {
  bloggerId: number;
  userId: number;
  syncIntervalMs: number;
  lookbackMs: number;
  maxVideos: number;
  /** Activity retry backoff (BLOGGER_SYNC_RETRY_*); absent in runs started before it existed. */
  retry?: { initialIntervalMs: number; maximumIntervalMs: number };
  /** Start paused (a paused blogger restarted by the reconciler); carried across continueAsNew. */
  paused?: boolean;
  /** Syncs per run before continuing as new (tests lower it). */
  syncsPerRun?: number;
  /** Carried across continueAsNew. */
  carried?: { syncs: number; videosFetched: number; lastSyncAt: string | null };
}

export interface BloggerSyncState {
  status: 'resolving' | 'syncing' | 'waiting' | 'paused' | 'budget_exhausted' | 'stopped' | 'deleted' | 'inactive';
  syncs: number;
  videosFetched: number;
  lastSyncAt: string | null;
  nextSyncAt: string | null;
  budgetLeft: number | null;
  brokenLinks: Record<string, string>;
  /** Platforms the last sync left out to keep other tenants' share of the quota. */
  deferred: Record<string, string>;
}

// The names are on the wire (running workflows and recorded histories): never rename them.
export const syncNow = defineSignal('syncNow');
export const pauseSync = defineSignal('pause');
export const resumeSync = defineSignal('resume');
export const stopSync = defineSignal('stop');
export const syncState = defineQuery<BloggerSyncState>('state');

/** The signals that wake or steer a sync, which a start may carry (signal-with-start). */
export type BloggerSyncWakeSignal = typeof syncNow | typeof pauseSync | typeof resumeSync;

export interface BloggerSyncReconcilerInput {
  /** The input of every sync it starts (from configuration, like the API's). */
  settings: BloggerSyncSettings;
}

export interface ReconcileResult {
  /** Active bloggers of active users. */
  active: number;
  /** How many of them had no running sync and got one. */
  started: number;
  /** Their ids (the first 100). */
  startedIds: number[];
}

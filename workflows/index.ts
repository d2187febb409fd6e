/** The worker's workflowsPath: every workflow type the worker hosts. Deterministic code only. */
import type { Workflows } from '../temporal/contract';
import { bloggerSync } from './bloggerSync';
import { bloggerSyncReconciler } from './bloggerSyncReconciler';
import { dailyDigest } from './dailyDigest';
import { notificationDelivery } from './notificationDelivery';
import { notificationSweep } from './notificationSweep';
import { trendAnalysis } from './trendAnalysis';
import { trendCleanup } from './trendCleanup';
import { trendDiscovery } from './trendDiscovery';
import { trendVideoMonitor } from './trendVideoMonitor';

export {
  bloggerSync,
  bloggerSyncReconciler,
  dailyDigest,
  notificationDelivery,
  notificationSweep,
  trendAnalysis,
  trendCleanup,
  trendDiscovery,
  trendVideoMonitor,
};

/** Compile-time check: exactly the workflows the contract names (temporal/contract), with its signatures. */
const _hostsTheContract: Workflows = {
  bloggerSync,
  bloggerSyncReconciler,
  dailyDigest,
  notificationDelivery,
  notificationSweep,
  trendAnalysis,
  trendCleanup,
  trendDiscovery,
  trendVideoMonitor,
};

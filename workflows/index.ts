/** The worker's workflowsPath: every workflow type the worker hosts. Deterministic code only. */
export { bloggerSync } from './bloggerSync';
export { bloggerSyncReconciler } from './bloggerSyncReconciler';
export { trendAnalysis } from './trendAnalysis';
export { trendCleanup } from './trendCleanup';
export { trendDiscovery } from './trendDiscovery';
export { trendVideoMonitor } from './trendVideoMonitor';

/** The worker's workflowsPath: every workflow type the worker hosts. Deterministic code only. */
export { trendCleanup } from './trendCleanup';

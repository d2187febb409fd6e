/** The blogger-sync reconciler as an activity (run by the bloggerSyncReconciler schedule). */
import type { BloggerSyncSettings } from '../lib/domain/bloggerSyncSettings';
import { reconcileBloggerSyncs } from '../temporal/bloggerSyncs';
import type { ActivityDeps } from './deps';

export function createBloggerReconcilerActivities({ db, temporal, taskQueue, logger }: ActivityDeps) {
  return {
    /** Starts a sync for every active blogger of an active user that has none running. */
    async startMissingBloggerSyncs({ settings }: { settings: BloggerSyncSettings }) {
      const result = await reconcileBloggerSyncs({ db, client: temporal, taskQueue, settings });
      if (result.started > 0) logger.warn(result, 'blogger syncs were missing and were started');
      return result;
    },
  };
}

/** createActivities(deps): every activity the worker registers, built once per worker. */
import { createAlertActivities } from './alerts';
import { createBloggerReconcilerActivities } from './bloggerReconciler';
import { createBloggerActivities } from './bloggers';
import type { ActivityDeps } from './deps';
import { createDigestActivities } from './digest';
import { createNotificationActivities } from './notifications';
import { createTrendDiscoveryActivities } from './trendDiscovery';
import { createTrendActivities } from './trends';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createTrendDiscoveryActivities(deps),
    ...createTrendActivities(deps),
    ...createBloggerActivities(deps),
    ...createBloggerReconcilerActivities(deps),
    ...createNotificationActivities(deps),
    ...createAlertActivities(deps),
    ...createDigestActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

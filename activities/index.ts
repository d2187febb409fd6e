/** createActivities(deps): every activity the worker registers, built once per worker. */
import { createBloggerReconcilerActivities } from './bloggerReconciler';
import { createBloggerActivities } from './bloggers';
import type { ActivityDeps } from './deps';
import { createTrendActivities } from './trends';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createTrendActivities(deps),
    ...createBloggerActivities(deps),
    ...createBloggerReconcilerActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

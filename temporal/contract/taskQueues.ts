/** Task-queue names. The worker polls them; the API and schedules start workflows on them. */
export const TASK_QUEUES = {
  /** Default queue: every workflow and activity of the app (override with TEMPORAL_TASK_QUEUE). */
  main: 'blogger-analytics',
} as const;

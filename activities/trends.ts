/** Trend Watch activities: all database I/O of the trend workflows. */
import { TrendVideo } from '../db/models';
import type { ActivityDeps } from './deps';

export function createTrendActivities({ db }: ActivityDeps) {
  return {
    /**
     * Archives every still-live trend video published before the cut-off. Idempotent: a retry
     * finds those rows already archived and changes nothing.
     */
    async archiveExpiredTrendVideos({ publishedBefore }: { publishedBefore: string }): Promise<{ archived: number }> {
      const archived = await TrendVideo.query(db)
        .modify('live')
        .where('publishedAt', '<', publishedBefore)
        .patch({ status: 'archived', archivedAt: new Date() });
      return { archived };
    },
  };
}

import type { RelationMappingsThunk } from 'objection';
import { BaseModel } from './BaseModel';
import type { PlatformName } from '../../lib/domain/platforms';
import { LIVE_TREND_VIDEO_STATUSES, TREND_VIDEO_STATUSES, type TrendVideoStatus } from '../../lib/domain/trendVideoStatus';
import { TrendSnapshot } from './TrendSnapshot';

export { TREND_VIDEO_STATUSES, type TrendVideoStatus };

/** A fresh video found by Trend Watch discovery (global, not tenant-owned). */
export class TrendVideo extends BaseModel {
  static override tableName = 'trend_videos';

  id!: number;
  platform!: PlatformName;
  platformVideoId!: string;
  creatorId!: string;
  creatorName?: string | null;
  title?: string | null;
  description?: string | null;
  videoUrl?: string | null;
  publishedAt!: Date;
  discoveredAt!: Date;
  hashtags!: string[];
  /** Title words (lib/domain/keywords.ts): a keyword can be a trend too. */
  keywords!: string[];
  /** Counts in trend evidence; false for the page of a follow that came back full. */
  evidence!: boolean;
  topics!: string[];
  soundId?: string | null;
  format?: string | null;
  durationSeconds?: number | null;
  initialViews?: number | null;
  currentViews?: number | null;
  currentLikes?: number | null;
  currentComments?: number | null;
  currentShares?: number | null;
  velocity?: number | null;
  acceleration?: number | null;
  status!: TrendVideoStatus;
  snapshotCount!: number;
  lastSnapshotAt?: Date | null;
  archivedAt?: Date | null;
  workflowId?: string | null;

  static override modifiers = {
    /** Videos whose monitor may still be running. */
    live(query: import('objection').QueryBuilder<TrendVideo>) {
      query.whereIn('status', LIVE_TREND_VIDEO_STATUSES);
    },
  };

  static override relationMappings: RelationMappingsThunk = () => ({
    snapshots: {
      relation: BaseModel.HasManyRelation,
      modelClass: TrendSnapshot,
      join: { from: 'trendVideos.id', to: 'trendSnapshots.videoId' },
    },
  });
}

import { BaseModel } from './BaseModel';
import type { PlatformName } from '../../lib/domain/platforms';

/** One fetch of one video's metrics for a tracked blogger (tenant-owned, append-only). */
export class VideoHistory extends BaseModel {
  static override tableName = 'video_history';
  static override readonly hasUpdatedAt = false;

  id!: number;
  userId!: number;
  bloggerId!: number;
  platform!: PlatformName;
  platformVideoId!: string;
  videoUrl?: string | null;
  title?: string | null;
  publishedAt?: Date | null;
  views!: number | null;
  likes!: number | null;
  comments!: number | null;
  shares!: number | null;
  engagementRate?: number | null;
  viralScore?: number | null;
  fetchedAt!: Date;
}

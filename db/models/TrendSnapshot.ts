import { BaseModel } from './BaseModel';

/** One 2-hourly snapshot of a monitored video; UNIQUE (videoId, slot) makes writes idempotent. */
export class TrendSnapshot extends BaseModel {
  static override tableName = 'trend_snapshots';
  static override readonly hasUpdatedAt = false;

  id!: string;
  videoId!: string;
  slot!: number;
  takenAt!: Date;
  views?: string | null;
  likes?: string | null;
  comments?: string | null;
  shares?: string | null;
  velocity?: number | null;
  acceleration?: number | null;
}

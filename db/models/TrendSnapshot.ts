import { BaseModel } from './BaseModel';

/** One 2-hourly snapshot of a monitored video; UNIQUE (videoId, slot) makes writes idempotent. */
export class TrendSnapshot extends BaseModel {
  static override tableName = 'trend_snapshots';
  static override readonly hasUpdatedAt = false;

  id!: number;
  videoId!: number;
  slot!: number;
  takenAt!: Date;
  views?: number | null;
  likes?: number | null;
  comments?: number | null;
  shares?: number | null;
  velocity?: number | null;
  acceleration?: number | null;
}

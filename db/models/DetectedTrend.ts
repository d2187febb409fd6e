import { BaseModel } from './BaseModel';

export const TREND_KINDS = ['hashtag', 'topic', 'sound', 'format'] as const;
export type TrendKind = (typeof TREND_KINDS)[number];

/** A hashtag/topic/sound/format used by several creators whose videos gather speed. */
export class DetectedTrend extends BaseModel {
  static override tableName = 'detected_trends';

  id!: string;
  kind!: TrendKind;
  name!: string;
  platforms!: string[];
  score!: number;
  previousScore?: number | null;
  videoCount!: number;
  creatorCount!: number;
  totalVelocity!: number;
  totalAcceleration!: number;
  status!: 'emerging' | 'peaking' | 'fading';
  windowStart!: Date;
  windowEnd!: Date;
  firstDetectedAt!: Date;
  lastDetectedAt!: Date;
}

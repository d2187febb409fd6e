import type { TrendLifecycleStatus } from '../../lib/domain/trendLifecycle';
import { BaseModel } from './BaseModel';

export const TREND_KINDS = ['hashtag', 'topic', 'sound', 'format', 'keyword'] as const;
export type TrendKind = (typeof TREND_KINDS)[number];

/** A hashtag/topic/sound/format used by several creators whose videos gather speed. */
export class DetectedTrend extends BaseModel {
  static override tableName = 'detected_trends';

  id!: number;
  kind!: TrendKind;
  name!: string;
  platforms!: string[];
  score!: number;
  previousScore?: number | null;
  videoCount!: number;
  creatorCount!: number;
  totalVelocity!: number;
  totalAcceleration!: number;
  status!: TrendLifecycleStatus;
  /** Analysis runs in a row that did not see it (1: fading, 2: ended). */
  missedRuns!: number;
  endedAt?: Date | null;
  windowStart!: Date;
  windowEnd!: Date;
  firstDetectedAt!: Date;
  /** Distinct creators per analysis window in the name's trailing history (null before baselines existed). */
  baseline?: number | null;
  /** How far above its baseline the latest window was. */
  burstScore?: number | null;
  /** Earliest publish time of a known video carrying the name. */
  firstSeenAt?: Date | null;
  lastDetectedAt!: Date;
}

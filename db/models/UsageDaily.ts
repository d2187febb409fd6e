import { BaseModel } from './BaseModel';

/** Per-user counters for one UTC day (videos fetched against the plan budget, API requests). */
export class UsageDaily extends BaseModel {
  static override tableName = 'usage_daily';
  static override idColumn = ['userId', 'day'];

  userId!: number;
  day!: string;
  videosFetched!: number;
  apiRequests!: number;
}

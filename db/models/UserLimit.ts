import { PLANS, type Plan } from '../../lib/domain/plans';
import { BaseModel } from './BaseModel';

/** A plan's limits; -1 means unlimited. */
export class UserLimit extends BaseModel {
  static override tableName = 'user_limits';
  static override idColumn = 'plan';

  plan!: Plan;
  maxBloggers!: number;
  maxVideosPerDay!: number;
  trendWatchEnabled!: boolean;
  apiRateLimit!: number;
  /** Alert rules (api/alerts) and webhook endpoints (api/webhooks) a user may have. */
  maxAlertRules!: number;
  maxWebhooks!: number;

  static override jsonSchema = {
    type: 'object',
    required: ['plan', 'maxBloggers', 'maxVideosPerDay', 'trendWatchEnabled', 'apiRateLimit'],
    properties: {
      plan: { type: 'string', enum: [...PLANS] },
      maxBloggers: { type: 'integer', minimum: -1 },
      maxVideosPerDay: { type: 'integer', minimum: -1 },
      trendWatchEnabled: { type: 'boolean' },
      apiRateLimit: { type: 'integer', minimum: -1 },
      maxAlertRules: { type: 'integer', minimum: -1 },
      maxWebhooks: { type: 'integer', minimum: -1 },
    },
  };
}

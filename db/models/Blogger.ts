import type { RelationMappingsThunk } from 'objection';
import { BaseModel } from './BaseModel';
import { User } from './User';
import type { PlatformIdColumn, PlatformName, PlatformUrlColumn } from '../../lib/domain/platforms';
import { VideoHistory } from './VideoHistory';

/** What a blogger's sync_status says: new (never synced), between two syncs, or paused by its owner. */
const BLOGGER_SYNC_STATUSES = ['pending', 'idle', 'paused'] as const;
type BloggerSyncStatus = (typeof BLOGGER_SYNC_STATUSES)[number];

/** State of one platform link of a blogger, e.g. broken with the platform's reason. */
export interface PlatformLink {
  state: 'pending' | 'ok' | 'broken';
  reason?: string;
  /**
   * Set when the link broke for a reason that passes (the platform's quota was spent, or its
   * credentials were refused): the link is tried again from this instant on. A real not-found has none.
   */
  retryAt?: string;
  resolvedId?: string;
  checkedAt?: string;
}

/** Each platform's URL and id columns (youtubeUrl, youtubeChannelId, …), named in lib/domain/platforms.ts. */
type PlatformColumns = { [C in PlatformUrlColumn | PlatformIdColumn]?: string | null };
// Declaration merging gives the class the platform columns without listing them a second time.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface Blogger extends PlatformColumns {}

/** A creator tracked by one user (tenant-owned). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Blogger extends BaseModel {
  static override tableName = 'bloggers';

  id!: number;
  userId!: number;
  name!: string;
  isActive!: boolean;
  syncStatus!: BloggerSyncStatus;
  platformLinks!: Partial<Record<PlatformName, PlatformLink>>;
  lastSyncedAt?: Date | null;
  nextSyncAt?: Date | null;

  static override jsonSchema = {
    type: 'object',
    required: ['userId', 'name'],
    properties: {
      id: { type: 'integer' },
      userId: { type: 'integer' },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      isActive: { type: 'boolean' },
      syncStatus: { type: 'string', enum: [...BLOGGER_SYNC_STATUSES] },
      platformLinks: { type: 'object' },
    },
  };

  static override relationMappings: RelationMappingsThunk = () => ({
    owner: {
      relation: BaseModel.BelongsToOneRelation,
      modelClass: User,
      join: { from: 'bloggers.userId', to: 'users.id' },
    },
    videos: {
      relation: BaseModel.HasManyRelation,
      modelClass: VideoHistory,
      join: { from: 'bloggers.id', to: 'videoHistory.bloggerId' },
    },
  });
}

import type { RelationMappingsThunk } from 'objection';
import { BaseModel } from './BaseModel';
import { User } from './User';
import { VideoHistory } from './VideoHistory';

export const PLATFORMS = ['youtube', 'tiktok', 'instagram'] as const;
export type Platform = (typeof PLATFORMS)[number];

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

/** A creator tracked by one user (tenant-owned). */
export class Blogger extends BaseModel {
  static override tableName = 'bloggers';

  id!: number;
  userId!: number;
  name!: string;
  youtubeUrl?: string | null;
  tiktokUrl?: string | null;
  instagramUrl?: string | null;
  youtubeChannelId?: string | null;
  youtubeHandle?: string | null;
  tiktokUsername?: string | null;
  instagramUsername?: string | null;
  isActive!: boolean;
  syncStatus!: 'pending' | 'syncing' | 'idle' | 'paused' | 'error';
  platformLinks!: Partial<Record<Platform, PlatformLink>>;
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
      syncStatus: { type: 'string', enum: ['pending', 'syncing', 'idle', 'paused', 'error'] },
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

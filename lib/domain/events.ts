/**
 * Live events: what the product announces (GET /api/stream, Server-Sent Events), to whom, and how
 * a client's place in the streams is written. Pure: workflows, activities, the API and the event
 * bus (events/) all import it.
 *
 * Each event goes to one audience, and each audience has its own bounded Redis stream:
 *   { userId }          one tenant (their bloggers)         stream events:user:{id}
 *   { trendWatch: true } every user whose plan has Trend Watch stream events:trend-watch
 *   { admins: true }    every admin                         stream events:admins
 * A connection reads the streams it is entitled to, so its SSE id is a cursor over all of them
 * ("u42:1764547200000-0,t:1764547100000-3"): Last-Event-ID resumes each one where it stopped.
 */
import type { PlatformName } from './platforms';
import type { TrendLifecycleStatus } from './trendLifecycle';
import type { TrendVideoStatus } from './trendVideoStatus';

export const EVENT_TYPES = [
  'blogger.synced',
  'blogger.video_new',
  'blogger.link_broken',
  'blogger.link_restored',
  'blogger.quota_wait_started',
  'blogger.quota_wait_ended',
  'trend.detected',
  'trend.peaking',
  'trend.fading',
  'admin.schedule_changed',
  'admin.monitor_changed',
  'alert.fired',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Why a blogger's sync waits: the platform's daily quota, the tenant's fair share of it, or the plan's daily video budget. */
export type QuotaWaitReason = 'platform_quota' | 'quota_share' | 'video_budget';

/** A trend as its events carry it (figures of the analysis run that announced it). */
export interface TrendEventData {
  trendId: number;
  kind: string;
  name: string;
  status: TrendLifecycleStatus;
  /** The status before this run (null: a new wave). */
  previousStatus: TrendLifecycleStatus | null;
  score: number;
  creatorCount: number;
  videoCount: number;
  baseline: number | null;
  burstScore: number | null;
  platforms: string[];
  /** The analysis run's instant (data time). */
  detectedAt: string;
}

/** Each event type's payload (`data`). */
export interface EventPayloads {
  'blogger.synced': {
    bloggerId: number;
    name: string;
    /** The sync's instant (data time). */
    syncedAt: string;
    /** Videos seen for the first time. */
    newVideos: number;
    /** Known videos whose metrics were fetched again. */
    updatedVideos: number;
    /** Videos the plan still allows today (null: unlimited). */
    budgetLeft: number | null;
    /** Platforms left out this time and why (fair share of a quota). */
    deferred: Partial<Record<PlatformName, string>>;
    /** Follower counts read by this sync, per platform, with the change since the last one read (absent: not read). */
    followers?: Partial<Record<PlatformName, { count: number; change: number | null }>>;
  };
  'blogger.video_new': {
    bloggerId: number;
    platform: PlatformName;
    videoId: string;
    title: string | null;
    url: string | null;
    publishedAt: string;
    views: number | null;
  };
  'blogger.link_broken': { bloggerId: number; platform: PlatformName; reason: string; retryAt: string | null };
  'blogger.link_restored': { bloggerId: number; platform: PlatformName };
  'blogger.quota_wait_started': {
    bloggerId: number;
    reason: QuotaWaitReason;
    /** The platform whose quota is spent (null for the video budget, which counts every platform). */
    platform: PlatformName | null;
    message: string;
    /** When the sync may go on (null: when others leave spare quota, or unknown). */
    resumesAt: string | null;
  };
  'blogger.quota_wait_ended': { bloggerId: number; reason: QuotaWaitReason; platform: PlatformName | null; waitedSince: string };
  'trend.detected': TrendEventData;
  'trend.peaking': TrendEventData;
  'trend.fading': TrendEventData;
  'admin.schedule_changed': {
    schedule: string;
    scheduleId: string;
    action: 'pause' | 'unpause' | 'trigger' | 'backfill';
    paused: boolean | null;
    note: string | null;
    by: { id: number; email: string };
  };
  'admin.monitor_changed': {
    workflowId: string;
    platform: PlatformName | null;
    videoId: string | null;
    /** An admin's signal or reset, or the monitor ending by itself. */
    action: 'pause' | 'resume' | 'stop' | 'reset' | 'ended';
    /** The video's status when known (an ended monitor: archived, gone or dropped). */
    status: TrendVideoStatus | null;
    reason: string | null;
    by: { id: number; email: string } | null;
  };
  /** Filled by the alert rules (api/alerts, activities): which rule fired and what it saw. */
  'alert.fired': Record<string, unknown>;
}

export type EventAudience = { userId: number } | { trendWatch: true } | { admins: true };

/** What a producer hands to publishEvent (events/publish.ts). */
export type ProductEventInput = {
  [T in EventType]: {
    type: T;
    audience: EventAudience;
    data: EventPayloads[T];
    /**
     * A stable key for this occurrence (e.g. `blogger.synced:12:2026-11-30T10:00:00.000Z`): the
     * bus publishes a key once per audience (a retried activity does not announce twice), and
     * clients may dedupe on it.
     */
    key?: string;
  };
}[EventType];

/** An event as stored in its stream and sent to clients (the SSE `data` field). */
export interface ProductEvent<T extends EventType = EventType> {
  type: T;
  /** When it was published (real time, ISO 8601). */
  at: string;
  audience: AudienceName;
  key?: string;
  data: EventPayloads[T];
}

// ---------------------------------------------------------------- audiences and streams

export const AUDIENCE_NAMES = ['user', 'trend_watch', 'admins'] as const;
export type AudienceName = (typeof AUDIENCE_NAMES)[number];

export function audienceName(audience: EventAudience): AudienceName {
  return 'userId' in audience ? 'user' : 'trendWatch' in audience ? 'trend_watch' : 'admins';
}

/** The Redis stream (and pub/sub channel) of an audience. */
export function audienceStreamKey(audience: EventAudience): string {
  if ('userId' in audience) return `events:user:${audience.userId}`;
  return 'trendWatch' in audience ? 'events:trend-watch' : 'events:admins';
}

/** The audiences a user reads: their own, Trend Watch's with a plan that has it, the admins' as an admin. */
export function audiencesOf(user: { id: number; role: string; trendWatchEnabled: boolean }): EventAudience[] {
  return [
    { userId: user.id },
    ...(user.trendWatchEnabled ? [{ trendWatch: true } as const] : []),
    ...(user.role === 'admin' ? [{ admins: true } as const] : []),
  ];
}

// ---------------------------------------------------------------- stream ids and cursors

/** A Redis stream entry id, "<ms>-<seq>"; "0-0" is before every entry. */
export const STREAM_START = '0-0';
const STREAM_ID = /^(\d{1,15})-(\d{1,15})$/;

export function isStreamId(id: string): boolean {
  return STREAM_ID.test(id);
}

/** Orders two stream ids (negative: a comes first). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am !== bm ? am - bm : as - bs;
}

/** Where a connection stands in each stream it reads: the last entry it was sent ("0-0": none). */
export type Cursor = Map<string, string>;

/** The cursor's name of an audience's stream: u{userId}, t, a. */
export function cursorName(audience: EventAudience): string {
  if ('userId' in audience) return `u${audience.userId}`;
  return 'trendWatch' in audience ? 't' : 'a';
}

const CURSOR_PART = /^(u\d{1,12}|t|a):(\d{1,15}-\d{1,15})$/;
/** Longest Last-Event-ID accepted (three streams fit in well under 100 characters). */
export const MAX_CURSOR_LENGTH = 200;

/** "u42:1764547200000-0,t:1764547100000-3" (positions in a fixed order, so equal cursors read the same). */
export function formatCursor(cursor: Cursor): string {
  return [...cursor.entries()].map(([name, id]) => `${name}:${id}`).join(',');
}

/**
 * The positions of a Last-Event-ID, or null when it is not a cursor this server wrote for this
 * user (another user's stream in it means it was never this connection's: it gets a reset too).
 */
export function parseCursor(text: string, userId: number): Cursor | null {
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH) return null;
  const cursor: Cursor = new Map();
  for (const part of text.split(',')) {
    const match = CURSOR_PART.exec(part);
    if (!match || cursor.has(match[1]!)) return null;
    if (match[1]!.startsWith('u') && match[1] !== cursorName({ userId })) return null;
    cursor.set(match[1]!, match[2]!);
  }
  return cursor;
}

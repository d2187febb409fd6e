/** Request shapes of the admin control of Trend Watch (schedules and monitors). */
import { z } from 'zod';
import { PLATFORM_NAMES } from '../../../platforms/types';
import { TREND_SCHEDULES, type TrendScheduleName } from '../../../temporal/contract';

const SCHEDULE_NAMES = Object.keys(TREND_SCHEDULES) as [TrendScheduleName, ...TrendScheduleName[]];
/** What a schedule does when a run is still going (Temporal's ScheduleOverlapPolicy). */
const OVERLAP_POLICIES = ['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER', 'TERMINATE_OTHER', 'ALLOW_ALL'] as const;

const note = z.string().trim().min(1).max(500);

export const scheduleParams = z.object({ name: z.enum(SCHEDULE_NAMES) });

export const scheduleNoteBody = z.object({ note: note.optional() }).strict();
export type ScheduleNoteBody = z.infer<typeof scheduleNoteBody>;

export const triggerBody = z.object({ overlap: z.enum(OVERLAP_POLICIES).optional() }).strict();
export type TriggerBody = z.infer<typeof triggerBody>;

/** A past range whose runs the schedule takes now; by default all of them, even if they overlap. */
export const backfillBody = z
  .object({ start: z.coerce.date(), end: z.coerce.date(), overlap: z.enum(OVERLAP_POLICIES).default('ALLOW_ALL') })
  .strict()
  .refine((b) => b.start < b.end, { message: 'start must be before end', path: ['end'] });
export type BackfillBody = z.infer<typeof backfillBody>;

export const monitorParams = z.object({
  platform: z.enum(PLATFORM_NAMES),
  videoId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a video id'),
});
export type MonitorParams = z.infer<typeof monitorParams>;

export const MONITOR_SIGNALS = ['pause', 'resume', 'stop'] as const;
export type MonitorSignal = (typeof MONITOR_SIGNALS)[number];

export const monitorSignalBody = z.object({ reason: note.optional() }).strict();
export type MonitorSignalBody = z.infer<typeof monitorSignalBody>;

export const resetBody = z.object({ eventId: z.number().int().positive().optional(), reason: note.optional() }).strict();
export type ResetBody = z.infer<typeof resetBody>;

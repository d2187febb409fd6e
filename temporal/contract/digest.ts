/** The daily digest mail (opt-in per user, `PATCH /api/auth/me { dailyDigest: true }`): one run a day by schedule. */

export const DAILY_DIGEST_SCHEDULE = 'daily-digest';

export interface DailyDigestInput {
  /** Hours of data the digest covers (24). */
  windowHours: number;
  /** Recipients per activity (each activity sends to a batch; default 100). */
  batchSize?: number;
}

export interface DailyDigestResult {
  /** The UTC day of the run (YYYY-MM-DD): each recipient gets at most one digest per day. */
  day: string;
  recipients: number;
  sent: number;
  /** Already sent that day (a retried batch, a second run). */
  skipped: number;
}

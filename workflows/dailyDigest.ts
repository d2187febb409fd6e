/**
 * dailyDigest (schedule `daily-digest`, once a day): mails each opted-in, active and verified user
 * a digest of their bloggers and (with Trend Watch) of live trends. Recipients are read in batches
 * by id; each batch is one activity, which sends at most one digest per user and day (the day is
 * this run's, so a retried batch or a second run that day mails nobody twice).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DailyDigestInput, DailyDigestResult } from '../temporal/contract';

const { listDigestRecipients, sendDailyDigests } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  // A failed send is retried with its batch (those already mailed are skipped); a long SMTP outage ends the day's run.
  retry: { initialInterval: '30s', backoffCoefficient: 2, maximumInterval: '15 minutes', maximumAttempts: 8 },
});

const DEFAULT_BATCH = 100;

export async function dailyDigest(input: DailyDigestInput): Promise<DailyDigestResult> {
  const batchSize = input.batchSize ?? DEFAULT_BATCH;
  // Workflow time is deterministic: every replay and retry of this run names the same day.
  const day = new Date(Date.now()).toISOString().slice(0, 10);
  const result: DailyDigestResult = { day, recipients: 0, sent: 0, skipped: 0 };
  let afterId = 0;
  for (;;) {
    const userIds = await listDigestRecipients({ afterId, limit: batchSize });
    if (userIds.length === 0) break;
    const batch = await sendDailyDigests({ userIds, day, windowHours: input.windowHours });
    result.recipients += userIds.length;
    result.sent += batch.sent;
    result.skipped += batch.skipped;
    afterId = userIds[userIds.length - 1]!;
    if (userIds.length < batchSize) break;
  }
  return result;
}

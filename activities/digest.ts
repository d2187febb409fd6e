/**
 * The daily digest's activities: who gets one, and the mails (workflows/dailyDigest.ts).
 *
 * At most one digest per user and day: each send first claims the day on the user's row (one
 * conditional UPDATE of users.digest_sent_on), and gives it back should the mail fail, so a
 * retried batch mails exactly those it has not mailed yet.
 */
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { Knex } from 'knex';
import { User, UserLimit } from '../db/models';
import { withTenant } from '../db/tenant';
import type { Clock } from '../lib/clock';
import { digestMail, type DigestContent } from '../notifications/digestMail';
import type { ActivityDeps } from './deps';

const HOUR_MS = 3_600_000;
const MAX_BLOGGERS = 25;
const TOP_VIDEOS = 5;
const TOP_TRENDS = 5;

/** Opted in, active and verified: product mail goes to verified addresses only. */
function recipients(db: Knex) {
  return User.query(db).where({ dailyDigest: true, isActive: true }).whereNotNull('emailVerifiedAt');
}

/** What the digest of one user says: their bloggers and standout videos in the window, and live trends when the plan has Trend Watch. */
export async function digestContent(
  db: Knex,
  clock: Clock,
  user: { id: number; trendWatch: boolean },
  day: string,
  windowHours: number,
): Promise<DigestContent> {
  const since = new Date(clock.now() - windowHours * HOUR_MS);
  const { bloggers, total, updated, topVideos } = await withTenant(db, { userId: user.id }, async (trx) => ({
    bloggers: (await trx('bloggers')
      .select('id', 'name', 'isActive', 'lastSyncedAt')
      .where('userId', user.id)
      .orderBy('name')
      .limit(MAX_BLOGGERS)) as { id: number; name: string; isActive: boolean; lastSyncedAt: Date | null }[],
    total: Number((await trx('bloggers').where('userId', user.id).count({ n: '*' }))[0]?.n ?? 0),
    updated: (
      await trx.raw<{ rows: { bloggerId: number; videos: number }[] }>(
        `select blogger_id as "bloggerId", count(distinct (platform, platform_video_id))::int as videos
           from video_history where user_id = ? and fetched_at >= ? group by blogger_id`,
        [user.id, since],
      )
    ).rows,
    topVideos: (
      await trx.raw<{ rows: { bloggerName: string; title: string | null; platform: string; views: number | null; viralScore: number }[] }>(
        `select b.name as "bloggerName", v.title, v.platform, v.views, v.viral_score as "viralScore"
           from (select distinct on (platform, platform_video_id) blogger_id, title, platform::text, views, viral_score
                   from video_history
                  where user_id = ? and fetched_at >= ? and viral_score is not null
                  order by platform, platform_video_id, fetched_at desc) v
           join bloggers b on b.id = v.blogger_id
          where v.viral_score > 1
          order by v.viral_score desc
          limit ?`,
        [user.id, since, TOP_VIDEOS],
      )
    ).rows,
  }));
  const videosBy = new Map(updated.map((r) => [r.bloggerId, r.videos]));
  const trends = user.trendWatch
    ? ((await db('detected_trends')
        .select('kind', 'name', 'status', 'creatorCount')
        .whereIn('status', ['emerging', 'peaking'])
        .orderBy('score', 'desc')
        .limit(TOP_TRENDS)) as DigestContent['trends'])
    : null;
  return {
    day,
    windowHours,
    bloggers: bloggers.map((b) => ({
      name: b.name,
      isActive: b.isActive,
      lastSyncedAt: b.lastSyncedAt,
      videosUpdated: videosBy.get(b.id) ?? 0,
    })),
    moreBloggers: Math.max(0, total - bloggers.length),
    topVideos,
    trends,
  };
}

export function createDigestActivities({ db, mailer, clock, logger }: ActivityDeps) {
  return {
    /** The next recipients after `afterId`, by id. */
    async listDigestRecipients({ afterId, limit }: { afterId: number; limit: number }): Promise<number[]> {
      const rows = await recipients(db).select('id').where('id', '>', afterId).orderBy('id').limit(limit);
      return rows.map((r) => r.id);
    },

    /** Mails the day's digest to each user of the batch who has not had it yet; fails (to be retried) if any mail failed. */
    async sendDailyDigests({ userIds, day, windowHours }: { userIds: number[]; day: string; windowHours: number }) {
      let sent = 0;
      let skipped = 0;
      const failed: { userId: number; error: string }[] = [];
      for (const userId of userIds) {
        heartbeat({ userId });
        // Claim the day first: a second run, or a retry after this mail went out, finds it taken.
        const [claimed] = (await recipients(db)
          .where('id', userId)
          .where((q) => q.whereNull('digestSentOn').orWhere('digestSentOn', '<', day))
          .patch({ digestSentOn: day })
          .returning(['id', 'email', 'plan'])) as unknown as { id: number; email: string; plan: string }[];
        if (!claimed) {
          skipped++;
          continue;
        }
        try {
          const limits = await UserLimit.query(db).findOne({ plan: claimed.plan });
          const content = await digestContent(db, clock, { id: userId, trendWatch: Boolean(limits?.trendWatchEnabled) }, day, windowHours);
          await mailer.send(digestMail(claimed.email, content));
          sent++;
        } catch (err) {
          // Not mailed: give the day back so the retry sends it.
          await User.query(db).patch({ digestSentOn: null }).where({ id: userId, digestSentOn: day });
          if ((err as Error).name === 'MailNotConfiguredError') {
            throw ApplicationFailure.nonRetryable('Mail is off (SMTP_URL is not set): no digest can be sent', 'MailNotConfigured');
          }
          failed.push({ userId, error: (err as Error).message });
        }
      }
      if (failed.length) {
        logger.warn({ day, failed }, 'daily digests not sent; the batch is retried');
        throw new Error(`${failed.length} of ${userIds.length} daily digests failed (first: ${failed[0]!.error})`);
      }
      return { sent, skipped };
    },
  };
}

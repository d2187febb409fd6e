/**
 * Account self-service by email, end to end: the real API in-process, its mail sent over SMTP to
 * an in-process capture server (notifications/mailCapture.ts), real PostgreSQL, Redis and, for
 * account deletion, a real worker running the account's blogger sync.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AccountToken, AuditLog, Blogger, UsageDaily, User, VideoHistory } from '../../db/models';
import { startMailCapture, type CapturedMail, type MailCapture } from '../../notifications/mailCapture';
import { startTestApi, type TestApi } from '../../test/api';
import { eventually } from '../../test/eventually';
import { testDb, testLogger, testRedis } from '../../test/harness';
import { syncOutcomes, withSyncingAccount } from '../../test/syncingAccount';
import { asOnlyActiveAdmin, createUser, type TestUser } from '../../test/users';
import { BackgroundTasks } from '../background';

const NEW_PASSWORD = 'a brand new passphrase';

/** Generous limits: only the tests about limits start an API with their own. */
const ROOMY_LIMITS = {
  PASSWORD_RESET_MAX_PER_IP: 100_000,
  PASSWORD_RESET_MAX_PER_EMAIL: 100_000,
  ACCOUNT_TOKEN_MAX_PER_IP: 100_000,
  EMAIL_VERIFICATION_RESEND_MAX_PER_HOUR: 100_000,
  ACCOUNT_EXPORT_MAX_PER_HOUR: 100_000,
};

function tokenOf(mail: CapturedMail, prefix: 'bapr_' | 'baev_'): string {
  const match = new RegExp(`${prefix}[A-Za-z0-9_-]{43}`).exec(mail.text);
  assert.ok(match, `no ${prefix} token in mail "${mail.subject}": ${mail.text}`);
  return match[0];
}

describe('account self-service by email', function () {
  this.timeout(60_000);
  let capture: MailCapture;
  let api: TestApi;

  before(async () => {
    capture = await startMailCapture();
    api = await startTestApi({ SMTP_URL: capture.url, APP_PUBLIC_URL: 'https://app.example.test/base/', ...ROOMY_LIMITS });
  });
  after(async () => {
    await api?.close();
    await capture?.close();
  });

  /** The first mail to `email` with a matching subject, not among `seen` (the mails captured before the step). */
  const mailTo = (email: string, subject: RegExp, seen: CapturedMail[] = []) =>
    capture.waitFor((m) => m.to.includes(email) && subject.test(m.subject) && !seen.includes(m), 10_000);
  const login = (email: string, password: string) => api.request('POST', '/api/auth/login', { body: { email, password } });

  /** Asks for a reset and returns the token from the mail. */
  async function resetToken(user: { email: string }): Promise<string> {
    const seen = capture.messages();
    const res = await api.request('POST', '/api/auth/password-reset', { body: { email: user.email } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return tokenOf(await mailTo(user.email, /Reset your/, seen), 'bapr_');
  }

  describe('password reset', () => {
    it('when a reset is asked for a known and an unknown address, then both get the same 202 answer and only the known one gets a mail, with a link to APP_PUBLIC_URL', async () => {
      const user = await createUser(api);
      const unknown = `nobody-${randomUUID()}@example.com`;
      const known = await api.request('POST', '/api/auth/password-reset', { body: { email: user.email.toUpperCase() } });
      const none = await api.request('POST', '/api/auth/password-reset', { body: { email: unknown } });
      assert.equal(known.status, 202);
      assert.equal(none.status, 202);
      assert.deepEqual(known.body, none.body, 'the same body');
      assert.deepEqual(Object.keys(known.body), ['message']);

      const mail = await mailTo(user.email, /Reset your/);
      const token = tokenOf(mail, 'bapr_');
      assert.ok(mail.text.includes(`https://app.example.test/base/reset-password#token=${token}`), mail.text);
      assert.match(mail.html ?? '', /href="https:\/\/app\.example\.test\/base\/reset-password#token=/);
      assert.match(mail.from, /^"?Blogger Analytics"? <no-reply@localhost>$/);
      await api.deps.background.drain();
      assert.deepEqual(
        capture.messages().filter((m) => m.to.includes(unknown)),
        [],
        'no mail for an address without an account',
      );
      const stored = await AccountToken.query(testDb()).where({ userId: user.id, purpose: 'password_reset' });
      assert.equal(stored.length, 1);
      assert.notEqual(stored[0]!.tokenHash, token, 'only a hash is stored');
      assert.ok(!JSON.stringify(stored).includes(token.slice(5)));
      const audits = await AuditLog.query(testDb())
        .where('action', 'auth.password_reset_requested')
        .whereIn('actorEmail', [user.email, unknown]);
      assert.deepEqual(audits.map((a) => (a.meta as { accountFound: boolean }).accountFound).sort(), [false, true]);
    });

    it('when the lookup and the mail are held back, then the answer comes anyway: it never waits for them (so its timing cannot tell whether an account exists)', async () => {
      const held: (() => Promise<unknown>)[] = [];
      const background = new BackgroundTasks(testLogger);
      background.run = (_what, work) => {
        held.push(work);
        return true;
      };
      const holding = await startTestApi({ SMTP_URL: capture.url, ...ROOMY_LIMITS }, { background });
      try {
        const user = await createUser(api);
        for (const email of [user.email, `nobody-${randomUUID()}@example.com`]) {
          const res = await holding.request('POST', '/api/auth/password-reset', { body: { email } });
          assert.equal(res.status, 202);
        }
        assert.equal(held.length, 2, 'both requests left their work for after the answer');
        assert.equal(await AccountToken.query(testDb()).where({ userId: user.id, purpose: 'password_reset' }).resultSize(), 0);
        await Promise.all(held.map((work) => work()));
        assert.equal(await AccountToken.query(testDb()).where({ userId: user.id, purpose: 'password_reset' }).resultSize(), 1);
      } finally {
        await holding.close();
      }
    });

    it('when the token from the mail is used, then the password changes, every session is signed out, the new password works, and the token fails the second time', async () => {
      const user = await createUser(api);
      const second = await login(user.email, user.password);
      const token = await resetToken(user);
      const seen = capture.messages();

      const confirm = await api.request('POST', '/api/auth/password-reset/confirm', { body: { token, password: NEW_PASSWORD } });
      assert.equal(confirm.status, 200, JSON.stringify(confirm.body));

      for (const access of [user.accessToken, second.body.accessToken as string]) {
        const me = await api.request('GET', '/api/auth/me', { token: access });
        assert.equal(me.status, 401);
        assert.equal(me.body.error.code, 'token_revoked');
      }
      for (const refreshToken of [user.refreshToken, second.body.refreshToken as string]) {
        const refreshed = await api.request('POST', '/api/auth/refresh', { body: { refreshToken } });
        assert.equal(refreshed.status, 401);
        assert.equal(refreshed.body.error.code, 'refresh_token_revoked');
      }
      assert.equal((await login(user.email, user.password)).status, 401, 'the old password no longer works');
      const fresh = await login(user.email, NEW_PASSWORD);
      assert.equal(fresh.status, 200);
      // Issued right after the reset (the same second, quite likely): the cut-off is exact to the millisecond.
      assert.equal((await api.request('GET', '/api/auth/me', { token: fresh.body.accessToken })).status, 200);

      const again = await api.request('POST', '/api/auth/password-reset/confirm', { body: { token, password: 'yet another password' } });
      assert.equal(again.status, 400);
      assert.equal(again.body.error.code, 'reset_token_used');
      assert.match(again.body.error.message, /already used/);
      assert.equal((await login(user.email, NEW_PASSWORD)).status, 200, 'the failed second use changed nothing');

      const notice = await mailTo(user.email, /password was reset/, seen);
      assert.doesNotMatch(notice.text, /bapr_/);
      const audit = await AuditLog.query(testDb()).findOne({ action: 'auth.password_reset', actorId: user.id });
      assert.ok(audit);
      assert.equal((audit.meta as { sessionsRevoked: number }).sessionsRevoked, 2);
      const row = await User.query(testDb()).findById(user.id);
      assert.ok(row?.emailVerifiedAt, 'a completed reset proves the address');
    });

    it('when the token has expired (its expiry moved before now), then 400 reset_token_expired and the password stays', async () => {
      const user = await createUser(api);
      const token = await resetToken(user);
      await AccountToken.query(testDb())
        .patch({ expiresAt: new Date(Date.now() - 1000) })
        .where({ userId: user.id, purpose: 'password_reset' });
      const res = await api.request('POST', '/api/auth/password-reset/confirm', { body: { token, password: NEW_PASSWORD } });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'reset_token_expired');
      assert.equal((await login(user.email, user.password)).status, 200);
      assert.equal((await api.request('GET', '/api/auth/me', { token: user.accessToken })).status, 200, 'no session was signed out');
    });

    it('when the token expires in PASSWORD_RESET_TTL_MINUTES, then its stored expiry says so', async () => {
      const user = await createUser(api);
      const before = Date.now();
      await resetToken(user);
      const row = await AccountToken.query(testDb()).findOne({ userId: user.id, purpose: 'password_reset' });
      const ttlMs = api.deps.config.PASSWORD_RESET_TTL_MINUTES * 60_000;
      assert.ok(row!.expiresAt.getTime() >= before + ttlMs && row!.expiresAt.getTime() <= Date.now() + ttlMs, String(row!.expiresAt));
    });

    it('when a token is unknown, malformed or of the other purpose, then 400 reset_token_invalid', async () => {
      const user = await createUser(api);
      const verification = tokenOf(await mailTo(user.email, /Confirm your email/), 'baev_');
      for (const token of [`bapr_${'A'.repeat(43)}`, 'not-a-token', verification]) {
        const res = await api.request('POST', '/api/auth/password-reset/confirm', { body: { token, password: NEW_PASSWORD } });
        assert.equal(res.status, 400, token);
        assert.equal(res.body.error.code, 'reset_token_invalid');
      }
      const weak = await api.request('POST', '/api/auth/password-reset/confirm', { body: { token: 'x', password: 'short' } });
      assert.equal(weak.status, 400);
      assert.equal(weak.body.error.details[0].path, 'body.password');
    });

    it('when a second reset is asked, then the first mail stops working and the second works', async () => {
      const user = await createUser(api);
      const first = await resetToken(user);
      const second = await resetToken(user);
      assert.notEqual(first, second);
      const old = await api.request('POST', '/api/auth/password-reset/confirm', { body: { token: first, password: NEW_PASSWORD } });
      assert.equal(old.status, 400);
      assert.equal(old.body.error.code, 'reset_token_invalid');
      const ok = await api.request('POST', '/api/auth/password-reset/confirm', { body: { token: second, password: NEW_PASSWORD } });
      assert.equal(ok.status, 200);
    });

    it('when one token is confirmed 6 times at once with different passwords, then exactly one wins and its password is the one set', async () => {
      const user = await createUser(api);
      const token = await resetToken(user);
      const passwords = Array.from({ length: 6 }, (_, i) => `concurrent password ${i}`);
      const answers = await Promise.all(
        passwords.map((password) => api.request('POST', '/api/auth/password-reset/confirm', { body: { token, password } })),
      );
      const winners = answers.flatMap((res, i) => (res.status === 200 ? [passwords[i]!] : []));
      assert.equal(winners.length, 1, answers.map((a) => a.status).join(','));
      for (const res of answers.filter((a) => a.status !== 200)) assert.equal(res.body.error.code, 'reset_token_used');
      assert.equal((await login(user.email, winners[0]!)).status, 200);
      for (const loser of passwords.filter((p) => p !== winners[0])) assert.equal((await login(user.email, loser)).status, 401);
    });

    describe('limits', () => {
      let limited: TestApi;
      const clearLimits = async () =>
        testRedis().del(...(await testRedis().keys('rl:login:*')), ...(await testRedis().keys('rl:password-reset:*')), 'none');
      before(async () => {
        await clearLimits();
        limited = await startTestApi({
          SMTP_URL: capture.url,
          ...ROOMY_LIMITS,
          PASSWORD_RESET_MAX_PER_EMAIL: 2,
          PASSWORD_RESET_MAX_PER_IP: 6,
          LOGIN_MAX_FAILURES_PER_EMAIL: 2,
        });
      });
      after(async () => {
        await limited?.close();
        await clearLimits();
      });

      it('when an address is locked out of login by failures, then a completed reset lifts the lock', async () => {
        const user = await createUser(api);
        for (let i = 0; i < 2; i++) {
          const res = await limited.request('POST', '/api/auth/login', { body: { email: user.email, password: 'wrong password!' } });
          assert.equal(res.status, 401);
        }
        const locked = await limited.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
        assert.equal(locked.status, 429, 'locked');
        assert.match(locked.body.error.message, /reset your password/);
        const token = await resetToken(user);
        const confirm = await limited.request('POST', '/api/auth/password-reset/confirm', { body: { token, password: NEW_PASSWORD } });
        assert.equal(confirm.status, 200);
        const after = await limited.request('POST', '/api/auth/login', { body: { email: user.email, password: NEW_PASSWORD } });
        assert.equal(after.status, 200, JSON.stringify(after.body));
      });

      it('when one address is asked for too often, then 429 whether or not it has an account; when one IP asks too often, then 429 whatever the address', async () => {
        await clearLimits();
        const user = await createUser(api);
        const unknown = `nobody-${randomUUID()}@example.com`;
        const ask = (email: string) => limited.request('POST', '/api/auth/password-reset', { body: { email } });
        for (const email of [user.email, unknown]) {
          assert.equal((await ask(email)).status, 202);
          assert.equal((await ask(email)).status, 202);
          const refused = await ask(email);
          assert.equal(refused.status, 429, email);
          assert.equal(refused.body.error.code, 'rate_limited');
          assert.ok(Number(refused.headers.get('retry-after')) > 0);
        }
        // 6 requests from this IP so far, at most 6 per hour: a seventh, for another address, is refused too.
        const byIp = await ask(`someone-${randomUUID()}@example.com`);
        assert.equal(byIp.status, 429);
        assert.match(byIp.body.error.message, /from this address/);
      });
    });
  });

  describe('password change', () => {
    it('when the current password is right, then the password changes, every other session is signed out, and the current one goes on with the new access token', async () => {
      const user = await createUser(api);
      const other = await login(user.email, user.password);
      const seen = capture.messages();
      const res = await api.request('POST', '/api/auth/password', {
        token: user.accessToken,
        body: { currentPassword: user.password, newPassword: NEW_PASSWORD },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.otherSessionsRevoked, 1);

      const otherMe = await api.request('GET', '/api/auth/me', { token: other.body.accessToken });
      assert.equal(otherMe.status, 401);
      assert.equal(otherMe.body.error.code, 'token_revoked');
      const otherRefresh = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: other.body.refreshToken } });
      assert.equal(otherRefresh.status, 401);
      assert.equal(otherRefresh.body.error.code, 'refresh_token_revoked');

      assert.equal((await api.request('GET', '/api/auth/me', { token: res.body.accessToken })).status, 200, 'the new access token works');
      const refreshed = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } });
      assert.equal(refreshed.status, 200, 'the current login goes on');
      assert.equal((await api.request('GET', '/api/auth/me', { token: refreshed.body.accessToken })).status, 200);
      // Access tokens issued before the change stop working, the caller's old one too: the answer carries its successor.
      assert.equal((await api.request('GET', '/api/auth/me', { token: user.accessToken })).status, 401);

      assert.equal((await login(user.email, user.password)).status, 401);
      assert.equal((await login(user.email, NEW_PASSWORD)).status, 200);
      await mailTo(user.email, /password was changed/, seen);
      const audit = await AuditLog.query(testDb()).findOne({ action: 'auth.password_change', actorId: user.id });
      assert.equal((audit?.meta as { otherSessionsRevoked: number }).otherSessionsRevoked, 1);
    });

    it('when the current password is wrong, then 403 wrong_password, nothing changes and it is audited', async () => {
      const user = await createUser(api);
      const other = await login(user.email, user.password);
      const res = await api.request('POST', '/api/auth/password', {
        token: user.accessToken,
        body: { currentPassword: 'not my password', newPassword: NEW_PASSWORD },
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'wrong_password');
      assert.equal((await api.request('GET', '/api/auth/me', { token: other.body.accessToken })).status, 200);
      assert.equal((await api.request('GET', '/api/auth/me', { token: user.accessToken })).status, 200);
      assert.equal((await login(user.email, user.password)).status, 200);
      assert.ok(await AuditLog.query(testDb()).findOne({ action: 'auth.password_change_failed', actorId: user.id }));
    });

    it('when the new password is too short or the body has other fields, then 400 naming the field', async () => {
      const user = await createUser(api);
      const short = await api.request('POST', '/api/auth/password', {
        token: user.accessToken,
        body: { currentPassword: user.password, newPassword: 'short' },
      });
      assert.equal(short.status, 400);
      assert.equal(short.body.error.details[0].path, 'body.newPassword');
      const extra = await api.request('POST', '/api/auth/password', {
        token: user.accessToken,
        body: { currentPassword: user.password, newPassword: NEW_PASSWORD, role: 'admin' },
      });
      assert.equal(extra.status, 400);
    });
  });

  describe('email verification', () => {
    it('when a user registers, then a verification mail comes; the token verifies the address once, and every API process sees it', async () => {
      const user = await createUser(api);
      const mail = await mailTo(user.email, /Confirm your email/);
      const token = tokenOf(mail, 'baev_');
      assert.ok(mail.text.includes(`https://app.example.test/base/verify-email#token=${token}`));
      const before = await api.request('GET', '/api/auth/me', { token: user.accessToken });
      assert.equal(before.body.user.emailVerified, false);
      assert.equal((await api.deps.accounts.get(user.id))?.user.emailVerified, false);

      const res = await api.request('POST', '/api/auth/verify-email', { body: { token } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { emailVerified: true, email: user.email });
      const after = await api.request('GET', '/api/auth/me', { token: user.accessToken });
      assert.equal(after.body.user.emailVerified, true);
      assert.ok(after.body.user.emailVerifiedAt);
      const cached = await eventually(
        () => api.deps.accounts.get(user.id),
        (account) => account?.user.emailVerified === true,
      );
      assert.equal(cached?.user.emailVerified, true, 'the account kept by the API process was dropped and re-read');

      const again = await api.request('POST', '/api/auth/verify-email', { body: { token } });
      assert.equal(again.status, 400);
      assert.equal(again.body.error.code, 'verification_token_used');
      assert.ok(await AuditLog.query(testDb()).findOne({ action: 'auth.email_verified', actorId: user.id }));
    });

    it('when a new verification mail is asked for, then the earlier link stops working; once verified, asking again is 409', async () => {
      const user = await createUser(api);
      const first = tokenOf(await mailTo(user.email, /Confirm your email/), 'baev_');
      const seen = capture.messages();
      const resend = await api.request('POST', '/api/auth/verify-email/resend', { token: user.accessToken });
      assert.equal(resend.status, 202, JSON.stringify(resend.body));
      assert.ok(Date.parse(resend.body.expiresAt) > Date.now());
      const second = tokenOf(await mailTo(user.email, /Confirm your email/, seen), 'baev_');
      assert.notEqual(first, second);

      const old = await api.request('POST', '/api/auth/verify-email', { body: { token: first } });
      assert.equal(old.status, 400);
      assert.equal(old.body.error.code, 'verification_token_invalid');
      assert.equal((await api.request('POST', '/api/auth/verify-email', { body: { token: second } })).status, 200);

      const verified = await api.request('POST', '/api/auth/verify-email/resend', { token: user.accessToken });
      assert.equal(verified.status, 409);
      assert.equal(verified.body.error.code, 'email_already_verified');
    });

    it('when the verification token has expired, then 400 verification_token_expired and the address stays unverified', async () => {
      const user = await createUser(api);
      const token = tokenOf(await mailTo(user.email, /Confirm your email/), 'baev_');
      const row = await AccountToken.query(testDb()).findOne({ userId: user.id, purpose: 'email_verification' });
      const ttlMs = api.deps.config.EMAIL_VERIFICATION_TTL_HOURS * 3_600_000;
      assert.ok(Math.abs(row!.expiresAt.getTime() - (row!.createdAt!.getTime() + ttlMs)) < 5_000, 'EMAIL_VERIFICATION_TTL_HOURS');
      await AccountToken.query(testDb())
        .patch({ expiresAt: new Date(Date.now() - 1000) })
        .where('id', row!.id);
      const res = await api.request('POST', '/api/auth/verify-email', { body: { token } });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'verification_token_expired');
      assert.equal((await User.query(testDb()).findById(user.id))?.emailVerifiedAt ?? null, null);
    });

    it('when resends are asked too often, then 429', async () => {
      const strict = await startTestApi({ SMTP_URL: capture.url, ...ROOMY_LIMITS, EMAIL_VERIFICATION_RESEND_MAX_PER_HOUR: 1 });
      try {
        const user = await createUser(strict);
        assert.equal((await strict.request('POST', '/api/auth/verify-email/resend', { token: user.accessToken })).status, 202);
        const refused = await strict.request('POST', '/api/auth/verify-email/resend', { token: user.accessToken });
        assert.equal(refused.status, 429);
      } finally {
        await strict.close();
      }
    });
  });

  describe('account deletion', () => {
    /** A blogger with history and usage, written directly (as a sync would). */
    async function seedData(user: TestUser, label: string, videos = 3) {
      const blogger = await Blogger.query(testDb()).insertAndFetch({
        userId: user.id,
        name: `${label} blogger`,
        youtubeUrl: `https://www.youtube.com/@${label}`,
        youtubeHandle: label,
      });
      const fetchedAt = new Date(Date.now() - 3_600_000);
      await VideoHistory.query(testDb()).insert(
        Array.from({ length: videos }, (_, i) => ({
          userId: user.id,
          bloggerId: blogger.id,
          platform: 'youtube' as const,
          platformVideoId: `${label}-v${i}`,
          title: `${label} video ${i}`,
          views: 100 + i,
          fetchedAt,
        })),
      );
      await UsageDaily.query(testDb()).insert({ userId: user.id, day: '2026-01-02', videosFetched: videos, apiRequests: 7 });
      return blogger;
    }

    it('when a user deletes the account with the password, then every row of it goes, its tokens stop working, and the audit keeps a record without personal data', async () => {
      const user = await createUser(api);
      const other = await createUser(api);
      await seedData(user, `gone${user.id}`);
      const kept = await seedData(other, `kept${other.id}`);
      await api.request('POST', '/api/auth/password-reset', { body: { email: user.email } });
      await mailTo(user.email, /Reset your/);
      const seen = capture.messages();
      // Live events kept for replay name the account's bloggers.
      await testRedis().xadd(`events:user:${user.id}`, '*', 't', 'blogger.synced', 'e', `{"data":{"name":"gone${user.id} blogger"}}`);
      await testRedis().xadd(`events:user:${other.id}`, '*', 't', 'blogger.synced', 'e', `{"data":{"name":"kept${other.id} blogger"}}`);

      const res = await api.request('DELETE', '/api/auth/me', { token: user.accessToken, body: { password: user.password } });
      assert.equal(res.status, 204, JSON.stringify(res.body));
      assert.equal(await testRedis().exists(`events:user:${user.id}`), 0, 'the live-event stream goes too');
      assert.equal(await testRedis().exists(`events:user:${other.id}`), 1, "another user's stays");

      const me = await api.request('GET', '/api/auth/me', { token: user.accessToken });
      assert.equal(me.status, 401);
      assert.equal(me.body.error.code, 'account_disabled');
      assert.equal((await api.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } })).status, 401);
      for (const table of ['users', 'bloggers', 'video_history', 'usage_daily', 'refresh_tokens', 'account_tokens']) {
        const [row] = await testDb()(table)
          .where(table === 'users' ? 'id' : 'userId', user.id)
          .count({ n: '*' });
        assert.equal(Number(row?.n), 0, `${table} keeps rows of the deleted account`);
      }
      assert.equal(await Blogger.query(testDb()).where('id', kept.id).resultSize(), 1, "another user's data stays");

      const record = await AuditLog.query(testDb()).findOne({ action: 'auth.account_delete', targetId: String(user.id) });
      assert.ok(record);
      assert.equal(record.actorId ?? null, null);
      assert.equal(record.actorEmail ?? null, null);
      assert.equal(record.ip ?? null, null);
      const naming = (await AuditLog.query(testDb())).filter((entry) => JSON.stringify(entry).includes(user.email));
      assert.deepEqual(naming, [], 'the address is gone from the whole audit log');
      assert.ok(
        (await AuditLog.query(testDb())
          .where({ action: 'auth.register', targetId: String(user.id) })
          .resultSize()) === 1,
        'what happened stays',
      );
      await mailTo(user.email, /was deleted/, seen);
      // Last: a login attempt with the address is a new event (an unknown address's failure), recorded as such.
      assert.equal((await login(user.email, user.password)).status, 401);
    });

    it('when the password is wrong, then 403 and nothing is deleted; without a body, 400', async () => {
      const user = await createUser(api);
      const wrong = await api.request('DELETE', '/api/auth/me', { token: user.accessToken, body: { password: 'not the password' } });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.error.code, 'wrong_password');
      const missing = await api.request('DELETE', '/api/auth/me', { token: user.accessToken });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error.details[0].path, 'body.password');
      assert.equal((await api.request('GET', '/api/auth/me', { token: user.accessToken })).status, 200);
    });

    it('when the last active admin deletes itself, then 409; with another active admin it may', async () => {
      const admin = await createUser(api, { role: 'admin' });
      await asOnlyActiveAdmin(admin.id, async () => {
        const refused = await api.request('DELETE', '/api/auth/me', { token: admin.accessToken, body: { password: admin.password } });
        assert.equal(refused.status, 409);
        assert.match(refused.body.error.message, /last active admin/);
        assert.equal(await User.query(testDb()).where('id', admin.id).resultSize(), 1);
        await createUser(api, { role: 'admin' });
        const ok = await api.request('DELETE', '/api/auth/me', { token: admin.accessToken, body: { password: admin.password } });
        assert.equal(ok.status, 204);
      });
    });

    it('when an account with a running blogger sync is deleted, then the sync ends at once instead of at its next cycle', async function () {
      this.timeout(90_000);
      await withSyncingAccount({ config: { SMTP_URL: capture.url, ...ROOMY_LIMITS } }, async ({ api: tracked, user, bloggerIds }) => {
        const res = await tracked.request('DELETE', '/api/auth/me', { token: user.accessToken, body: { password: user.password } });
        assert.equal(res.status, 204);
        assert.deepEqual(await syncOutcomes(bloggerIds), ['COMPLETED']);
      });
    });
  });

  describe('data export', () => {
    it('when a user exports, then an attachment holds the profile, bloggers, history, usage, sessions and audit entries, and no secret', async () => {
      const user = await createUser(api);
      const stranger = await createUser(api);
      const label = `exp${user.id}`;
      const blogger = await (async () => {
        const b = await Blogger.query(testDb()).insertAndFetch({ userId: user.id, name: 'Exported', youtubeHandle: label });
        await VideoHistory.query(testDb()).insert({
          userId: user.id,
          bloggerId: b.id,
          platform: 'youtube',
          platformVideoId: `${label}-v`,
          views: 42,
          fetchedAt: new Date(),
        });
        await UsageDaily.query(testDb()).insert({ userId: user.id, day: '2026-03-04', videosFetched: 1, apiRequests: 2 });
        return b;
      })();
      await Blogger.query(testDb()).insert({ userId: stranger.id, name: 'Not yours', youtubeHandle: `stranger${stranger.id}` });

      const res = await api.request('GET', '/api/auth/me/export', { token: user.accessToken });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.match(
        res.headers.get('content-disposition') ?? '',
        new RegExp(`^attachment; filename="blogger-analytics-export-${user.id}-\\d{4}-\\d{2}-\\d{2}\\.json"$`),
      );
      const doc = res.body;
      assert.equal(doc.format, 'blogger-analytics-export/1');
      assert.equal(doc.complete, true);
      assert.equal(doc.profile.email, user.email);
      assert.equal(doc.profile.emailVerified, false);
      assert.deepEqual(
        doc.bloggers.map((b: { id: number }) => b.id),
        [blogger.id],
      );
      assert.equal(doc.videoHistory.length, 1);
      assert.equal(doc.videoHistory[0].views, 42);
      assert.deepEqual(
        doc.usageDaily.map((u: { day: string }) => u.day),
        ['2026-03-04'],
      );
      assert.equal(doc.sessions.length, 1);
      assert.ok(doc.auditLog.some((a: { action: string }) => a.action === 'auth.register'));

      const text = JSON.stringify(doc);
      for (const secret of ['passwordHash', 'tokenHash', '$2b$', user.refreshToken, 'bart_', stranger.email, 'Not yours']) {
        assert.ok(!text.includes(secret), `the export holds ${secret}`);
      }
    });

    it('when the account holds more rows than a page (1,234 history rows, pages of 500), then every row comes exactly once, in order', async () => {
      const user = await createUser(api);
      const blogger = await Blogger.query(testDb()).insertAndFetch({ userId: user.id, name: 'Big', youtubeHandle: `big${user.id}` });
      const fetchedAt = new Date();
      await VideoHistory.query(testDb()).insert(
        Array.from({ length: 1234 }, (_, i) => ({
          userId: user.id,
          bloggerId: blogger.id,
          platform: 'youtube' as const,
          platformVideoId: `big-${i}`,
          views: i,
          fetchedAt,
        })),
      );
      const res = await api.request('GET', '/api/auth/me/export', { token: user.accessToken });
      assert.equal(res.status, 200);
      const ids = (res.body.videoHistory as { id: number }[]).map((v) => v.id);
      assert.equal(ids.length, 1234);
      assert.equal(new Set(ids).size, 1234);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
      );
      assert.equal(res.body.complete, true);
    });

    it('when exports are asked too often, then 429', async () => {
      const strict = await startTestApi({ ...ROOMY_LIMITS, ACCOUNT_EXPORT_MAX_PER_HOUR: 1 });
      try {
        const user = await createUser(strict);
        assert.equal((await strict.request('GET', '/api/auth/me/export', { token: user.accessToken })).status, 200);
        assert.equal((await strict.request('GET', '/api/auth/me/export', { token: user.accessToken })).status, 429);
      } finally {
        await strict.close();
      }
    });
  });
});

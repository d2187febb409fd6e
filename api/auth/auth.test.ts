import assert from 'node:assert/strict';
import { createSecretKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AuditLog, RefreshToken, User } from '../../db/models';
import { startTestApi, type TestApi } from '../../test/api';
import { testConfig, testDb, testRedis } from '../../test/harness';
import { createUser } from '../../test/users';
import { bcryptHasher, type PasswordHasher } from './passwords';
import { hashRefreshToken } from './tokens';

const key = createSecretKey(Buffer.from(testConfig.JWT_SECRET!, 'utf8'));

/** A token signed with the real secret but with claims/options of the test's choosing. */
function forge(claims: Record<string, unknown>, options: jwt.SignOptions = {}): string {
  const merged: jwt.SignOptions = {
    algorithm: 'HS256',
    issuer: testConfig.JWT_ISSUER,
    audience: testConfig.JWT_AUDIENCE,
    jwtid: randomUUID(),
    expiresIn: 600,
    ...options,
  };
  if (options.expiresIn === undefined && 'expiresIn' in options) delete merged.expiresIn; // no exp claim at all
  return jwt.sign({ kind: 'access', role: 'user', fid: randomUUID(), ...claims }, key, merged);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('auth API', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  describe('register', () => {
    it('when an email comes with spaces and capitals, then it is stored normalised and the response has no hash', async () => {
      const local = `Mixed.Case-${randomUUID()}`;
      const res = await api.request('POST', '/api/auth/register', { body: { email: `  ${local}@Example.COM `, password: 'password123' } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.user.email, `${local.toLowerCase()}@example.com`);
      assert.equal(res.body.user.plan, 'free');
      assert.doesNotMatch(JSON.stringify(res.body), /hash|\$2b\$/i);
      const audit = await AuditLog.query(testDb()).where({ action: 'auth.register', targetId: String(res.body.user.id) });
      assert.equal(audit.length, 1);
    });

    it('when the same email registers again in another case, then 409 and nothing changes', async () => {
      const user = await createUser(api);
      const res = await api.request('POST', '/api/auth/register', {
        body: { email: user.email.toUpperCase(), password: 'another-password' },
      });
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, 'conflict');
      assert.equal(await User.query(testDb()).where('email', user.email).resultSize(), 1);
    });

    it('when a password is exactly 72 bytes it is accepted; 73 bytes, or 25 three-byte characters (75 bytes), is 400', async () => {
      const ok = await api.request('POST', '/api/auth/register', {
        body: { email: `p72-${randomUUID()}@example.com`, password: 'a'.repeat(72) },
      });
      assert.equal(ok.status, 201);
      const okMultibyte = await api.request('POST', '/api/auth/register', {
        body: { email: `p72m-${randomUUID()}@example.com`, password: '€'.repeat(24) },
      });
      assert.equal(okMultibyte.status, 201, '24 × 3 bytes = 72 bytes');
      for (const password of ['a'.repeat(73), '€'.repeat(25)]) {
        const email = `long-${randomUUID()}@example.com`;
        const res = await api.request('POST', '/api/auth/register', { body: { email, password } });
        assert.equal(res.status, 400);
        assert.equal(res.body.error.details[0].path, 'body.password');
        assert.match(res.body.error.details[0].message, /at most 72 bytes/);
        assert.equal(await User.query(testDb()).where('email', email).resultSize(), 0, 'nothing was created');
      }
    });

    it('when a password is shorter than 8 bytes or the email is invalid, then 400 names each field', async () => {
      const res = await api.request('POST', '/api/auth/register', { body: { email: 'not-an-email', password: 'short' } });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.error.details.map((d: { path: string }) => d.path).sort(), ['body.email', 'body.password']);
    });

    it('when a register body carries role or plan, then it is refused (no mass assignment)', async () => {
      const email = `mass-${randomUUID()}@example.com`;
      const res = await api.request('POST', '/api/auth/register', {
        body: { email, password: 'password123', role: 'admin', plan: 'enterprise' },
      });
      assert.equal(res.status, 400);
      assert.match(JSON.stringify(res.body.error.details), /role/);
      assert.equal(await User.query(testDb()).where('email', email).resultSize(), 0);
    });
  });

  describe('login and me', () => {
    it('when the password is right, then tokens come back, last_login is set and me shows the account and plan limits', async () => {
      const user = await createUser(api);
      const row = await User.query(testDb()).findById(user.id);
      assert.ok(row?.lastLogin instanceof Date);
      const me = await api.request('GET', '/api/auth/me', { token: user.accessToken });
      assert.equal(me.status, 200);
      assert.equal(me.body.user.email, user.email);
      assert.deepEqual(me.body.user.limits, {
        maxBloggers: 5,
        maxVideosPerDay: 100,
        trendWatchEnabled: false,
        apiRateLimitPerMinute: 100,
        maxAlertRules: 3,
        maxWebhooks: 1,
      });
      assert.equal(me.body.user.emailVerified, false, 'registration leaves the address to be verified');
      assert.doesNotMatch(JSON.stringify(me.body), /passwordHash|password_hash|\$2b\$/);
    });

    it('when the password is wrong or the email unknown, then the same 401 and a login_failed audit entry', async () => {
      const user = await createUser(api);
      const wrong = await api.request('POST', '/api/auth/login', { body: { email: user.email, password: 'wrong password' } });
      const unknown = await api.request('POST', '/api/auth/login', {
        body: { email: `nobody-${randomUUID()}@example.com`, password: 'whatever1' },
      });
      for (const res of [wrong, unknown]) {
        assert.equal(res.status, 401);
        assert.equal(res.body.error.code, 'invalid_credentials');
      }
      const failures = await AuditLog.query(testDb()).where({ action: 'auth.login_failed', actorEmail: user.email });
      assert.equal(failures.length, 1);
      assert.deepEqual(failures[0]!.meta, { reason: 'wrong_password' });
    });
  });

  describe('access tokens', () => {
    let user: Awaited<ReturnType<typeof createUser>>;
    before(async () => {
      user = await createUser(api);
    });

    async function meWith(token: string) {
      return api.request('GET', '/api/auth/me', { token });
    }

    it('when no token is sent, then 401 says how to authenticate', async () => {
      const res = await api.request('GET', '/api/auth/me');
      assert.equal(res.status, 401);
      assert.match(res.body.error.message, /Authorization: Bearer/);
    });

    it('when a forged token with the right claims is sent, then it works (the forge helper is sound)', async () => {
      const res = await meWith(forge({}, { subject: String(user.id) }));
      assert.equal(res.status, 200);
    });

    it('when the token uses alg "none", then 401', async () => {
      const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: String(user.id), kind: 'access', fid: randomUUID(), jti: randomUUID(), iss: testConfig.JWT_ISSUER, aud: testConfig.JWT_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
      const res = await meWith(unsigned);
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'invalid_token');
    });

    it('when the token is signed with another algorithm (HS512, same secret), then 401', async () => {
      const res = await meWith(forge({}, { subject: String(user.id), algorithm: 'HS512' }));
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'invalid_token');
    });

    it('when the token is expired, then 401 token_expired tells the caller to refresh', async () => {
      const expired = forge(
        { exp: Math.floor(Date.now() / 1000) - 10, iat: Math.floor(Date.now() / 1000) - 100 },
        { subject: String(user.id), expiresIn: undefined },
      );
      const res = await meWith(expired);
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'token_expired');
      assert.match(res.body.error.message, /\/api\/auth\/refresh/);
    });

    it('when the token has no exp claim, then 401', async () => {
      const res = await meWith(forge({}, { subject: String(user.id), expiresIn: undefined }));
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'invalid_token');
      assert.match(res.body.error.message, /exp/);
    });

    it('when the token is of another kind, then 401 wrong_token_kind', async () => {
      const res = await meWith(forge({ kind: 'refresh' }, { subject: String(user.id) }));
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'wrong_token_kind');
    });

    it('when the issuer or audience is wrong, or the signature is another secret, then 401', async () => {
      for (const token of [
        forge({}, { subject: String(user.id), issuer: 'someone-else' }),
        forge({}, { subject: String(user.id), audience: 'other-api' }),
        jwt.sign({ kind: 'access', fid: randomUUID() }, 'x'.repeat(48), {
          algorithm: 'HS256',
          subject: String(user.id),
          issuer: testConfig.JWT_ISSUER,
          audience: testConfig.JWT_AUDIENCE,
          jwtid: randomUUID(),
          expiresIn: 600,
        }),
      ]) {
        const res = await meWith(token);
        assert.equal(res.status, 401);
      }
    });

    it('when a refresh token is used as an access token, then 401', async () => {
      const res = await meWith(user.refreshToken);
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'invalid_token');
    });

    it('when an access token is used as a refresh token, then 401 and no tokens', async () => {
      const res = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: user.accessToken } });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'invalid_refresh_token');
      assert.equal(res.body.accessToken, undefined);
    });
  });

  describe('refresh rotation', () => {
    it('when a refresh token is used, then a new pair comes back, the old one is marked rotated and the new one works', async () => {
      const user = await createUser(api);
      const res = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } });
      assert.equal(res.status, 200);
      assert.notEqual(res.body.refreshToken, user.refreshToken);
      assert.equal((await api.request('GET', '/api/auth/me', { token: res.body.accessToken })).status, 200);
      const rows = await RefreshToken.query(testDb()).where('userId', user.id).orderBy('id');
      assert.equal(rows.length, 2);
      assert.ok(rows[0]!.rotatedAt, 'the presented token is rotated');
      assert.equal(rows[0]!.replacedById, rows[1]!.id);
      assert.equal(rows[0]!.familyId, rows[1]!.familyId, 'same family');
      assert.ok(
        rows.every((r) => r.tokenHash.length === 64 && !r.tokenHash.includes('bart_')),
        'only hashes are stored',
      );
    });

    /** Refresh tokens of the family that still work: neither revoked nor rotated. */
    async function liveInFamily(familyOf: string): Promise<number> {
      const { familyId } = (await RefreshToken.query(testDb()).findOne({ tokenHash: hashRefreshToken(familyOf) }))!;
      return RefreshToken.query(testDb()).where({ familyId }).whereNull('revokedAt').whereNull('rotatedAt').resultSize();
    }

    it('when 8 refreshes of one token run in parallel (within the grace), then all get the same successor and the family has one live token', async () => {
      const user = await createUser(api);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => api.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } })),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        Array(8).fill(200),
      );
      const successors = new Set(results.map((r) => r.body.refreshToken));
      assert.equal(successors.size, 1, 'one successor for all');
      assert.notEqual([...successors][0], user.refreshToken);
      assert.equal(await liveInFamily(user.refreshToken), 1);
      for (const r of results) assert.equal((await api.request('GET', '/api/auth/me', { token: r.body.accessToken })).status, 200);
      const next = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: [...successors][0] } });
      assert.equal(next.status, 200, 'the successor rotates as usual');
      assert.equal(await liveInFamily(user.refreshToken), 1);
    });

    it('when a refresh is retried within the grace (its answer was lost), then the same successor comes back', async () => {
      const user = await createUser(api);
      const first = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } });
      const retry = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } });
      assert.deepEqual([first.status, retry.status], [200, 200]);
      assert.equal(retry.body.refreshToken, first.body.refreshToken);
      assert.equal(retry.body.refreshExpiresAt, first.body.refreshExpiresAt);
    });

    it('when a rotated token comes back after the grace, then the whole family is revoked', async () => {
      const user = await createUser(api);
      const first = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } });
      assert.equal(first.status, 200);
      // The rotation happened longer ago than the grace (moved back in time, no waiting).
      await RefreshToken.query(testDb())
        .patch({ rotatedAt: new Date(Date.now() - (testConfig.REFRESH_REUSE_GRACE_SECONDS + 1) * 1000) })
        .where('tokenHash', hashRefreshToken(user.refreshToken));
      const reuse = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } });
      assert.equal(reuse.status, 401);
      assert.equal(reuse.body.error.code, 'refresh_token_reused');
      assert.equal((await api.request('POST', '/api/auth/refresh', { body: { refreshToken: first.body.refreshToken } })).status, 401);
      assert.equal((await api.request('GET', '/api/auth/me', { token: first.body.accessToken })).status, 401);
      assert.equal(await liveInFamily(user.refreshToken), 0);
    });

    it('when logout races a refresh of the same login (30 times), then afterwards no token of the family works', async function () {
      this.timeout(30_000);
      const user = await createUser(api, { plan: 'enterprise' });
      for (let i = 0; i < 30; i++) {
        const login = await api.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
        const { accessToken, refreshToken } = login.body as { accessToken: string; refreshToken: string };
        const [refreshed, logout] = await Promise.all([
          api.request('POST', '/api/auth/refresh', { body: { refreshToken } }),
          api.request('POST', '/api/auth/logout', { token: accessToken }),
        ]);
        assert.equal(logout.status, 204);
        assert.equal(
          await liveInFamily(refreshToken),
          0,
          `round ${i}: a live refresh token survived the logout (refresh answered ${refreshed.status})`,
        );
        if (refreshed.status === 200) {
          assert.equal(
            (await api.request('POST', '/api/auth/refresh', { body: { refreshToken: refreshed.body.refreshToken } })).status,
            401,
            `round ${i}`,
          );
          assert.equal((await api.request('GET', '/api/auth/me', { token: refreshed.body.accessToken })).status, 401, `round ${i}`);
        }
        assert.equal((await api.request('POST', '/api/auth/refresh', { body: { refreshToken } })).status, 401, `round ${i}`);
      }
    });

    describe('with no grace (reuse is always detected)', () => {
      let strict: TestApi;
      before(async () => {
        strict = await startTestApi({ REFRESH_REUSE_GRACE_SECONDS: 0 });
      });
      after(() => strict.close());

      it('when a rotated token is presented again, then the whole family and its access tokens are revoked and it is audited', async () => {
        const user = await createUser(strict);
        const first = await strict.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } });
        assert.equal(first.status, 200);
        await new Promise((r) => setTimeout(r, 5));

        const reuse = await strict.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } });
        assert.equal(reuse.status, 401);
        assert.equal(reuse.body.error.code, 'refresh_token_reused');

        const successor = await strict.request('POST', '/api/auth/refresh', { body: { refreshToken: first.body.refreshToken } });
        assert.equal(successor.status, 401, 'the legitimate successor is revoked too');
        assert.equal(successor.body.error.code, 'refresh_token_revoked');
        assert.equal(
          (await strict.request('GET', '/api/auth/me', { token: first.body.accessToken })).status,
          401,
          'access tokens of the family stop working',
        );
        assert.equal((await RefreshToken.query(testDb()).where('userId', user.id).whereNull('revokedAt')).length, 0);
        const audit = await AuditLog.query(testDb()).where({ action: 'auth.refresh_reuse', actorId: user.id });
        assert.equal(audit.length, 1);
      });
    });
  });

  describe('logout', () => {
    it('when a user logs out, then the access token and the refresh family stop working, other logins keep working', async () => {
      const user = await createUser(api);
      const other = await api.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
      const res = await api.request('POST', '/api/auth/logout', { token: user.accessToken });
      assert.equal(res.status, 204);

      const me = await api.request('GET', '/api/auth/me', { token: user.accessToken });
      assert.equal(me.status, 401);
      assert.equal(me.body.error.code, 'token_revoked');
      const refresh = await api.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } });
      assert.equal(refresh.status, 401);
      assert.equal(
        (await api.request('GET', '/api/auth/me', { token: other.body.accessToken })).status,
        200,
        'another session is unaffected',
      );
    });
  });

  describe('disabled and deleted users', () => {
    it('when a user is disabled, then their access and refresh tokens stop working at once, and login says so', async () => {
      const user = await createUser(api);
      await User.query(testDb()).patch({ isActive: false }).where('id', user.id);
      const me = await api.request('GET', '/api/auth/me', { token: user.accessToken });
      assert.equal(me.status, 401);
      assert.equal(me.body.error.code, 'account_disabled');
      assert.equal((await api.request('POST', '/api/auth/refresh', { body: { refreshToken: user.refreshToken } })).status, 401);
      const login = await api.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
      assert.equal(login.status, 401);
      assert.equal(login.body.error.code, 'account_disabled');
    });

    it('when a user is deleted, then their access token stops working', async () => {
      const user = await createUser(api);
      await User.query(testDb()).deleteById(user.id);
      assert.equal((await api.request('GET', '/api/auth/me', { token: user.accessToken })).status, 401);
    });
  });

  describe('brute force', () => {
    let guarded: TestApi;
    const clearLoginLimits = async () => testRedis().del(...(await testRedis().keys('rl:login:*')), 'none');
    before(async () => {
      await clearLoginLimits();
      guarded = await startTestApi({ LOGIN_MAX_FAILURES_PER_EMAIL: 3, LOGIN_MAX_PER_IP: 8 });
    });
    after(async () => {
      await guarded.close();
      await clearLoginLimits();
    });

    it('when an email fails too often, then even the right password gets 429 with Retry-After', async () => {
      const user = await createUser(api);
      for (let i = 0; i < 3; i++) {
        assert.equal(
          (await guarded.request('POST', '/api/auth/login', { body: { email: user.email, password: 'wrong-password' } })).status,
          401,
        );
      }
      const locked = await guarded.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
      assert.equal(locked.status, 429);
      assert.equal(locked.body.error.code, 'rate_limited');
      assert.ok(Number(locked.headers.get('retry-after')) > 0);
    });

    it('when one IP tries too many logins, then 429 whatever the email', async () => {
      let last = 0;
      for (let i = 0; i < 9; i++) {
        last = (
          await guarded.request('POST', '/api/auth/login', { body: { email: `x${i}-${randomUUID()}@example.com`, password: 'whatever1' } })
        ).status;
      }
      assert.equal(last, 429);
    });
  });
  describe('brute force in parallel', () => {
    let guarded: TestApi;
    let compares = 0;
    const counting: PasswordHasher = {
      hash: (p, r) => bcryptHasher.hash(p, r),
      compare: (p, h) => {
        compares++;
        return bcryptHasher.compare(p, h);
      },
    };
    before(async () => {
      guarded = await startTestApi({ LOGIN_MAX_FAILURES_PER_EMAIL: 5, LOGIN_MAX_PER_IP: 1000 }, { passwords: counting });
    });
    after(() => guarded.close());

    it('when 25 wrong passwords for one email arrive at once (limit 5), then at most 5 reach bcrypt and the rest get 429 saying what to do', async () => {
      const user = await createUser(api);
      compares = 0;
      const results = await Promise.all(
        Array.from({ length: 25 }, () =>
          guarded.request('POST', '/api/auth/login', { body: { email: user.email, password: 'wrong-password' } }),
        ),
      );
      const statuses = results.map((r) => r.status);
      assert.ok(compares <= 5, `bcrypt ran ${compares} times`);
      assert.equal(statuses.filter((s) => s === 401).length, compares, 'every checked attempt was a 401');
      assert.equal(statuses.filter((s) => s === 429).length, 25 - compares);
      const refused = results.find((r) => r.status === 429)!;
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.match(refused.body.error.message, /Wait \d+ s.*reset your password/);
      compares = 0;
      const right = await guarded.request('POST', '/api/auth/login', { body: { email: user.email, password: user.password } });
      assert.equal(right.status, 429, 'locked even for the right password');
      assert.equal(compares, 0, 'and bcrypt did not run');
    });

    it('when the right password follows failures below the limit, then it succeeds and its attempt is refunded', async () => {
      const user = await createUser(api);
      const login = (password: string) => guarded.request('POST', '/api/auth/login', { body: { email: user.email, password } });
      for (let i = 0; i < 4; i++) assert.equal((await login('wrong-password')).status, 401);
      for (let i = 0; i < 3; i++) assert.equal((await login(user.password)).status, 200, `success ${i + 1} after 4 failures (limit 5)`);
      assert.equal((await login('wrong-password')).status, 401, 'the fifth failure is still checked');
      assert.equal((await login(user.password)).status, 429, 'then the email is locked');
    });
  });
  describe('register and refresh limits per IP', () => {
    let limited: TestApi;
    const clearLimits = async () => testRedis().del(...(await testRedis().keys('rl:re*:ip:*')), 'none');
    before(async () => {
      limited = await startTestApi({ REGISTER_MAX_PER_IP: 3, REFRESH_MAX_PER_IP: 4 });
    });
    after(async () => {
      await limited.close();
      await clearLimits();
    });

    it('when one IP registers too often, then 429 with Retry-After in the error shape, and no account is created', async () => {
      await clearLimits();
      const emails = Array.from({ length: 4 }, (_, i) => `reg${i}-${randomUUID()}@example.com`);
      const statuses = [];
      let last;
      for (const email of emails) {
        last = await limited.request('POST', '/api/auth/register', { body: { email, password: 'password123' } });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [201, 201, 201, 429]);
      assert.equal(last!.body.error.code, 'rate_limited');
      assert.match(last!.body.error.message, /Too many registrations from this address \(at most 3 per hour\)\. Retry in \d+ s/);
      assert.ok(Number(last!.headers.get('retry-after')) > 0);
      assert.equal(await User.query(testDb()).where('email', emails[3]!).resultSize(), 0);
    });

    it('when one IP refreshes too often, then 429 with Retry-After and the presented token is left untouched', async () => {
      const user = await createUser(api);
      await clearLimits();
      let token = user.refreshToken;
      for (let i = 0; i < 4; i++) {
        const res = await limited.request('POST', '/api/auth/refresh', { body: { refreshToken: token } });
        assert.equal(res.status, 200, `refresh ${i + 1}`);
        token = res.body.refreshToken;
      }
      const refused = await limited.request('POST', '/api/auth/refresh', { body: { refreshToken: token } });
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error.code, 'rate_limited');
      assert.match(refused.body.error.message, /token refreshes/);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      await clearLimits();
      assert.equal(
        (await limited.request('POST', '/api/auth/refresh', { body: { refreshToken: token } })).status,
        200,
        'the token still works once the limit allows',
      );
    });
  });
});

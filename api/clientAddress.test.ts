import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { AuditLog } from '../db/models';
import { startTestApi, type TestApi } from '../test/api';
import { eventually } from '../test/eventually';
import { testDb, testRedis } from '../test/harness';

const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

/** Forgets the login counts of these addresses, whatever the limiter's key layout. */
async function forgetLoginCounts(addresses: string[]): Promise<void> {
  const redis = testRedis();
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: '*login*', count: 500 })) {
    keys.push(...(batch as string[]).filter((key) => addresses.some((ip) => key.endsWith(ip))));
  }
  if (keys.length) await redis.del(...keys);
}

/** A failed login from a fresh email (so only the per-address limit can refuse it). */
async function failedLogin(api: TestApi, forwardedFor: string, emails: string[]) {
  const email = `ip-${randomUUID()}@example.com`;
  emails.push(email);
  return api.request('POST', '/api/auth/login', {
    body: { email, password: 'not the password' },
    headers: { 'x-forwarded-for': forwardedFor },
  });
}

/**
 * Until the API's Redis client is connected, the login limiter counts in memory (its insurance
 * limiter), so the first attempts would not all land in one counter.
 */
async function untilReady(api: TestApi): Promise<void> {
  const res = await eventually(
    () => api.request('GET', '/api/ready'),
    (r) => r.status === 200,
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

async function auditedIps(emails: string[]): Promise<string[]> {
  const rows = await AuditLog.query(testDb()).whereIn('actorEmail', emails).where('action', 'auth.login_failed').orderBy('id');
  return rows.map((r) => r.ip ?? '');
}

describe('client address (TRUST_PROXY_HOPS)', () => {
  const emails: string[] = [];
  after(async () => {
    await AuditLog.query(testDb()).whereIn('actorEmail', emails).delete();
  });

  describe('behind one trusted proxy (TRUST_PROXY_HOPS=1)', () => {
    let api: TestApi;
    const proxySaw = randomIp();
    const otherClient = randomIp();
    before(async () => {
      api = await startTestApi({ TRUST_PROXY_HOPS: 1, LOGIN_MAX_PER_IP: 3 });
      await untilReady(api);
    });
    after(async () => {
      await forgetLoginCounts([proxySaw, otherClient]);
      await api.close();
    });

    it('when a client writes its own X-Forwarded-For, then the address the proxy appended is the one limited and audited', async () => {
      const mine: string[] = [];
      for (const spoofed of ['1.2.3.4', '1.2.3.5', '1.2.3.6']) {
        const res = await failedLogin(api, `${spoofed}, ${proxySaw}`, mine);
        assert.equal(res.status, 401, JSON.stringify(res.body));
      }
      assert.deepEqual(await auditedIps(mine), [proxySaw, proxySaw, proxySaw]);
      emails.push(...mine);

      // A fourth spoofed first entry does not make a new client: the per-address limit holds.
      const limited = await failedLogin(api, `5.6.7.8, ${proxySaw}`, emails);
      assert.equal(limited.status, 429, JSON.stringify(limited.body));
      // Another address appended by the proxy is another client.
      const other = await failedLogin(api, `${proxySaw}, ${otherClient}`, emails);
      assert.equal(other.status, 401, JSON.stringify(other.body));
    });
  });

  describe('with no proxy (TRUST_PROXY_HOPS=0, the default)', () => {
    let api: TestApi;
    let socketAddresses: string[];
    before(async () => {
      api = await startTestApi({ TRUST_PROXY_HOPS: 0, LOGIN_MAX_PER_IP: 3 });
      await untilReady(api);
      socketAddresses = ['127.0.0.1', '::ffff:127.0.0.1'];
      await forgetLoginCounts(socketAddresses); // earlier tests logged in from here
    });
    after(async () => {
      await forgetLoginCounts(socketAddresses);
      await api.close();
    });

    it('when a client sends X-Forwarded-For, then it is ignored: the socket address is limited and audited', async () => {
      const mine: string[] = [];
      for (const spoofed of ['1.2.3.4, 5.6.7.8', '5.6.7.9', '9.9.9.9, 5.6.7.10']) {
        const res = await failedLogin(api, spoofed, mine);
        assert.equal(res.status, 401, JSON.stringify(res.body));
      }
      for (const ip of await auditedIps(mine)) assert.match(ip, /^(::ffff:)?127\.0\.0\.1$/);
      emails.push(...mine);
      const limited = await failedLogin(api, '4.4.4.4', emails);
      assert.equal(limited.status, 429, JSON.stringify(limited.body));
    });
  });
});

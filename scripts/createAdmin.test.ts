import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { User } from '../db/models';
import { PROJECT_ROOT } from '../lib/config';
import { startTestApi, type TestApi } from '../test/api';
import { testConfig, testDb } from '../test/harness';
import { createUser } from '../test/users';

const run = promisify(execFile);

function createAdmin(args: string[]) {
  return run(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(PROJECT_ROOT, 'scripts', 'createAdmin.ts'), ...args], {
    env: { ...process.env, DATABASE_URL: testConfig.DATABASE_URL, BCRYPT_ROUNDS: '4' },
  });
}

describe('npm run admin:create', function () {
  this.timeout(30_000);

  it('when run with an email, then an admin exists and can log in with the generated password', async () => {
    const email = `first-admin-${randomUUID()}@example.com`;
    const { stdout } = await createAdmin(['--email', email]);
    const password = stdout.match(/Generated password \(shown once\): (\S+)/)?.[1];
    assert.ok(password, stdout);
    const user = await User.query(testDb()).findOne({ email });
    assert.equal(user?.role, 'admin');
    const api = await startTestApi();
    try {
      const login = await api.request('POST', '/api/auth/login', { body: { email, password } });
      assert.equal(login.status, 200);
      assert.equal((await api.request('GET', '/api/admin/stats', { token: login.body.accessToken })).status, 200);
    } finally {
      await api.close();
      await User.query(testDb()).deleteById(user!.id);
    }
  });

  it('when the email is missing or invalid, then it exits non-zero with the usage', async () => {
    await assert.rejects(createAdmin(['--email', 'nope']), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /Usage: npm run admin:create -- --email/);
      return true;
    });
  });
  describe('when the email already has an account', () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi();
    });
    after(() => api.close());

    it('when --promote is not given, then it exits non-zero saying so, and the account is unchanged', async () => {
      const owner = await createUser(api);
      const before = await User.query(testDb()).findById(owner.id);
      await assert.rejects(
        createAdmin(['--email', owner.email, '--password', 'admin-password-1']),
        (err: { code: number; stderr: string }) => {
          assert.equal(err.code, 1);
          assert.match(err.stderr, /already exists .*left unchanged/);
          assert.match(err.stderr, /--promote/);
          return true;
        },
      );
      const after = await User.query(testDb()).findById(owner.id);
      assert.equal(after?.role, 'user');
      assert.equal(after?.passwordHash, before?.passwordHash);
      assert.equal(
        (await api.request('GET', '/api/auth/me', { token: owner.accessToken })).status,
        200,
        "the owner's session is untouched",
      );
    });

    it('when --promote is given, then it becomes an admin with the new password only, and every earlier session is signed out', async () => {
      const owner = await createUser(api);
      const second = await api.request('POST', '/api/auth/login', { body: { email: owner.email, password: owner.password } });
      const { stdout } = await createAdmin(['--email', owner.email, '--promote', '--password', 'admin-password-1']);
      assert.match(stdout, /Promoted .* to admin: its password was replaced and its sessions signed out \(2 refresh token/);

      assert.equal((await User.query(testDb()).findById(owner.id))?.role, 'admin');
      assert.equal(
        (await api.request('POST', '/api/auth/login', { body: { email: owner.email, password: owner.password } })).status,
        401,
        'the old password is gone',
      );
      for (const token of [owner.accessToken, second.body.accessToken as string]) {
        const me = await api.request('GET', '/api/admin/stats', { token });
        assert.equal(me.status, 401, 'an earlier access token does not get the new admin rights');
      }
      for (const refreshToken of [owner.refreshToken, second.body.refreshToken as string]) {
        assert.equal((await api.request('POST', '/api/auth/refresh', { body: { refreshToken } })).status, 401);
      }
      const login = await api.request('POST', '/api/auth/login', { body: { email: owner.email, password: 'admin-password-1' } });
      assert.equal(login.status, 200);
      assert.equal((await api.request('GET', '/api/admin/stats', { token: login.body.accessToken })).status, 200);
      await User.query(testDb()).deleteById(owner.id);
    });

    it('when --promote is given without a password, then a generated one is printed and is the only one that works', async () => {
      const owner = await createUser(api);
      const { stdout } = await createAdmin(['--email', owner.email, '--promote']);
      const password = stdout.match(/Generated password \(shown once\): (\S+)/)?.[1];
      assert.ok(password, stdout);
      assert.equal((await api.request('POST', '/api/auth/login', { body: { email: owner.email, password: owner.password } })).status, 401);
      assert.equal((await api.request('POST', '/api/auth/login', { body: { email: owner.email, password } })).status, 200);
      await User.query(testDb()).deleteById(owner.id);
    });
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { User } from '../db/models';
import { PROJECT_ROOT } from '../lib/config';
import { startTestApi } from '../test/api';
import { testConfig, testDb } from '../test/harness';

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
});

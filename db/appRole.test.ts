import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { APP_DB_ROLE, loadConfig, PROJECT_ROOT } from '../lib/config';
import { testConfig, testDb } from '../test/harness';
import { scramSha256Verifier, scramVerifierMatches, setRolePassword } from './appRole';

const storedPassword = async (role: string): Promise<string | null> =>
  (await testDb().raw('select rolpassword from pg_authid where rolname = ?', [role])).rows[0].rolpassword;

describe('app role password', function () {
  this.timeout(30_000);

  it('when PostgreSQL hashes a password itself, then our SCRAM verifier agrees with it (same algorithm)', async () => {
    const role = `pw_probe_${randomUUID().slice(0, 8)}`;
    await testDb().raw(`SET password_encryption = 'scram-sha-256'; CREATE ROLE ${role} LOGIN PASSWORD 'plain-Secret-123'`);
    try {
      const verifier = (await storedPassword(role))!;
      assert.ok(scramVerifierMatches(verifier, 'plain-Secret-123'), verifier);
      assert.ok(!scramVerifierMatches(verifier, 'plain-Secret-124'));
      assert.match(scramSha256Verifier('x'.repeat(12)), /^SCRAM-SHA-256\$4096:/);
    } finally {
      await testDb().raw(`DROP ROLE ${role}`);
    }
  });

  it('when setRolePassword runs, then the role gets that password (as a verifier; the plain text never reaches the server)', async () => {
    const role = `pw_probe_${randomUUID().slice(0, 8)}`;
    await testDb().raw(`CREATE ROLE ${role} LOGIN`);
    try {
      assert.equal(await storedPassword(role), null);
      await setRolePassword(testDb(), role, 'a-configured-password');
      assert.ok(scramVerifierMatches((await storedPassword(role))!, 'a-configured-password'));
    } finally {
      await testDb().raw(`DROP ROLE ${role}`);
    }
  });

  it('when APP_DATABASE_PASSWORD is set, then `npm run migrate` gives it to the app role and the default app URL carries it', async () => {
    const password = `pw-${randomUUID()}`;
    const before = await storedPassword(APP_DB_ROLE);
    try {
      const { stdout } = await promisify(execFile)(
        path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
        [path.join(PROJECT_ROOT, 'scripts', 'migrate.ts')],
        {
          env: { ...process.env, DATABASE_URL: testConfig.DATABASE_URL, APP_DATABASE_PASSWORD: password },
        },
      );
      assert.match(stdout, /password of role blogger_app set from APP_DATABASE_PASSWORD/);
      assert.ok(scramVerifierMatches((await storedPassword(APP_DB_ROLE))!, password));
    } finally {
      // The role is shared by every database of the cluster: put back what was there.
      if (before) await testDb().raw(`ALTER ROLE ${APP_DB_ROLE} PASSWORD '${before.replace(/'/g, "''")}'`);
      else await testDb().raw(`ALTER ROLE ${APP_DB_ROLE} PASSWORD NULL`);
    }
    const url = new URL(
      loadConfig({ DATABASE_URL: 'postgres://blogger:owner@db:5432/app', APP_DATABASE_PASSWORD: 'p@ss:word/with%chars' }).appDatabaseUrl,
    );
    assert.equal(url.username, APP_DB_ROLE);
    assert.equal(decodeURIComponent(url.password), 'p@ss:word/with%chars');
  });

  it('when APP_DATABASE_PASSWORD is too short or has spaces, then the configuration is refused', () => {
    assert.throws(() => loadConfig({ APP_DATABASE_PASSWORD: 'short' }), /APP_DATABASE_PASSWORD/);
    assert.throws(() => loadConfig({ APP_DATABASE_PASSWORD: 'has a space in it' }), /APP_DATABASE_PASSWORD/);
  });
});

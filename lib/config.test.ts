import assert from 'node:assert/strict';
import { ConfigError, describeConfig, loadConfig } from './config';

describe('config', () => {
  it('when nothing is set, then every key has its documented default', () => {
    const config = loadConfig({});
    assert.equal(config.PORT, 3000);
    assert.equal(config.TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(config.TEMPORAL_UI_PORT, 8233);
    assert.equal(config.TIME_SCALE, 1);
    assert.equal(config.logPretty, true, 'development logs are pretty by default');
  });

  it('when values are given as strings, then they are coerced to their types', () => {
    const config = loadConfig({
      PORT: '8080',
      TIME_SCALE: '1440',
      LOG_PRETTY: 'false',
      NODE_ENV: 'production',
      JWT_SECRET: 's'.repeat(40),
    });
    assert.equal(config.PORT, 8080);
    assert.equal(config.TIME_SCALE, 1440);
    assert.equal(config.logPretty, false);
  });

  it('when keys are invalid, then one ConfigError names each of them', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url', TIME_SCALE: '-2' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        for (const key of ['PORT', 'DATABASE_URL', 'TIME_SCALE']) assert.match(err.message, new RegExp(`- ${key}:`));
        assert.match(err.message, /\.env\.example/);
        return true;
      },
    );
  });

  it('when production runs without JWT_SECRET, or with a short one, then start-up is refused', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), /JWT_SECRET: required in production/);
    assert.throws(() => loadConfig({ JWT_SECRET: 'short' }), /JWT_SECRET: use at least 32/);
  });

  it('when production allows local webhook targets, then start-up is refused; elsewhere it is allowed', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 's'.repeat(40) };
    assert.throws(
      () => loadConfig({ ...production, WEBHOOKS_ALLOW_LOCAL_TARGETS: 'true' }),
      /WEBHOOKS_ALLOW_LOCAL_TARGETS: not allowed in production/,
    );
    assert.equal(loadConfig(production).WEBHOOKS_ALLOW_LOCAL_TARGETS, false);
    assert.equal(loadConfig({ NODE_ENV: 'test', WEBHOOKS_ALLOW_LOCAL_TARGETS: 'true' }).WEBHOOKS_ALLOW_LOCAL_TARGETS, true);
  });

  it('when APP_DATABASE_URL is not set, then the app connects to the same database as role blogger_app', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://owner:secret@db.internal:5432/analytics' });
    assert.equal(config.appDatabaseUrl, 'postgres://blogger_app@db.internal:5432/analytics');
  });

  it('when .env.example is compared with the schema, then it lists every key', async () => {
    const { readFile } = await import('node:fs/promises');
    const example = await readFile(new URL('../.env.example', `file://${__filename}`), 'utf8');
    const listed = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const missing = describeConfig()
      .map((k) => k.key)
      .filter((k) => !listed.has(k));
    assert.deepEqual(missing, [], `keys missing from .env.example: ${missing.join(', ')}`);
  });
});

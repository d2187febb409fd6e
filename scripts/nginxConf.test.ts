import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getConfig } from '../lib/config';
import { MissingToolError } from './devServer';
import { ensureNginx, readNginxConf, renderForCompose, renderForLocal, selfSignedCertificate } from './nginxConf';

describe('deploy/nginx/nginx.conf', function () {
  this.timeout(180_000); // the first run may install nginx
  let nginx: string;
  let dir: string;

  before(function () {
    try {
      nginx = ensureNginx((line) => console.log(`      ${line}`));
    } catch (err) {
      if (err instanceof MissingToolError) {
        console.log(`      skipped: ${err.message}`);
        this.skip();
      }
      throw err;
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'nginx-conf-test-'));
    const certs = path.join(dir, 'certs');
    mkdirSync(certs);
    selfSignedCertificate(certs, 'example.com');
  });

  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  function nginxTest(conf: string): { ok: boolean; output: string } {
    const file = path.join(dir, 'nginx.conf');
    writeFileSync(file, conf);
    const res = spawnSync(nginx, ['-t', '-p', dir, '-c', file, '-g', `pid ${dir}/nginx.pid; error_log ${dir}/error.log;`], {
      encoding: 'utf8',
    });
    return { ok: res.status === 0, output: res.stderr };
  }

  it('when the compose flavour is rendered with dummy certificates, then nginx -t accepts it', () => {
    // Only what a container has and this machine does not: the certificate files and the service names.
    const conf = renderForCompose(readNginxConf(), 'example.com')
      .replaceAll('/etc/letsencrypt/live/example.com/', `${dir}/certs/`)
      .replace('server api:3000;', 'server 127.0.0.1:3000;')
      .replace('server temporal-ui:8080;', 'server 127.0.0.1:8080;');
    const { ok, output } = nginxTest(conf);
    assert.ok(ok, output);
  });

  const local = () => ({
    domain: 'localhost',
    apiServers: ['127.0.0.1:13001', '127.0.0.1:13002'],
    temporalUi: '127.0.0.1:18089',
    httpPort: 18080,
    httpsPort: 18443,
    adminPort: 18444,
    certDir: `${dir}/certs`,
    acmeWebroot: `${dir}/acme`,
    htpasswdFile: `${dir}/htpasswd`,
    logDir: dir,
  });

  it('when the local flavour is rendered, then nginx -t accepts it and every swap applied', () => {
    const conf = renderForLocal(readNginxConf(), local());
    assert.doesNotMatch(conf, /api:3000|temporal-ui:8080|letsencrypt|\$\{DOMAIN\}|\/var\/www|listen (80|443|8443)\b/);
    const { ok, output } = nginxTest(conf);
    assert.ok(ok, output);
  });

  it('when a directive the local run swaps is gone, then rendering fails naming it', () => {
    assert.throws(
      () => renderForLocal(readNginxConf().replace('server temporal-ui:8080;', 'server ui:8080;'), local()),
      /no longer contains server temporal-ui:8080/,
    );
  });

  it('when the proxy settings are read, then X-Forwarded-For is overwritten, HSTS is on and the body limit matches BODY_LIMIT', () => {
    const conf = readNginxConf();
    assert.match(conf, /proxy_set_header X-Forwarded-For \$remote_addr;/);
    assert.doesNotMatch(conf, /proxy_add_x_forwarded_for/);
    assert.match(conf, /add_header Strict-Transport-Security "max-age=\d+[^"]*" always;/);
    const limit = /client_max_body_size (\d+)k;/.exec(conf)?.[1];
    assert.equal(`${limit}kb`, getConfig().BODY_LIMIT.toLowerCase());
    assert.match(conf, /location \/api\/stream \{[^}]*proxy_buffering off;[^}]*proxy_read_timeout 1h;/);
  });
});

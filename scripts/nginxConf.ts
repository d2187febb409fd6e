/**
 * Renders deploy/nginx/nginx.conf, the one nginx configuration: as the nginx image does in docker
 * compose (only ${DOMAIN} substituted), or for a run on this machine (`npm run prod:smoke`), where
 * upstreams, ports and file paths are swapped for local ones. Every swap must match the source, so
 * a change to the compose file that the local run no longer mirrors fails loudly instead of testing
 * something else.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/config';
import { isExecutable, MissingToolError } from './devServer';

export const NGINX_CONF = path.join(PROJECT_ROOT, 'deploy', 'nginx', 'nginx.conf');

export interface LocalNginxOptions {
  domain: string;
  /** host:port of each API process */
  apiServers: string[];
  temporalUi: string;
  httpPort: number;
  httpsPort: number;
  adminPort: number;
  /** Holds fullchain.pem and privkey.pem */
  certDir: string;
  acmeWebroot: string;
  htpasswdFile: string;
  logDir: string;
}

/** What the nginx image's envsubst does: ${DOMAIN} only, every other `$` is nginx's. */
export function renderForCompose(source: string, domain: string): string {
  return source.replaceAll('${DOMAIN}', domain);
}

function swap(text: string, from: string | RegExp, to: string): string {
  const count = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from, 'g')) ?? []).length;
  if (count === 0) throw new Error(`deploy/nginx/nginx.conf no longer contains ${String(from)}: update scripts/nginxConf.ts`);
  return typeof from === 'string' ? text.replaceAll(from, to) : text.replace(new RegExp(from, 'g'), to);
}

export function renderForLocal(source: string, o: LocalNginxOptions): string {
  let text = renderForCompose(source, o.domain);
  text = swap(text, `/etc/letsencrypt/live/${o.domain}/`, `${o.certDir}/`);
  text = swap(text, '    server api:3000;\n', o.apiServers.map((s) => `    server ${s};\n`).join(''));
  text = swap(text, 'server temporal-ui:8080;', `server ${o.temporalUi};`);
  text = swap(text, 'listen 80 default_server;', `listen 127.0.0.1:${o.httpPort} default_server;`);
  text = swap(text, 'listen 443 ssl default_server;', `listen 127.0.0.1:${o.httpsPort} ssl default_server;`);
  text = swap(text, 'listen 8443 ssl;', `listen 127.0.0.1:${o.adminPort} ssl;`);
  // The local HTTPS port is not 443, so the redirect names it.
  text = swap(text, 'return 301 https://$host$request_uri;', `return 301 https://$host:${o.httpsPort}$request_uri;`);
  text = swap(text, 'root /var/www/certbot;', `root ${o.acmeWebroot};`);
  text = swap(text, 'auth_basic_user_file /etc/nginx/htpasswd;', `auth_basic_user_file ${o.htpasswdFile};`);
  text = swap(text, 'access_log /var/log/nginx/access.log;', `access_log ${o.logDir}/access.log;`);
  return text;
}

export function readNginxConf(): string {
  return readFileSync(NGINX_CONF, 'utf8');
}

function findNginx(): string | undefined {
  // /usr/sbin is often not on a non-root PATH.
  return ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'nginx'))].find(isExecutable);
}

/** A throwaway self-signed certificate for `commonName`: `fullchain.pem` and `privkey.pem` in `dir`. */
export function selfSignedCertificate(dir: string, commonName: string): void {
  const res = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      `subjectAltName=DNS:${commonName}`,
      '-keyout',
      path.join(dir, 'privkey.pem'),
      '-out',
      path.join(dir, 'fullchain.pem'),
    ],
    { encoding: 'utf8' },
  );
  if (res.status !== 0) throw new Error(`openssl could not make a certificate: ${res.stderr}`);
}

/**
 * The nginx binary, installed from Debian's packages when missing (root and apt-get needed; the
 * package's own service is not started where policy-rc.d forbids it, as in containers).
 */
export function ensureNginx(log: (line: string) => void): string {
  const found = findNginx();
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    throw new MissingToolError(
      `nginx is not installed${hasApt ? ' and installing it needs root' : ''}. Install it (Debian/Ubuntu: sudo apt-get install -y nginx), then run again.`,
    );
  }
  log('nginx is missing: apt-get install -y --no-install-recommends nginx');
  const res = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'nginx'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const installed = findNginx();
  if (res.status !== 0 || !installed) {
    throw new MissingToolError(`apt-get install nginx failed (exit code ${res.status}); install nginx by hand and run again.`);
  }
  log(`installed ${installed}`);
  return installed;
}

/**
 * Webhook targets and sending, against a real local HTTP receiver: which URLs are refused, the
 * send-time address check after DNS (a public-looking name that resolves to a loopback address),
 * no redirects, a bounded answer, a deadline, and signatures a Standard Webhooks receiver accepts.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { MAX_RESPONSE_BYTES, WebhookSender, type ResolveAll } from './webhookSender';
import { newEventId, newWebhookSecret, signWebhook } from './webhookSignature';
import { checkWebhookUrl, forbiddenAddressReason, WebhookTargetError } from './webhookUrl';

const STRICT = { allowLocal: false };
const LOCAL = { allowLocal: true };

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function startReceiver(
  handle: (req: Received, res: ServerResponse) => void,
): Promise<{ port: number; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      handle(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, received, server };
}

describe('webhook targets (URL rules)', () => {
  it('when a URL names a private, loopback, link-local, CGNAT, multicast, unspecified or reserved address in any spelling, then it is refused', () => {
    const refused = [
      'https://127.0.0.1/hook',
      'https://0x7f.1/hook', // 127.0.0.1, hex and short
      'https://2130706433/hook', // 127.0.0.1 as one number
      'https://0177.0.0.1/hook', // octal
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook', // IPv4-mapped IPv6
      'https://[::ffff:7f00:1]/hook',
      'https://10.1.2.3/',
      'https://172.16.0.1/',
      'https://192.168.1.1/',
      'https://169.254.169.254/latest/meta-data', // cloud metadata
      'https://100.64.0.1/', // carrier-grade NAT
      'https://224.0.0.1/',
      'https://0.0.0.0/',
      'https://240.0.0.1/',
      'https://255.255.255.255/',
      'https://[fe80::1]/',
      'https://[fc00::1]/',
      'https://[ff02::1]/',
      'https://[::]/',
      'https://[64:ff9b::a00:1]/', // NAT64 of 10.0.0.1
      'https://[2002:7f00:1::]/', // 6to4 of 127.0.0.1
      'https://[::a00:1]/', // IPv4-compatible (deprecated) 10.0.0.1
      'https://localhost/hook',
      'https://foo.localhost/hook',
      'https://metadata.google.internal/',
      'https://router.local/',
      'https://intranet/',
    ];
    for (const url of refused) assert.throws(() => checkWebhookUrl(url, STRICT), WebhookTargetError, url);
  });

  it('when a URL is not https or carries credentials, then it is refused with what to fix', () => {
    assert.throws(() => checkWebhookUrl('http://hooks.example.com/x', STRICT), /must use https/);
    assert.throws(() => checkWebhookUrl('ftp://hooks.example.com/x', STRICT), /must use https/);
    assert.throws(() => checkWebhookUrl('https://user:pw@hooks.example.com/x', STRICT), /credentials/);
    assert.throws(() => checkWebhookUrl('not a url', STRICT), /not a valid URL/);
    assert.throws(() => checkWebhookUrl('https://hooks.example.com:0/x', STRICT), /port 0/);
    assert.throws(() => checkWebhookUrl('http://127.0.0.1:0/x', LOCAL), /port 0/);
  });

  it('when an address is refused, then the message names its range in words', () => {
    assert.throws(() => checkWebhookUrl('https://0.0.0.0/', STRICT), /host 0\.0\.0\.0 is an unspecified address;/);
    assert.throws(() => checkWebhookUrl('https://169.254.169.254/', STRICT), /is a link-local address;/);
    assert.throws(() => checkWebhookUrl('https://100.64.0.1/', STRICT), /is a carrier-grade NAT address;/);
    assert.throws(() => checkWebhookUrl('https://[64:ff9b::a00:1]/', STRICT), /is a NAT64 \(RFC 6052\) address;/);
    assert.throws(() => checkWebhookUrl('https://[fc00::1]/', STRICT), /is a unique local \(private\) address;/);
  });

  it('when a URL is https to a public name or address, then it is accepted', () => {
    assert.equal(checkWebhookUrl('https://hooks.example.com/in?x=1', STRICT).toString(), 'https://hooks.example.com/in?x=1');
    assert.ok(checkWebhookUrl('https://93.184.216.34/hook', STRICT));
    assert.ok(checkWebhookUrl('https://[2606:4700:4700::1111]/hook', STRICT));
    assert.equal(forbiddenAddressReason('8.8.8.8', STRICT), null);
  });

  it('when local targets are allowed (tests only), then http and loopback pass, private addresses still do not', () => {
    assert.ok(checkWebhookUrl('http://127.0.0.1:8080/hook', LOCAL));
    assert.ok(checkWebhookUrl('http://localhost:8080/hook', LOCAL));
    assert.throws(() => checkWebhookUrl('http://10.0.0.1/hook', LOCAL), WebhookTargetError);
    assert.throws(() => checkWebhookUrl('http://169.254.169.254/', LOCAL), WebhookTargetError);
  });
});

describe('webhook sender (local receiver)', function () {
  this.timeout(20_000);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let mode: 'ok' | 'redirect' | 'huge' | 'silent' = 'ok';
  const senders: WebhookSender[] = [];
  const sender = (opts: ConstructorParameters<typeof WebhookSender>[0]) => {
    const s = new WebhookSender(opts);
    senders.push(s);
    return s;
  };
  /** A public-looking name that DNS (this test's resolver) answers with the loopback address. */
  const rebinding: ResolveAll = async () => [{ address: '127.0.0.1', family: 4 }];

  before(async () => {
    receiver = await startReceiver((req, res) => {
      if (mode === 'redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${receiver.port}/elsewhere` }).end();
      } else if (mode === 'huge') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('x'.repeat(1024 * 1024));
      } else if (mode === 'silent') {
        // never answers
      } else {
        res.writeHead(204).end();
      }
    });
  });
  afterEach(() => {
    mode = 'ok';
    receiver.received.length = 0;
  });
  after(async () => {
    await Promise.all(senders.map((s) => s.close()));
    receiver.server.closeAllConnections();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  const signed = (secret: string, body: string) => signWebhook(secret, newEventId(), body, new Date());

  it('when a public-looking name resolves to a loopback address at send time, then nothing is sent and the attempt is refused', async () => {
    const s = sender({ policy: STRICT, timeoutMs: 2000, resolve: rebinding });
    const result = await s.send({ url: `https://hooks.example.com:${receiver.port}/in`, body: '{}', headers: {} });
    assert.equal(result.ok, false);
    assert.equal(result.refused, true, JSON.stringify(result));
    assert.match(result.error ?? '', /loopback/);
    assert.equal(receiver.received.length, 0, 'the receiver was never reached');
  });

  it('when local targets are allowed, then the signed request arrives and a Standard Webhooks receiver verifies it', async () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ type: 'webhook.test', timestamp: new Date().toISOString(), data: { hello: 'world' } });
    const s = sender({ policy: LOCAL, timeoutMs: 2000 });
    const result = await s.send({ url: `http://127.0.0.1:${receiver.port}/in`, body, headers: signed(secret, body) });
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.statusCode, 204);
    const [req] = receiver.received;
    assert.equal(req!.body, body);
    assert.match(String(req!.headers['webhook-signature']), /^v1,[A-Za-z0-9+/=]+$/);
    const verified = new Webhook(secret).verify(req!.body, req!.headers as Record<string, string>);
    assert.deepEqual(verified, JSON.parse(body));
    assert.throws(() => new Webhook(newWebhookSecret()).verify(req!.body, req!.headers as Record<string, string>), /signature/i);
  });

  it('when the receiver redirects, then the redirect is not followed and the attempt failed', async () => {
    mode = 'redirect';
    const result = await sender({ policy: LOCAL, timeoutMs: 2000 }).send({
      url: `http://127.0.0.1:${receiver.port}/in`,
      body: '{}',
      headers: {},
    });
    assert.equal(result.ok, false);
    assert.equal(result.statusCode, 302);
    assert.match(result.error ?? '', /redirects are not followed/);
    assert.equal(receiver.received.length, 1, 'only the first request was made');
  });

  it('when the receiver answers a huge body, then only the first 4 KiB are read', async () => {
    mode = 'huge';
    const result = await sender({ policy: LOCAL, timeoutMs: 5000 }).send({
      url: `http://127.0.0.1:${receiver.port}/in`,
      body: '{}',
      headers: {},
    });
    assert.equal(result.ok, true);
    assert.equal(result.responseBody?.length, MAX_RESPONSE_BYTES);
  });

  it('when the receiver never answers, then the attempt fails at its deadline', async () => {
    mode = 'silent';
    const started = Date.now();
    const result = await sender({ policy: LOCAL, timeoutMs: 300 }).send({
      url: `http://127.0.0.1:${receiver.port}/in`,
      body: '{}',
      headers: {},
    });
    assert.equal(result.ok, false);
    assert.equal(result.statusCode, null);
    assert.match(result.error ?? '', /timed out/);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });
});

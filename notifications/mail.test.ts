import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testConfig, testLogger } from '../test/harness';
import { startMailCapture, type MailCapture } from './mailCapture';
import { createMailer, MailNotConfiguredError } from './mailer';

describe('mail: the mailer over SMTP and the capture server', () => {
  let capture: MailCapture;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mail-capture-'));
    capture = await startMailCapture({ dir });
  });
  after(async () => {
    await capture?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when a message is sent through SMTP_URL, then the capture server has it as sent: recipient, MAIL_FROM, subject, text and HTML, and an .eml file', async () => {
    const mailer = createMailer({ ...testConfig, SMTP_URL: capture.url, MAIL_FROM: 'Tests <tests@example.test>' }, testLogger);
    try {
      const sent = await mailer.send({
        to: 'ada@example.test',
        subject: 'Hello ✓',
        text: 'Plain body\nline two',
        html: '<p>HTML body</p>',
      });
      assert.match(sent.messageId, /^<.+@.+>$/);
      const mail = await capture.waitFor((m) => m.subject === 'Hello ✓', 5_000);
      assert.deepEqual(mail.to, ['ada@example.test']);
      assert.match(mail.from, /^"?Tests"? <tests@example\.test>$/);
      assert.equal(mail.text.trim(), 'Plain body\nline two');
      assert.match(mail.html ?? '', /<p>HTML body<\/p>/);
      assert.ok(mail.file && existsSync(mail.file), 'written to the capture directory');
      assert.match(readFileSync(mail.file, 'utf8'), /^Subject: /m);
    } finally {
      await mailer.close();
    }
  });

  it('when messages go to several recipients at once, then each arrives, and waitFor finds a later one too', async () => {
    const mailer = createMailer({ ...testConfig, SMTP_URL: capture.url }, testLogger);
    try {
      const waiting = capture.waitFor((m) => m.to.includes('last@example.test'), 5_000);
      await Promise.all(
        ['a', 'b', 'c', 'last'].map((name) => mailer.send({ to: `${name}@example.test`, subject: `to ${name}`, text: name })),
      );
      assert.equal((await waiting).subject, 'to last');
      for (const name of ['a', 'b', 'c']) assert.ok(capture.messages().some((m) => m.to.includes(`${name}@example.test`)));
    } finally {
      await mailer.close();
    }
  });

  it('when no message matches within the deadline, then waitFor fails naming what was captured', async () => {
    await assert.rejects(
      capture.waitFor((m) => m.subject === 'never sent', 200),
      /no captured mail matched within 200 ms \(captured: "/,
    );
  });

  it('when SMTP_URL is not set, then send fails with MailNotConfiguredError (mail is off, nothing hangs)', async () => {
    const mailer = createMailer({ ...testConfig, SMTP_URL: undefined }, testLogger);
    await assert.rejects(mailer.send({ to: 'x@example.test', subject: 's', text: 't' }), MailNotConfiguredError);
    await mailer.close();
  });

  it('when the SMTP server does not answer, then send fails within MAIL_TIMEOUT_MS instead of hanging', async () => {
    const net = await import('node:net');
    // Accepts connections and never says a word (no SMTP greeting).
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const mailer = createMailer({ ...testConfig, SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_TIMEOUT_MS: 500 }, testLogger);
    const started = Date.now();
    try {
      await assert.rejects(mailer.send({ to: 'x@example.test', subject: 's', text: 't' }));
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    } finally {
      await mailer.close();
      silent.close();
    }
  });
});

/**
 * A local SMTP server in this process that accepts every message and keeps it: the mail of tests
 * (read with messages() / waitFor()) and of `npm start` when no SMTP_URL is configured (each
 * message also written to `dir` as an .eml file, which any mail client opens).
 *
 * It listens on 127.0.0.1 only, offers no STARTTLS (nodemailer then speaks plain SMTP to it),
 * accepts any login or none, and refuses messages over MAX_MESSAGE_BYTES.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  /** Envelope recipients (RCPT TO), as the sender gave them. */
  to: string[];
  /** The From header as text, e.g. `Blogger Analytics <no-reply@localhost>`. */
  from: string;
  subject: string;
  text: string;
  html?: string;
  receivedAt: Date;
  /** The .eml file it was written to, when the capture writes files. */
  file?: string;
}

export interface MailCapture {
  port: number;
  /** smtp://127.0.0.1:port, for SMTP_URL. */
  url: string;
  /** Every message so far, oldest first. */
  messages(): CapturedMail[];
  /** The first message (already captured or still to come) the predicate accepts; rejects after timeoutMs. */
  waitFor(predicate: (mail: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  close(): Promise<void>;
}

export interface MailCaptureOptions {
  /** 0 (default): any free port. */
  port?: number;
  /** Where each message is written as an .eml file (created when missing); none by default. */
  dir?: string;
  /** Called for each message once it is kept (e.g. to log where it can be read). */
  onMessage?: (mail: CapturedMail) => void;
}

const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

function addressText(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}

export async function startMailCapture({ port = 0, dir, onMessage }: MailCaptureOptions = {}): Promise<MailCapture> {
  if (dir) mkdirSync(dir, { recursive: true });
  const kept: CapturedMail[] = [];
  const waiters = new Set<{ predicate: (mail: CapturedMail) => boolean; resolve: (mail: CapturedMail) => void }>();
  let sequence = 0;

  const keep = (mail: CapturedMail) => {
    kept.push(mail);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(mail)) {
        waiters.delete(waiter);
        waiter.resolve(mail);
      }
    }
    onMessage?.(mail);
  };

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    size: MAX_MESSAGE_BYTES,
    logger: false,
    // Clients of a pool keep their connections open: do not wait long for them on close().
    closeTimeout: 500,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'capture' }),
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err: Error) => callback(err));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error(`Message exceeds ${MAX_MESSAGE_BYTES} bytes`), { responseCode: 552 }));
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) => {
            const receivedAt = new Date();
            let file: string | undefined;
            if (dir) {
              sequence += 1;
              file = path.join(dir, `${receivedAt.toISOString().replace(/[:.]/g, '-')}-${String(sequence).padStart(4, '0')}.eml`);
              writeFileSync(file, raw);
            }
            keep({
              to: session.envelope.rcptTo.map((r) => r.address),
              from: addressText(parsed.from) || (session.envelope.mailFrom ? session.envelope.mailFrom.address : ''),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              ...(parsed.html ? { html: parsed.html } : {}),
              receivedAt,
              ...(file ? { file } : {}),
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.server.address() as AddressInfo).port;

  return {
    port: bound,
    url: `smtp://127.0.0.1:${bound}`,
    messages: () => [...kept],
    waitFor(predicate, timeoutMs = 10_000) {
      const found = kept.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<CapturedMail>((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (mail: CapturedMail) => {
            clearTimeout(timer);
            resolve(mail);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = kept.map((m) => `"${m.subject}" to ${m.to.join(', ')}`).join('; ') || 'none';
          reject(new Error(`no captured mail matched within ${timeoutMs} ms (captured: ${seen})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Outbound mail: nodemailer over SMTP_URL (a small pool of connections), every message from
 * MAIL_FROM, each step of the SMTP conversation bounded by MAIL_TIMEOUT_MS so a stalled server
 * fails a send instead of hanging it.
 *
 * Without SMTP_URL mail is off: send() fails with MailNotConfiguredError (callers log it and go
 * on; no request waits for mail), and the process says so once at start-up. `npm start` runs a
 * local capture server in that case (notifications/mailCapture.ts) and hands its URL to the API
 * and the worker, so development sends real SMTP and every message can be read.
 *
 * Logs name the recipient and the subject, never the body: account mails carry single-use tokens.
 */
import nodemailer from 'nodemailer';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<{ messageId: string }>;
  /** Waits for the sends in flight (a few seconds at most), then closes the connections. */
  close(): Promise<void>;
}

export class MailNotConfiguredError extends Error {
  override name = 'MailNotConfiguredError';
  constructor() {
    super('Mail is off: SMTP_URL is not set, so nothing was sent. Set SMTP_URL (or use `npm start`, which runs a capture server).');
  }
}

/** How long close() waits for sends in flight before it closes the connections under them. */
const CLOSE_WAIT_MS = 5_000;

export function createMailer(config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'MAIL_TIMEOUT_MS'>, logger: Logger): Mailer {
  if (!config.SMTP_URL) {
    logger.warn('mail is off (SMTP_URL is not set): password reset, email verification and alert mails are not sent');
    return {
      send: async (message) => {
        logger.warn({ to: message.to, subject: message.subject }, 'mail not sent: SMTP_URL is not set');
        throw new MailNotConfiguredError();
      },
      close: async () => undefined,
    };
  }
  const transport = nodemailer.createTransport(
    {
      url: config.SMTP_URL,
      pool: true,
      maxConnections: 3,
      connectionTimeout: config.MAIL_TIMEOUT_MS,
      greetingTimeout: config.MAIL_TIMEOUT_MS,
      socketTimeout: config.MAIL_TIMEOUT_MS,
    },
    { from: config.MAIL_FROM },
  );
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;
  return {
    async send(message) {
      if (closed) throw new Error('mailer is closed');
      const sending = transport.sendMail({ to: message.to, subject: message.subject, text: message.text, html: message.html });
      inFlight.add(sending);
      try {
        const info = await sending;
        logger.info({ to: message.to, subject: message.subject, messageId: info.messageId }, 'mail sent');
        return { messageId: info.messageId };
      } catch (err) {
        logger.warn({ to: message.to, subject: message.subject, err: (err as Error).message }, 'mail not sent');
        throw err;
      } finally {
        inFlight.delete(sending);
      }
    },
    async close() {
      closed = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS).unref())),
      ]);
      clearTimeout(timer);
      transport.close();
    },
  };
}

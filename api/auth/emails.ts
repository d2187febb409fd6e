/**
 * The account mails, as plain text with a small HTML twin. Links point at APP_PUBLIC_URL with the
 * token in the fragment (`#token=`): browsers never send a fragment to a server, so the token stays
 * out of proxy and access logs and Referer headers; the page there (or the user, by hand) posts it
 * to the API. Every mail also names the API call, for API-only users.
 */
import type { MailMessage } from '../../notifications/mailer';

const PRODUCT = 'Blogger Analytics';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** `base/page#token=…`, whether or not APP_PUBLIC_URL ends with a slash or has a path. */
export function tokenLink(appPublicUrl: string, page: string, token: string): string {
  return `${appPublicUrl.replace(/\/+$/, '')}/${page}#token=${encodeURIComponent(token)}`;
}

/** Paragraphs of text (a line starting with "http" becomes a link in the HTML part). */
function mail(to: string, subject: string, paragraphs: string[]): MailMessage {
  const html = paragraphs
    .map((p) => {
      const escaped = escapeHtml(p);
      return /^https?:\/\//.test(p) ? `<p><a href="${escaped}">${escaped}</a></p>` : `<p>${escaped.replace(/\n/g, '<br>')}</p>`;
    })
    .join('\n');
  return { to, subject, text: `${paragraphs.join('\n\n')}\n`, html: `<!doctype html><html><body>\n${html}\n</body></html>\n` };
}

const when = (d: Date) =>
  d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

export function passwordResetMail(opts: { to: string; token: string; expiresAt: Date; appPublicUrl: string; ip: string }): MailMessage {
  return mail(opts.to, `Reset your ${PRODUCT} password`, [
    `Someone (from the address ${opts.ip}) asked to reset the password of the ${PRODUCT} account ${opts.to}. To choose a new password, open this link:`,
    tokenLink(opts.appPublicUrl, 'reset-password', opts.token),
    `Or send the token to the API yourself:\nPOST /api/auth/password-reset/confirm {"token": "${opts.token}", "password": "<new password>"}`,
    `The link works once, until ${when(opts.expiresAt)}. Setting a new password signs out every session of the account.`,
    'If you did not ask for this, ignore this mail: your password stays as it is.',
  ]);
}

export function verificationMail(opts: { to: string; token: string; expiresAt: Date; appPublicUrl: string }): MailMessage {
  return mail(opts.to, `Confirm your email address for ${PRODUCT}`, [
    `Please confirm that ${opts.to} is the address of your ${PRODUCT} account by opening this link:`,
    tokenLink(opts.appPublicUrl, 'verify-email', opts.token),
    `Or send the token to the API yourself:\nPOST /api/auth/verify-email {"token": "${opts.token}"}`,
    `The link works once, until ${when(opts.expiresAt)}. Until the address is confirmed, the account gets no alert or digest mail.`,
    'If you did not create this account, ignore this mail.',
  ]);
}

export function passwordChangedMail(opts: { to: string; how: 'changed' | 'reset'; at: Date; ip: string }): MailMessage {
  return mail(opts.to, `Your ${PRODUCT} password was ${opts.how}`, [
    `The password of your ${PRODUCT} account ${opts.to} was ${opts.how} at ${when(opts.at)} (from the address ${opts.ip}).`,
    opts.how === 'reset'
      ? 'Every session of the account was signed out.'
      : 'Every other session of the account was signed out; the one that changed it stays signed in.',
    'If this was not you, reset your password at once with POST /api/auth/password-reset, and tell an administrator.',
  ]);
}

export function accountDeletedMail(opts: { to: string; at: Date }): MailMessage {
  return mail(opts.to, `Your ${PRODUCT} account was deleted`, [
    `The ${PRODUCT} account ${opts.to} was deleted at ${when(opts.at)}, with everything it held: tracked bloggers and their history, usage, alert rules and webhooks.`,
    'Its sessions were signed out. This is the last mail we send to this address about it.',
  ]);
}

/**
 * Which webhook targets the product may call. A user's URL is a request the server makes on
 * their behalf, so it must never reach the server's own network (SSRF): only https, no
 * credentials in the URL, and no address that is private, loopback, link-local, carrier-grade
 * NAT, multicast, unspecified, broadcast or reserved, in IPv4 or IPv6 (IPv4-mapped and the
 * other IPv6 forms that embed an IPv4 address included). The WHATWG URL parser has already
 * turned odd IPv4 spellings (0x7f.1, 2130706433, 0177.0.0.1) into dotted quads, so every IP
 * literal is checked in one form. Names are checked again at send time after DNS answers, on the
 * very address the connection uses (notifications/webhookSender.ts), so a name that later
 * resolves to a forbidden address (DNS rebinding) gets nowhere.
 *
 * `allowLocal` (WEBHOOKS_ALLOW_LOCAL_TARGETS, test and development only) lets http and loopback
 * targets through, for a receiver on this machine.
 */
import ipaddr from 'ipaddr.js';

export class WebhookTargetError extends Error {
  override name = 'WebhookTargetError';
}

export interface TargetPolicy {
  /** Test/dev only: http and loopback addresses are allowed too. */
  allowLocal: boolean;
}

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** Host names that never name a public receiver. */
const LOCAL_NAMES = /(^|\.)(localhost|local|localdomain|internal|intranet|lan|home\.arpa|invalid|test)$/i;

/** ipaddr.js's range names as words, with their article ("a link-local", not "a linkLocal"). */
const RANGE_LABELS: Record<string, string> = {
  unspecified: 'an unspecified',
  broadcast: 'a broadcast',
  multicast: 'a multicast',
  linkLocal: 'a link-local',
  loopback: 'a loopback',
  carrierGradeNat: 'a carrier-grade NAT',
  private: 'a private',
  uniqueLocal: 'a unique local (private)',
  reserved: 'a reserved',
  benchmarking: 'a benchmarking',
  ipv4Mapped: 'an IPv4-mapped',
  rfc6145: 'an IPv4-translated (RFC 6145)',
  rfc6052: 'a NAT64 (RFC 6052)',
  '6to4': 'a 6to4',
  teredo: 'a Teredo',
};

function rangeLabel(range: string): string {
  return RANGE_LABELS[range] ?? `a special-purpose (${range})`;
}

/** Why an IP address may not be called, or null when it is a public unicast address. */
export function forbiddenAddressReason(address: string, policy: TargetPolicy): string | null {
  let parsed: ReturnType<typeof ipaddr.process>;
  try {
    // process(): an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
    parsed = ipaddr.process(address);
  } catch {
    return `${address} is not an IP address`;
  }
  const range = parsed.range();
  if (policy.allowLocal && range === 'loopback') return null;
  if (range !== 'unicast') return `${address} is ${rangeLabel(range)} address; webhooks go to public addresses only`;
  // IPv6 beyond the special ranges: only global unicast (2000::/3), not e.g. the deprecated IPv4-compatible ::a.b.c.d.
  if (parsed.kind() === 'ipv6' && !parsed.match(GLOBAL_UNICAST_V6))
    return `${address} is not a global unicast address; webhooks go to public addresses only`;
  return null;
}

/** The IP address a URL host names literally (without IPv6 brackets), or null for a DNS name. */
function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) ? bare : null;
}

/**
 * Parses and checks a webhook URL; returns its normalised form or throws WebhookTargetError with
 * a message that says what to fix. DNS names are not resolved here (see the send-time check).
 */
export function checkWebhookUrl(raw: string, policy: TargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetError('is not a valid URL');
  }
  const schemes = policy.allowLocal ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) throw new WebhookTargetError(`must use ${policy.allowLocal ? 'http or https' : 'https'}`);
  if (url.username || url.password)
    throw new WebhookTargetError('must not carry credentials (user:password@); authenticate with the signature');
  if (url.hash) throw new WebhookTargetError('must not have a #fragment');
  const host = url.hostname;
  if (!host) throw new WebhookTargetError('needs a host');
  // The URL parser takes port 0, but nothing can be reached there: every attempt would fail.
  if (url.port === '0') throw new WebhookTargetError('port 0 cannot be connected to; name the port your receiver listens on');
  const literal = ipLiteral(host);
  if (literal !== null) {
    const reason = forbiddenAddressReason(literal, policy);
    if (reason) throw new WebhookTargetError(`host ${reason}`);
    return url;
  }
  const name = host.replace(/\.$/, '');
  if (!(policy.allowLocal && /^localhost$/i.test(name)) && (LOCAL_NAMES.test(name) || !name.includes('.'))) {
    throw new WebhookTargetError(`host ${host} is not a public name; webhooks go to public addresses only`);
  }
  return url;
}

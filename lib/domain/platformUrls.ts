/**
 * Platform URLs users paste, turned into canonical ids (README "Platforms").
 * Pure: nothing here fetches, and nothing may — a URL is only read, never followed.
 *
 * Safety comes from one rule: parse with the WHATWG URL class (which normalises every IP
 * encoding, percent-escape and case), then accept only exact host names from an allow-list.
 * Decisions worth knowing:
 *  - no scheme means https; only http and https are accepted;
 *  - the host must be written plainly: no user info, no port (not even :443), no IP address, no
 *    percent-escaped or non-ASCII spelling of an allowed host, and no trailing dot — "youtube.com."
 *    is rejected rather than normalised, since the allow-list compares exact names;
 *  - query strings and fragments are ignored, except `v=` in YouTube watch URLs;
 *  - YouTube handles and TikTok/Instagram usernames are case-insensitive on their platforms, so
 *    they are returned in lowercase without "@"; YouTube channel ids and legacy usernames keep
 *    their case. A `/c/name` custom URL is treated as the handle `name` (a best guess).
 */
import type { CreatorRef, PlatformName } from './platforms';
import { ValidationError } from '../errors';

export interface ParsedCreatorUrl {
  ref: CreatorRef;
  /** The URL to store and show, rebuilt from the ref (never the user's text). */
  canonicalUrl: string;
}

export interface ParsedVideoUrl {
  platform: 'youtube' | 'tiktok';
  /** YouTube: 11 characters; TikTok: 15–20 digits, kept as a string (64-bit). */
  videoId: string;
  canonicalUrl: string;
}

/** A 400 whose message says what was expected and what was received instead. */
export class PlatformUrlError extends ValidationError {
  override name = 'PlatformUrlError';

  constructor(
    readonly expected: string,
    readonly got: string,
  ) {
    super(`${expected}; got ${got}.`);
  }
}

const MAX_INPUT_LENGTH = 2048;
/** How much of the user's text an error message may echo back. */
const MAX_ECHO_LENGTH = 100;

const YOUTUBE_HOSTS = new Set(['youtube.com', 'www.youtube.com', 'm.youtube.com']);
const YOUTUBE_SHORT_HOST = 'youtu.be';
const TIKTOK_HOSTS = new Set(['tiktok.com', 'www.tiktok.com', 'm.tiktok.com']);
const INSTAGRAM_HOSTS = new Set(['instagram.com', 'www.instagram.com', 'm.instagram.com']);
const VIDEO_HOSTS = new Set([...YOUTUBE_HOSTS, YOUTUBE_SHORT_HOST, ...TIKTOK_HOSTS]);

/** Hosts people often paste that we cannot accept, with why. */
const HOST_HINTS: Record<string, string> = {
  'youtu.be': ' (youtu.be links point to videos, not channels)',
  'vm.tiktok.com': ' (short links only say where they lead when opened: open it and paste the full URL)',
  'vt.tiktok.com': ' (short links only say where they lead when opened: open it and paste the full URL)',
};

const EXPECTED_CREATOR: Record<PlatformName, string> = {
  youtube: 'Expected a YouTube channel URL such as https://www.youtube.com/@handle or https://www.youtube.com/channel/UC…',
  tiktok: 'Expected a TikTok profile URL such as https://www.tiktok.com/@username',
  instagram: 'Expected an Instagram profile URL such as https://www.instagram.com/username/',
};
const EXPECTED_VIDEO =
  'Expected a YouTube or TikTok video URL such as https://www.youtube.com/watch?v=VIDEO_ID or https://www.tiktok.com/@username/video/1234567890123456789';

const YOUTUBE_HANDLE = /^[A-Za-z0-9._-]{3,30}$/;
const YOUTUBE_CHANNEL_ID = /^UC[A-Za-z0-9_-]{22}$/;
/** Legacy (pre-handle) usernames; loose on purpose — the API has the last word. */
const YOUTUBE_USERNAME = /^[A-Za-z0-9._-]{1,100}$/;
const YOUTUBE_VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;
const TIKTOK_USERNAME = /^[A-Za-z0-9_.]{2,24}$/;
const TIKTOK_VIDEO_ID = /^\d{15,20}$/;
const INSTAGRAM_USERNAME = /^[A-Za-z0-9._]{1,30}$/;

/** Channel tabs that may follow a channel URL and still mean the channel. */
const YOUTUBE_CHANNEL_TABS = new Set([
  'videos',
  'shorts',
  'streams',
  'featured',
  'playlists',
  'community',
  'posts',
  'about',
  'live',
  'podcasts',
  'releases',
  'courses',
  'store',
  'channels',
]);
const YOUTUBE_VIDEO_PATHS = new Set(['shorts', 'embed', 'live']);
/** Profile tabs that may follow an Instagram username. */
const INSTAGRAM_PROFILE_TABS = new Set(['reels', 'tagged', 'guides']);
/** First path segments that are Instagram pages, not usernames. */
const INSTAGRAM_RESERVED = new Set([
  'p',
  'reel',
  'reels',
  'tv',
  'stories',
  'explore',
  'accounts',
  'direct',
  'about',
  'developer',
  'legal',
  'web',
  'api',
  'challenge',
  'emails',
  'privacy',
]);

export function parseCreatorUrl(platform: PlatformName, input: string): ParsedCreatorUrl {
  const expected = EXPECTED_CREATOR[platform];
  const reject = (got: string) => new PlatformUrlError(expected, got);
  let ref: CreatorRef;
  switch (platform) {
    case 'youtube':
      ref = youTubeChannelRef(pathSegments(parseAllowedUrl(input, YOUTUBE_HOSTS, expected)), reject);
      break;
    case 'tiktok': {
      const { username } = tikTokPath(pathSegments(parseAllowedUrl(input, TIKTOK_HOSTS, expected)), reject);
      ref = { platform, kind: 'username', value: username };
      break;
    }
    case 'instagram':
      ref = {
        platform,
        kind: 'username',
        value: instagramUsername(pathSegments(parseAllowedUrl(input, INSTAGRAM_HOSTS, expected)), reject),
      };
      break;
  }
  return { ref, canonicalUrl: canonicalCreatorUrl(ref) };
}

export function parseVideoUrl(input: string): ParsedVideoUrl {
  const reject = (got: string) => new PlatformUrlError(EXPECTED_VIDEO, got);
  const url = parseAllowedUrl(input, VIDEO_HOSTS, EXPECTED_VIDEO);
  if (TIKTOK_HOSTS.has(url.hostname)) {
    const { username, videoId } = tikTokPath(pathSegments(url), reject);
    if (videoId === undefined) throw reject(`a TikTok link that is not a video (path ${quote(url.pathname)})`);
    return { platform: 'tiktok', videoId, canonicalUrl: `https://www.tiktok.com/@${username}/video/${videoId}` };
  }
  const videoId = youTubeVideoId(url, reject);
  return { platform: 'youtube', videoId, canonicalUrl: `https://www.youtube.com/watch?v=${videoId}` };
}

export function canonicalCreatorUrl(ref: CreatorRef): string {
  switch (ref.platform) {
    case 'youtube':
      if (ref.kind === 'channelId') return `https://www.youtube.com/channel/${ref.value}`;
      if (ref.kind === 'username') return `https://www.youtube.com/user/${ref.value}`;
      return `https://www.youtube.com/@${ref.value}`;
    case 'tiktok':
      return `https://www.tiktok.com/@${ref.value}`;
    case 'instagram':
      return `https://www.instagram.com/${ref.value}/`;
  }
}

type Reject = (got: string) => PlatformUrlError;

/**
 * The URL in `input`, if it is a plain http(s) URL on one of `allowedHosts`. The checks before
 * the allow-list only exist to give a precise message; the allow-list is what keeps us safe.
 */
function parseAllowedUrl(input: string, allowedHosts: ReadonlySet<string>, expected: string): URL {
  const reject = (got: string) => new PlatformUrlError(expected, got);
  const text = input.trim();
  if (text === '') throw reject('an empty value');
  if (text.length > MAX_INPUT_LENGTH) throw reject(`a value of ${text.length} characters (at most ${MAX_INPUT_LENGTH})`);
  if (/[\s\p{Cc}\p{Cf}]/u.test(text)) throw reject(`a value with spaces or invisible characters inside: ${quote(text)}`);
  // WHATWG reads "\" as "/" in http(s) URLs; browsers agree, but nobody pastes one honestly.
  if (text.includes('\\')) throw reject(`a value with a backslash: ${quote(text)}`);

  // "youtube.com:8080/…" has no scheme: a colon followed by a digit starts a port.
  const scheme = /^([a-z][a-z0-9+.-]*):(?!\d)/i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    throw reject(`a ${quote(`${scheme}:`)} link (only http and https URLs are accepted)`);
  }
  const withScheme = scheme !== undefined ? text : text.startsWith('//') ? `https:${text}` : `https://${text}`;
  // The host as the user wrote it, to compare with the parser's normalised one.
  const authority = /^https?:\/\/([^/?#]*)/i.exec(withScheme)?.[1];
  if (authority === undefined) throw reject(`a URL without "//" after its scheme: ${quote(text)}`);
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw reject(`something that is not a URL: ${quote(text)}`);
  }

  const host = url.hostname;
  if (authority.includes('@')) throw reject(`a URL with a user name or password before the host: ${quote(text)}`);
  if (/^[\d.]+$/.test(host) || host.startsWith('[')) throw reject(`an IP address (${quote(host)}) instead of a host name`);
  if (url.port !== '' || /:\d*$/.test(authority)) throw reject(`a URL with a port (${quote(authority)}): leave the port out`);
  if (!allowedHosts.has(host)) throw reject(`a URL on host ${quote(host)}${HOST_HINTS[host] ?? ''}`);
  if (authority.toLowerCase() !== host) {
    throw reject(`a host written in an unusual way (${quote(authority)}): type it plainly, e.g. ${quote(host)}`);
  }
  return url;
}

function pathSegments(url: URL): string[] {
  return url.pathname.split('/').filter((segment) => segment !== '');
}

function youTubeChannelRef(segments: string[], reject: Reject): CreatorRef {
  const [first = '', ...rest] = segments;
  const path = quote(`/${segments.join('/')}`);
  let kind: 'handle' | 'channelId' | 'username' | 'custom';
  let name: string | undefined;
  let tail: string[];
  if (first.startsWith('@')) {
    kind = 'handle';
    name = first.slice(1);
    tail = rest;
  } else if (first === 'channel' || first === 'user' || first === 'c') {
    kind = first === 'channel' ? 'channelId' : first === 'user' ? 'username' : 'custom';
    [name, ...tail] = rest;
  } else {
    throw reject(`a YouTube link that is not a channel (path ${path})`);
  }
  if (name === undefined) throw reject(`a channel link without a name or id (path ${path})`);
  if (tail.length > 1 || (tail[0] !== undefined && !YOUTUBE_CHANNEL_TABS.has(tail[0]))) {
    throw reject(`a channel link with an unexpected path ${path}`);
  }
  switch (kind) {
    case 'channelId':
      if (!YOUTUBE_CHANNEL_ID.test(name))
        throw reject(`a channel id ${quote(name)} that is not "UC" followed by 22 letters, digits, "_" or "-"`);
      return { platform: 'youtube', kind, value: name };
    case 'username':
      if (!YOUTUBE_USERNAME.test(name)) throw reject(`a user name ${quote(name)} that is not letters, digits, "_", "-" or "."`);
      return { platform: 'youtube', kind, value: name };
    case 'handle':
    case 'custom':
      if (!YOUTUBE_HANDLE.test(name)) throw reject(`a handle ${quote(name)} that is not 3–30 letters, digits, "_", "-" or "."`);
      return { platform: 'youtube', kind: 'handle', value: name.toLowerCase() };
  }
}

/** `/@user` or `/@user/video/<id>`: the username (lowercase) and the video id if present. */
function tikTokPath(segments: string[], reject: Reject): { username: string; videoId?: string } {
  const [first = '', second, videoId, ...extra] = segments;
  const path = quote(`/${segments.join('/')}`);
  if (!first.startsWith('@')) throw reject(`a TikTok link that is not a profile (path ${path})`);
  const username = first.slice(1);
  if (!TIKTOK_USERNAME.test(username)) throw reject(`a username ${quote(username)} that is not 2–24 letters, digits, "_" or "."`);
  if (second === undefined) return { username: username.toLowerCase() };
  if (second !== 'video' || videoId === undefined || extra.length > 0) throw reject(`a TikTok link with an unexpected path ${path}`);
  if (!TIKTOK_VIDEO_ID.test(videoId)) throw reject(`a video id ${quote(videoId)} that is not 15–20 digits`);
  return { username: username.toLowerCase(), videoId };
}

function instagramUsername(segments: string[], reject: Reject): string {
  const [username, tab, ...extra] = segments;
  const path = quote(`/${segments.join('/')}`);
  if (username === undefined) throw reject('an Instagram link without a username');
  if (INSTAGRAM_RESERVED.has(username.toLowerCase())) {
    throw reject(`a link to an Instagram ${quote(`/${username}/`)} page, which is not a profile`);
  }
  if (!INSTAGRAM_USERNAME.test(username)) throw reject(`a username ${quote(username)} that is not 1–30 letters, digits, "_" or "."`);
  if ((tab !== undefined && !INSTAGRAM_PROFILE_TABS.has(tab)) || extra.length > 0) {
    throw reject(`a profile link with an unexpected path ${path}`);
  }
  return username.toLowerCase();
}

/** `watch?v=ID`, `youtu.be/ID`, `/shorts/ID`, `/embed/ID`, `/live/ID`. */
function youTubeVideoId(url: URL, reject: Reject): string {
  const segments = pathSegments(url);
  const [first, second, ...extra] = segments;
  let videoId: string | undefined;
  if (url.hostname === YOUTUBE_SHORT_HOST) {
    if (second === undefined) videoId = first;
  } else if (first === 'watch' && second === undefined) {
    const ids = url.searchParams.getAll('v');
    if (ids.length !== 1) throw reject(`a watch link with ${ids.length} "v" parameters instead of 1`);
    videoId = ids[0];
  } else if (first !== undefined && YOUTUBE_VIDEO_PATHS.has(first) && extra.length === 0) {
    videoId = second;
  }
  if (videoId === undefined) throw reject(`a YouTube link that is not a video (path ${quote(url.pathname)})`);
  if (!YOUTUBE_VIDEO_ID.test(videoId)) throw reject(`a video id ${quote(videoId)} that is not 11 letters, digits, "_" or "-"`);
  return videoId;
}

/** The user's text, quoted and cut short enough to echo in a message. */
function quote(value: string): string {
  return JSON.stringify(value.length > MAX_ECHO_LENGTH ? `${value.slice(0, MAX_ECHO_LENGTH)}…` : value);
}

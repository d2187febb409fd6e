import assert from 'node:assert/strict';
import type { CreatorRef, PlatformName } from './platforms';
import { ValidationError } from '../errors';
import { canonicalCreatorUrl, parseCreatorUrl, parseVideoUrl, PlatformUrlError } from './platformUrls';

const CHANNEL_ID = 'UCBJycsmduvYEL83R_U4JriQ';

interface CreatorCase {
  input: string;
  ref: CreatorRef;
  canonicalUrl: string;
}

const youtube = (kind: 'channelId' | 'handle' | 'username', value: string): CreatorRef => ({ platform: 'youtube', kind, value });
const tiktok = (value: string): CreatorRef => ({ platform: 'tiktok', kind: 'username', value });
const instagram = (value: string): CreatorRef => ({ platform: 'instagram', kind: 'username', value });

const ACCEPTED_CREATORS: CreatorCase[] = [
  // YouTube handles: lowercased, "@" dropped, tabs/query/fragment ignored.
  { input: 'https://www.youtube.com/@MKBHD', ref: youtube('handle', 'mkbhd'), canonicalUrl: 'https://www.youtube.com/@mkbhd' },
  { input: 'youtube.com/@mkbhd', ref: youtube('handle', 'mkbhd'), canonicalUrl: 'https://www.youtube.com/@mkbhd' },
  { input: 'http://m.youtube.com/@mkbhd/videos', ref: youtube('handle', 'mkbhd'), canonicalUrl: 'https://www.youtube.com/@mkbhd' },
  {
    input: 'https://youtube.com/@mkbhd/shorts?si=abc#top',
    ref: youtube('handle', 'mkbhd'),
    canonicalUrl: 'https://www.youtube.com/@mkbhd',
  },
  {
    input: 'https://www.youtube.com/@Mr.Beast-6_x/streams',
    ref: youtube('handle', 'mr.beast-6_x'),
    canonicalUrl: 'https://www.youtube.com/@mr.beast-6_x',
  },
  { input: 'https://www.youtube.com/@abc/featured/', ref: youtube('handle', 'abc'), canonicalUrl: 'https://www.youtube.com/@abc' },
  { input: 'HTTPS://WWW.YOUTUBE.COM/@MKBHD', ref: youtube('handle', 'mkbhd'), canonicalUrl: 'https://www.youtube.com/@mkbhd' },
  { input: '  \n https://www.youtube.com/@mkbhd \t', ref: youtube('handle', 'mkbhd'), canonicalUrl: 'https://www.youtube.com/@mkbhd' },
  { input: '//www.youtube.com/@mkbhd', ref: youtube('handle', 'mkbhd'), canonicalUrl: 'https://www.youtube.com/@mkbhd' },
  {
    input: `https://www.youtube.com/@${'a'.repeat(30)}`,
    ref: youtube('handle', 'a'.repeat(30)),
    canonicalUrl: `https://www.youtube.com/@${'a'.repeat(30)}`,
  },
  // YouTube channel ids keep their case.
  {
    input: `https://www.youtube.com/channel/${CHANNEL_ID}`,
    ref: youtube('channelId', CHANNEL_ID),
    canonicalUrl: `https://www.youtube.com/channel/${CHANNEL_ID}`,
  },
  {
    input: `www.youtube.com/channel/${CHANNEL_ID}/videos?view=0`,
    ref: youtube('channelId', CHANNEL_ID),
    canonicalUrl: `https://www.youtube.com/channel/${CHANNEL_ID}`,
  },
  // Legacy usernames keep their case; /c/ custom names are tried as handles.
  {
    input: 'https://www.youtube.com/user/MarquesBrownlee',
    ref: youtube('username', 'MarquesBrownlee'),
    canonicalUrl: 'https://www.youtube.com/user/MarquesBrownlee',
  },
  {
    input: 'https://www.youtube.com/c/LinusTechTips/about',
    ref: youtube('handle', 'linustechtips'),
    canonicalUrl: 'https://www.youtube.com/@linustechtips',
  },
  // TikTok usernames: lowercased; a video URL names its author.
  { input: 'https://www.tiktok.com/@charlidamelio', ref: tiktok('charlidamelio'), canonicalUrl: 'https://www.tiktok.com/@charlidamelio' },
  { input: 'tiktok.com/@Charli.D_Amelio', ref: tiktok('charli.d_amelio'), canonicalUrl: 'https://www.tiktok.com/@charli.d_amelio' },
  { input: 'https://m.tiktok.com/@ab?lang=en#x', ref: tiktok('ab'), canonicalUrl: 'https://www.tiktok.com/@ab' },
  {
    input: 'https://www.tiktok.com/@charlidamelio/video/7234567890123456789',
    ref: tiktok('charlidamelio'),
    canonicalUrl: 'https://www.tiktok.com/@charlidamelio',
  },
  // Instagram usernames: lowercased.
  { input: 'https://www.instagram.com/natgeo/', ref: instagram('natgeo'), canonicalUrl: 'https://www.instagram.com/natgeo/' },
  { input: 'instagram.com/NatGeo', ref: instagram('natgeo'), canonicalUrl: 'https://www.instagram.com/natgeo/' },
  { input: 'https://m.instagram.com/nat.geo_1/?hl=en', ref: instagram('nat.geo_1'), canonicalUrl: 'https://www.instagram.com/nat.geo_1/' },
  { input: 'https://instagram.com/natgeo/reels/', ref: instagram('natgeo'), canonicalUrl: 'https://www.instagram.com/natgeo/' },
  { input: 'https://www.instagram.com/a', ref: instagram('a'), canonicalUrl: 'https://www.instagram.com/a/' },
  {
    input: `https://www.instagram.com/${'b'.repeat(30)}/`,
    ref: instagram('b'.repeat(30)),
    canonicalUrl: `https://www.instagram.com/${'b'.repeat(30)}/`,
  },
];

interface VideoCase {
  input: string;
  platform: 'youtube' | 'tiktok';
  videoId: string;
  canonicalUrl: string;
}

const RICK = 'dQw4w9WgXcQ';
const RICK_URL = `https://www.youtube.com/watch?v=${RICK}`;

const ACCEPTED_VIDEOS: VideoCase[] = [
  { input: RICK_URL, platform: 'youtube', videoId: RICK, canonicalUrl: RICK_URL },
  { input: `youtube.com/watch?v=${RICK}&t=42s&list=PL123`, platform: 'youtube', videoId: RICK, canonicalUrl: RICK_URL },
  { input: `https://m.youtube.com/watch?feature=share&v=${RICK}#t=1`, platform: 'youtube', videoId: RICK, canonicalUrl: RICK_URL },
  { input: `https://youtu.be/${RICK}?si=xyz`, platform: 'youtube', videoId: RICK, canonicalUrl: RICK_URL },
  { input: `youtu.be/${RICK}`, platform: 'youtube', videoId: RICK, canonicalUrl: RICK_URL },
  {
    input: 'https://www.youtube.com/shorts/abc_DEF-123',
    platform: 'youtube',
    videoId: 'abc_DEF-123',
    canonicalUrl: 'https://www.youtube.com/watch?v=abc_DEF-123',
  },
  { input: `https://www.youtube.com/embed/${RICK}?autoplay=1`, platform: 'youtube', videoId: RICK, canonicalUrl: RICK_URL },
  { input: `https://www.youtube.com/live/${RICK}?feature=share`, platform: 'youtube', videoId: RICK, canonicalUrl: RICK_URL },
  {
    input: 'https://www.tiktok.com/@scout2015/video/6718335390845095173?is_from_webapp=1',
    platform: 'tiktok',
    videoId: '6718335390845095173',
    canonicalUrl: 'https://www.tiktok.com/@scout2015/video/6718335390845095173',
  },
  {
    input: 'tiktok.com/@Scout2015/video/123456789012345',
    platform: 'tiktok',
    videoId: '123456789012345',
    canonicalUrl: 'https://www.tiktok.com/@scout2015/video/123456789012345',
  },
  // Above 2^64 - 1 would still be kept exactly: ids are strings, never numbers.
  {
    input: 'https://m.tiktok.com/@a.b/video/18446744073709551615',
    platform: 'tiktok',
    videoId: '18446744073709551615',
    canonicalUrl: 'https://www.tiktok.com/@a.b/video/18446744073709551615',
  },
];

interface RejectCase {
  /** What is being parsed: a creator on a platform, or a video. */
  as: PlatformName | 'video';
  input: string;
  /** What the message must say was received instead. */
  got: RegExp;
}

const EXPECTED: Record<RejectCase['as'], RegExp> = {
  youtube:
    /^Expected a YouTube channel URL such as https:\/\/www\.youtube\.com\/@handle or https:\/\/www\.youtube\.com\/channel\/UC…; got /,
  tiktok: /^Expected a TikTok profile URL such as https:\/\/www\.tiktok\.com\/@username; got /,
  instagram: /^Expected an Instagram profile URL such as https:\/\/www\.instagram\.com\/username\/; got /,
  video:
    /^Expected a YouTube or TikTok video URL such as https:\/\/www\.youtube\.com\/watch\?v=VIDEO_ID or https:\/\/www\.tiktok\.com\/@username\/video\/\d+; got /,
};

const REJECTED: RejectCase[] = [
  // Look-alike and foreign hosts: only the exact allow-listed names pass.
  { as: 'youtube', input: 'https://youtube.com.evil.tld/@x', got: /got a URL on host "youtube\.com\.evil\.tld"\.$/ },
  { as: 'youtube', input: 'https://evil.tld/youtube.com/@mkbhd', got: /host "evil\.tld"/ },
  { as: 'youtube', input: 'evil.tld/youtube.com', got: /host "evil\.tld"/ },
  { as: 'youtube', input: 'https://notyoutube.com/@mkbhd', got: /host "notyoutube\.com"/ },
  { as: 'youtube', input: 'https://youtube.co/@mkbhd', got: /host "youtube\.co"/ },
  { as: 'youtube', input: 'https://music.youtube.com/@mkbhd', got: /host "music\.youtube\.com"/ },
  { as: 'youtube', input: 'http://localhost/@mkbhd', got: /host "localhost"/ },
  { as: 'youtube', input: 'https://youtube.com./@mkbhd', got: /host "youtube\.com\."/ },
  { as: 'youtube', input: 'https://youtube.com%2eevil.tld/@x', got: /host "youtube\.com\.evil\.tld"/ },
  // User info, whichever side of the "@" the allowed host is on.
  { as: 'youtube', input: 'https://youtube.com@evil.tld/@x', got: /user name or password/ },
  { as: 'youtube', input: 'youtube.com@evil.tld', got: /user name or password/ },
  { as: 'youtube', input: 'https://user:pass@youtube.com/@x', got: /user name or password/ },
  { as: 'youtube', input: 'https://@youtube.com/@x', got: /user name or password/ },
  // Ports, even the default one.
  { as: 'youtube', input: 'https://youtube.com:8080/@x', got: /port \("youtube\.com:8080"\)/ },
  { as: 'youtube', input: 'https://www.youtube.com:443/@x', got: /port/ },
  { as: 'youtube', input: 'youtube.com:8080/@x', got: /port/ },
  { as: 'youtube', input: 'https://youtube.com:/@x', got: /port/ },
  // IP literals in every encoding the URL parser understands.
  { as: 'youtube', input: 'http://127.0.0.1/@x', got: /IP address \("127\.0\.0\.1"\)/ },
  { as: 'youtube', input: 'http://2130706433/', got: /IP address \("127\.0\.0\.1"\)/ },
  { as: 'youtube', input: 'http://0x7f000001/', got: /IP address \("127\.0\.0\.1"\)/ },
  { as: 'youtube', input: 'http://0177.0.0.1/', got: /IP address \("127\.0\.0\.1"\)/ },
  { as: 'youtube', input: 'http://127.1/', got: /IP address \("127\.0\.0\.1"\)/ },
  { as: 'youtube', input: 'http://[::1]/', got: /IP address \("\[::1\]"\)/ },
  { as: 'youtube', input: 'http://[::ffff:127.0.0.1]/', got: /IP address \("\[::ffff:7f00:1\]"\)/ },
  { as: 'instagram', input: '169.254.169.254/latest/meta-data/', got: /IP address \("169\.254\.169\.254"\)/ },
  { as: 'video', input: `http://[::1]/watch?v=${RICK}`, got: /IP address/ },
  // Schemes other than http(s).
  { as: 'youtube', input: 'file:///etc/passwd', got: /got a "file:" link \(only http and https URLs are accepted\)/ },
  { as: 'youtube', input: 'gopher://youtube.com/@x', got: /"gopher:" link/ },
  { as: 'youtube', input: 'javascript:alert(1)', got: /"javascript:" link/ },
  { as: 'video', input: `javascript:alert(1)//youtu.be/${RICK}`, got: /"javascript:" link/ },
  { as: 'tiktok', input: 'data:text/html,<script>alert(1)</script>', got: /"data:" link/ },
  { as: 'instagram', input: 'ftp://instagram.com/natgeo', got: /"ftp:" link/ },
  // Spelling tricks: the parser would normalise these to an allowed host, but we want it typed plainly.
  { as: 'youtube', input: 'https://you%74ube.com/@x', got: /host written in an unusual way \("you%74ube\.com"\)/ },
  { as: 'youtube', input: 'https://ｙｏｕｔｕｂｅ.com/@x', got: /host written in an unusual way/ },
  { as: 'youtube', input: 'https:///youtube.com/@x', got: /host written in an unusual way/ },
  { as: 'youtube', input: 'https:youtube.com/@x', got: /without "\/\/" after its scheme/ },
  { as: 'youtube', input: 'https:\\\\youtube.com\\@x', got: /backslash/ },
  { as: 'youtube', input: 'https://youtube.com\\@evil.tld', got: /backslash/ },
  // Empty, oversized and invisible characters.
  { as: 'youtube', input: '', got: /got an empty value\.$/ },
  { as: 'tiktok', input: ' \t\n ', got: /got an empty value\.$/ },
  { as: 'youtube', input: `https://www.youtube.com/@${'a'.repeat(2100)}`, got: /got a value of 2125 characters \(at most 2048\)/ },
  { as: 'youtube', input: 'https://www.youtube.com/@mk bhd', got: /spaces or invisible characters/ },
  { as: 'youtube', input: 'https://www.youtube.com/@mk\tbhd', got: /spaces or invisible characters/ },
  { as: 'youtube', input: 'https://www.youtube.com/@mkbhd\u0000', got: /spaces or invisible characters/ },
  { as: 'youtube', input: 'https://www.you\u200Btube.com/@mkbhd', got: /spaces or invisible characters/ },
  { as: 'youtube', input: 'https://www.youtube.com/@mkbhd\u202E', got: /spaces or invisible characters/ },
  { as: 'youtube', input: 'http://', got: /not a URL: "http:\/\/"/ },
  // YouTube paths that are not channels.
  { as: 'youtube', input: 'https://www.youtube.com/', got: /not a channel \(path "\/"\)/ },
  { as: 'youtube', input: `https://www.youtube.com/watch?v=${RICK}`, got: /not a channel \(path "\/watch"\)/ },
  { as: 'youtube', input: 'https://www.youtube.com/mkbhd', got: /not a channel \(path "\/mkbhd"\)/ },
  { as: 'youtube', input: 'https://www.youtube.com/%40mkbhd', got: /not a channel/ },
  { as: 'youtube', input: `https://youtu.be/${RICK}`, got: /host "youtu\.be" \(youtu\.be links point to videos, not channels\)/ },
  { as: 'youtube', input: 'https://www.youtube.com/@ab', got: /handle "ab" that is not 3–30 letters/ },
  { as: 'youtube', input: `https://www.youtube.com/@${'a'.repeat(31)}`, got: /handle "a{31}" that is not 3–30/ },
  { as: 'youtube', input: 'https://www.youtube.com/@bad!name', got: /handle "bad!name"/ },
  { as: 'youtube', input: 'https://www.youtube.com/c/ab', got: /handle "ab"/ },
  { as: 'youtube', input: 'https://www.youtube.com/@mkbhd/videos/extra', got: /unexpected path "\/@mkbhd\/videos\/extra"/ },
  { as: 'youtube', input: 'https://www.youtube.com/@mkbhd/settings', got: /unexpected path/ },
  { as: 'youtube', input: 'https://www.youtube.com/channel/UCshort', got: /channel id "UCshort" that is not "UC" followed by 22/ },
  { as: 'youtube', input: 'https://www.youtube.com/channel/XXBJycsmduvYEL83R_U4JriQ', got: /channel id "XXBJycsmduvYEL83R_U4JriQ"/ },
  { as: 'youtube', input: 'https://www.youtube.com/channel/', got: /without a name or id/ },
  { as: 'youtube', input: 'https://www.youtube.com/user/bad!name', got: /user name "bad!name"/ },
  // TikTok paths that are not profiles.
  { as: 'tiktok', input: 'https://www.tiktok.com/', got: /not a profile \(path "\/"\)/ },
  { as: 'tiktok', input: 'https://www.tiktok.com/charlidamelio', got: /not a profile \(path "\/charlidamelio"\)/ },
  { as: 'tiktok', input: 'https://www.tiktok.com/@a', got: /username "a" that is not 2–24/ },
  { as: 'tiktok', input: 'https://www.tiktok.com/@has-dash', got: /username "has-dash"/ },
  { as: 'tiktok', input: `https://www.tiktok.com/@${'a'.repeat(25)}`, got: /username "a{25}"/ },
  { as: 'tiktok', input: 'https://www.tiktok.com/@user/video/123', got: /video id "123" that is not 15–20 digits/ },
  { as: 'tiktok', input: 'https://www.tiktok.com/@user/likes', got: /unexpected path "\/@user\/likes"/ },
  {
    as: 'tiktok',
    input: 'https://vm.tiktok.com/ZMabc123/',
    got: /host "vm\.tiktok\.com" \(short links only say where they lead when opened/,
  },
  { as: 'tiktok', input: 'https://tiktok.com.evil.tld/@x', got: /host "tiktok\.com\.evil\.tld"/ },
  { as: 'tiktok', input: 'https://www.youtube.com/@mkbhd', got: /host "www\.youtube\.com"/ },
  // Instagram: reserved first segments are pages, not profiles.
  ...['p', 'reel', 'reels', 'tv', 'stories', 'explore', 'accounts', 'direct', 'about', 'developer', 'legal', 'P'].map(
    (segment): RejectCase => ({
      as: 'instagram',
      input: `https://www.instagram.com/${segment}/CxYz123/`,
      got: new RegExp(`got a link to an Instagram "/${segment}/" page, which is not a profile\\.$`),
    }),
  ),
  { as: 'instagram', input: 'https://www.instagram.com/', got: /without a username/ },
  { as: 'instagram', input: 'https://www.instagram.com/bad-name/', got: /username "bad-name" that is not 1–30/ },
  { as: 'instagram', input: `https://www.instagram.com/${'a'.repeat(31)}/`, got: /username "a{31}"/ },
  { as: 'instagram', input: 'https://www.instagram.com/natgeo/p/CxYz123/', got: /unexpected path "\/natgeo\/p\/CxYz123"/ },
  { as: 'instagram', input: 'https://instagr.am/natgeo', got: /host "instagr\.am"/ },
  { as: 'instagram', input: 'https://www.instagram.com.evil.tld/natgeo', got: /host "www\.instagram\.com\.evil\.tld"/ },
  // Video URLs that are not videos, or not on YouTube or TikTok.
  { as: 'video', input: 'https://www.youtube.com/watch', got: /watch link with 0 "v" parameters instead of 1/ },
  { as: 'video', input: `https://www.youtube.com/watch?v=${RICK}&v=aaaaaaaaaaa`, got: /watch link with 2 "v" parameters/ },
  { as: 'video', input: 'https://www.youtube.com/watch?v=short', got: /video id "short" that is not 11 letters/ },
  { as: 'video', input: `https://www.youtube.com/shorts/${RICK}x`, got: /video id "dQw4w9WgXcQx"/ },
  { as: 'video', input: 'https://youtu.be/', got: /not a video \(path "\/"\)/ },
  { as: 'video', input: `https://youtu.be/${RICK}/extra`, got: /not a video/ },
  { as: 'video', input: `https://www.youtube.com/embed/${RICK}/extra`, got: /not a video/ },
  { as: 'video', input: 'https://www.youtube.com/@mkbhd', got: /YouTube link that is not a video \(path "\/@mkbhd"\)/ },
  { as: 'video', input: 'https://www.tiktok.com/@user', got: /TikTok link that is not a video \(path "\/@user"\)/ },
  { as: 'video', input: 'https://www.tiktok.com/@user/video/12345678901234', got: /video id "12345678901234" that is not 15–20 digits/ },
  { as: 'video', input: 'https://www.tiktok.com/@user/video/123456789012345678901', got: /video id "123456789012345678901"/ },
  { as: 'video', input: 'https://www.tiktok.com/@user/video/7234567890123456789abc', got: /video id "7234567890123456789abc"/ },
  { as: 'video', input: 'https://www.instagram.com/reel/CxYz123/', got: /host "www\.instagram\.com"/ },
  { as: 'video', input: `https://youtu.be.evil.tld/${RICK}`, got: /host "youtu\.be\.evil\.tld"/ },
  { as: 'video', input: 'https://vt.tiktok.com/ZSabc/', got: /host "vt\.tiktok\.com" \(short links/ },
];

function parse(as: RejectCase['as'], input: string): unknown {
  return as === 'video' ? parseVideoUrl(input) : parseCreatorUrl(as, input);
}

describe('platform URLs', () => {
  describe('parseCreatorUrl accepts', () => {
    for (const c of ACCEPTED_CREATORS) {
      it(`when given ${JSON.stringify(c.input.slice(0, 80))}, then it yields ${c.ref.platform} ${c.ref.kind} "${c.ref.value}"`, () => {
        const parsed = parseCreatorUrl(c.ref.platform, c.input);
        assert.deepEqual(parsed, { ref: c.ref, canonicalUrl: c.canonicalUrl });
        assert.equal(canonicalCreatorUrl(parsed.ref), c.canonicalUrl);
        // The canonical URL is itself accepted and means the same creator.
        assert.deepEqual(parseCreatorUrl(c.ref.platform, parsed.canonicalUrl), parsed);
      });
    }
  });

  describe('parseVideoUrl accepts', () => {
    for (const c of ACCEPTED_VIDEOS) {
      it(`when given ${JSON.stringify(c.input)}, then it yields ${c.platform} video "${c.videoId}"`, () => {
        const parsed = parseVideoUrl(c.input);
        assert.deepEqual(parsed, { platform: c.platform, videoId: c.videoId, canonicalUrl: c.canonicalUrl });
        assert.deepEqual(parseVideoUrl(parsed.canonicalUrl), parsed);
      });
    }
  });

  describe('rejects', () => {
    for (const c of REJECTED) {
      it(`when ${JSON.stringify(c.input.slice(0, 80))} is parsed as a ${c.as === 'video' ? 'video' : `${c.as} creator`} URL, then a 400 says what was expected and ${c.got}`, () => {
        assert.throws(
          () => parse(c.as, c.input),
          (err: unknown) => {
            assert.ok(err instanceof PlatformUrlError, `not a PlatformUrlError: ${String(err)}`);
            assert.ok(err instanceof ValidationError);
            assert.equal(err.status, 400);
            assert.equal(err.code, 'validation_failed');
            assert.equal(err.expose, true);
            assert.match(err.message, EXPECTED[c.as]);
            assert.match(err.message, c.got);
            return true;
          },
        );
      });
    }
  });

  it('when the input is huge, then the message echoes at most about 100 characters of it', () => {
    for (const input of [
      `https://${'a'.repeat(1500)}.com/@x`,
      `https://www.youtube.com/@x ${'b'.repeat(1500)}`,
      `https://www.youtube.com/channel/${'c'.repeat(1500)}`,
    ]) {
      assert.throws(
        () => parseCreatorUrl('youtube', input),
        (err: unknown) => {
          assert.ok(err instanceof PlatformUrlError);
          assert.ok(err.message.length < 400, `message is ${err.message.length} characters long`);
          assert.match(err.message, /…"/, 'a cut is marked with an ellipsis');
          return true;
        },
      );
    }
  });

  it('when an error is thrown, then its expected and got parts are available to callers', () => {
    try {
      parseCreatorUrl('instagram', 'https://www.instagram.com/p/CxYz123/');
      assert.fail('should have thrown');
    } catch (err) {
      assert.ok(err instanceof PlatformUrlError);
      assert.equal(err.expected, 'Expected an Instagram profile URL such as https://www.instagram.com/username/');
      assert.equal(err.got, 'a link to an Instagram "/p/" page, which is not a profile');
      assert.equal(err.message, `${err.expected}; got ${err.got}.`);
    }
  });
});

/**
 * The simulated world: creators, their videos and every video's metrics, as pure functions of a
 * seed and a time. No state, no randomness at run time: any process (API, worker, a test) asks
 * for video X at time T and gets the same answer.
 *
 * Time: publish cadences and video ages are divided by `timeScale` (TIME_SCALE), so a demo can
 * live a week in minutes: at 1440 a creator who posts daily posts every real minute, and a video
 * published a real minute ago is a simulated day old. Put another way, simulated time is
 * ANCHOR + (real time − ANCHOR) × timeScale; every timestamp the world hands out is a real one,
 * like the rest of the product's (workflows divide their intervals by the same TIME_SCALE).
 *
 * Curves: most videos rise fast and saturate (velocity decays); a few "take off" later (a
 * delayed logistic surge). Seeded trends: a few hashtags (each with a topic and a sound) are
 * adopted in waves by a set of creators. A wave has a "heat" that rises through its first half
 * and falls through its second; a tagged video gains views at a rate proportional to the heat at
 * the time of observation, and more and more new videos carry the tag while the heat rises. So
 * the tag's summed velocity rises across creators by construction, not by luck of the draw.
 */
import { fnv1a } from '../../lib/domain/hash';
import type { PlatformName, VideoFormat } from '../types';

const HOUR = 3_600_000;
/** Publish times count from here (k-th video of a creator ≈ ANCHOR + k × cadence). */
const ANCHOR = Date.UTC(2026, 0, 1);

/** Creator keys are 24 bits: every video and channel id encodes one. */
export const MAX_CREATOR_KEY = 0xffffff;

/** The one hash everything in the world derives from. */
const hash32 = fnv1a;

/** A deterministic uniform number in [0, 1) for a key. */
export function unit(...key: (string | number)[]): number {
  let h = hash32(key.join('|'));
  // splitmix-style finaliser: FNV alone is weak in its low bits.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

const pick = <T>(items: readonly T[], u: number): T => items[Math.floor(u * items.length) % items.length]!;

const NICHES = [
  { name: 'gaming', topic: 'Video_game_culture', tags: ['gaming', 'gameplay', 'speedrun'] },
  { name: 'music', topic: 'Music', tags: ['music', 'cover', 'newmusic'] },
  { name: 'food', topic: 'Food', tags: ['food', 'recipe', 'cooking'] },
  { name: 'tech', topic: 'Technology', tags: ['tech', 'review', 'gadgets'] },
  { name: 'fitness', topic: 'Physical_fitness', tags: ['fitness', 'workout', 'gym'] },
  { name: 'travel', topic: 'Tourism', tags: ['travel', 'vlog', 'wanderlust'] },
] as const;

const TREND_NAMES = [
  'glowchallenge',
  'sunsetremix',
  'tinyhomehacks',
  'retrowave',
  'pancakeflip',
  'quietluxury',
  'cozygames',
  'backyardlab',
  'citypopdance',
];
/** Distinct from the niches' topics, so a trend's topic is carried by its videos alone. */
const TREND_TOPICS = [
  'Lifestyle_(sociology)',
  'Pop_music',
  'Hobby',
  'Electronic_music',
  'Baking',
  'Fashion',
  'Board_game',
  'Science',
  'Dance',
];

/** Trend waves last this many simulated hours and start evenly spread over one wave. */
const WAVE_HOURS = 144;
const TREND_COUNT = 3;
/** A wave counts as emerging from this phase until its middle (0.5): at any time one is. */
const EMERGING_FROM = 0.15;
/** A tagged video gains views from its trend's heat for this many waves after publication. */
const RIDE_WAVES = 0.55;

const WORDS_A = ['sunny', 'pixel', 'urban', 'lazy', 'cosmic', 'lucky', 'silent', 'rapid', 'golden', 'tiny', 'wild', 'neon'];
const WORDS_B = ['chef', 'gamer', 'beats', 'rider', 'maker', 'nomad', 'coach', 'lens', 'lab', 'studio', 'fox', 'wave'];

export interface WorldOptions {
  platform: PlatformName;
  seed: number;
  /** Discoverable creators of this platform's world. */
  creators: number;
  timeScale: number;
}

export interface Creator {
  /** 24-bit key every id of this creator encodes. */
  key: number;
  username: string;
  displayName: string;
  niche: (typeof NICHES)[number];
  typicalViews: number;
  followers: number;
  /** Simulated hours between two uploads. */
  cadenceHours: number;
}

export interface SeededTrend {
  hashtag: string;
  topic: string;
  soundId: string;
  /** Creators (usernames, and their keys) who adopt it in waves. */
  creators: string[];
  creatorKeys: number[];
  periodHours: number;
  offsetHours: number;
}

export interface SimVideo {
  creator: Creator;
  k: number;
  publishedAt: number;
  title: string;
  hashtags: string[];
  topics: string[];
  soundId: string | null;
  format: VideoFormat;
  durationSeconds: number;
}

/** A tag only this creator uses. */
export function personalTag(creator: Pick<Creator, 'key'>): string {
  return `my${creator.key.toString(36)}life`;
}

/**
 * A wave's heat rises linearly from 0 at its start to 1 at its middle, then falls back to 0.
 * This is its sum from a wave's start to `waves` later (0.5 per whole wave), in a form whose
 * rounding never decreases as `waves` grows, so views built on it never decrease either.
 */
function heatSince(waves: number): number {
  const whole = Math.floor(waves);
  const p = waves - whole;
  return whole * 0.5 + (p <= 0.5 ? p * p : 0.5 - (1 - p) * (1 - p));
}

/** The seeded trends of a world: distinct names, each adopted by six creators (disjoint where the world is big enough). */
function seededTrends(seed: number, discoverable: Creator[]): SeededTrend[] {
  const nameOffset = Math.floor(unit(seed, 'trend') * TREND_NAMES.length);
  const firstMember = Math.floor(unit(seed, 'trend-members') * discoverable.length);
  return Array.from({ length: TREND_COUNT }, (_, j) => {
    const index = (nameOffset + j * 3) % TREND_NAMES.length;
    const hashtag = TREND_NAMES[index]!;
    const members = [...new Set(Array.from({ length: 6 }, (_, c) => discoverable[(firstMember + j * 6 + c) % discoverable.length]!))];
    return {
      hashtag,
      topic: TREND_TOPICS[index]!,
      soundId: String(7_000_000_000_000_000_000n + BigInt(hash32(`${seed}|sound|${hashtag}`))),
      creators: members.map((m) => m.username),
      creatorKeys: members.map((m) => m.key),
      periodHours: WAVE_HOURS,
      offsetHours: (j * WAVE_HOURS) / TREND_COUNT,
    };
  });
}

export class World {
  readonly trends: SeededTrend[];
  private readonly byKey = new Map<number, Creator>();
  private readonly discoverable: Creator[];

  constructor(readonly opts: WorldOptions) {
    this.discoverable = Array.from({ length: opts.creators }, (_, i) => {
      const username = `${pick(WORDS_A, unit(opts.seed, 'a', i))}${pick(WORDS_B, unit(opts.seed, 'b', i))}${i}`;
      const creator = this.creatorByName(username);
      this.byKey.set(creator.key, creator);
      return creator;
    });
    this.trends = seededTrends(opts.seed, this.discoverable);
  }

  get creators(): Creator[] {
    return this.discoverable;
  }

  /**
   * Any syntactically valid name is a creator: its parameters derive from the name's hash (its
   * 24-bit key), so every process derives the same creator from the same name.
   */
  creatorByName(username: string): Creator {
    const name = username.toLowerCase();
    const creator = this.creatorByKey(hash32(`${this.opts.seed}|${name}`) & MAX_CREATOR_KEY);
    return creator.username === name ? creator : { ...creator, username: name };
  }

  /** Everything about a creator but a non-world creator's name derives from the key alone. */
  creatorByKey(key: number): Creator {
    const known = this.byKey.get(key);
    if (known) return known;
    const u = (tag: string) => unit(this.opts.seed, this.opts.platform, key, tag);
    const typicalViews = Math.round(10 ** (3 + 3 * u('views')));
    const username = `${pick(WORDS_A, u('a'))}${pick(WORDS_B, u('b'))}${key % 10_000}`;
    return {
      key,
      username,
      displayName: `${pick(WORDS_A, u('a'))} ${pick(WORDS_B, u('b'))}`.replace(/\b./g, (c) => c.toUpperCase()),
      niche: pick(NICHES, u('niche')),
      typicalViews,
      followers: Math.round(typicalViews * (5 + 45 * u('followers'))),
      cadenceHours: 8 + Math.floor(40 * u('cadence')),
    };
  }

  /** Trend creators post every 8 h, so a wave's adoption shows across several creators. */
  private cadenceOf(creator: Creator): number {
    return this.trends.some((t) => t.creatorKeys.includes(creator.key)) ? 8 : creator.cadenceHours;
  }

  private publishTime(creator: Creator, k: number): number {
    const cadenceMs = (this.cadenceOf(creator) * HOUR) / this.opts.timeScale;
    return ANCHOR + (k + 0.8 * unit(this.opts.seed, creator.key, k, 'jitter')) * cadenceMs;
  }

  /** Videos of a creator published in [from, to], newest first (at most the newest 1,000). */
  videosOf(creator: Creator, from: number, to: number): SimVideo[] {
    const cadenceMs = (this.cadenceOf(creator) * HOUR) / this.opts.timeScale;
    const kTo = Math.floor((to - ANCHOR) / cadenceMs) + 1;
    // A wide window at a large time scale would span millions of uploads: keep the newest.
    const kFrom = Math.max(0, Math.floor((from - ANCHOR) / cadenceMs) - 1, kTo - 1000);
    const videos: SimVideo[] = [];
    for (let k = kTo; k >= kFrom; k--) {
      const video = this.video(creator, k);
      if (video.publishedAt >= from && video.publishedAt <= to) videos.push(video);
    }
    return videos;
  }

  /** Simulated hours since ANCHOR at a (real) time. */
  private simHours(time: number): number {
    return ((time - ANCHOR) * this.opts.timeScale) / HOUR;
  }

  /** Waves of a trend since ANCHOR at a time (unwrapped: 2.3 = 30 % into its third wave). */
  private waves(trend: SeededTrend, time: number): number {
    return (this.simHours(time) - trend.offsetHours) / trend.periodHours;
  }

  /** Phase (0..1) of a trend's wave at a time. */
  private wavePhase(trend: SeededTrend, time: number): number {
    return ((this.waves(trend, time) % 1) + 1) % 1;
  }

  /** Seeded trends in the rising half of their wave at `time` (what analysis should find). */
  emergingTrendsAt(time: number): SeededTrend[] {
    return this.trends.filter((t) => {
      const phase = this.wavePhase(t, time);
      return phase > EMERGING_FROM && phase < 0.5;
    });
  }

  /** The seeded trend a video carries, if any. */
  trendOf(video: Pick<SimVideo, 'hashtags'>): SeededTrend | undefined {
    return this.trends.find((t) => video.hashtags.includes(t.hashtag));
  }

  video(creator: Creator, k: number): SimVideo {
    const seed = this.opts.seed;
    const u = (tag: string) => unit(seed, this.opts.platform, creator.key, k, tag);
    const publishedAt = this.publishTime(creator, k);
    // Adoption grows through the first half of a wave, then stops. A creator in two trends (small
    // worlds) follows the one that has been rising longer, so no video rides a fading wave.
    let trend: SeededTrend | undefined;
    let trendPhase = -1;
    for (const t of this.trends) {
      const phase = this.wavePhase(t, publishedAt);
      if (t.creatorKeys.includes(creator.key) && phase < 0.5 && phase > trendPhase && u(`adopt-${t.hashtag}`) < 0.6 + 0.8 * phase) {
        trend = t;
        trendPhase = phase;
      }
    }
    // The last tag is the creator's own (one creator's tag is never a trend, however big the hit).
    const hashtags = [pick(creator.niche.tags, u('tag1')), pick(creator.niche.tags, u('tag2')), personalTag(creator)];
    if (trend) hashtags.unshift(trend.hashtag);
    const platform = this.opts.platform;
    const format: VideoFormat =
      platform === 'tiktok'
        ? 'short'
        : platform === 'instagram'
          ? u('format') < 0.6
            ? 'reel'
            : u('format2') < 0.5
              ? 'photo'
              : 'carousel'
          : u('format') < 0.45
            ? 'short'
            : 'long';
    const durationSeconds =
      format === 'photo' || format === 'carousel'
        ? 0
        : format === 'long'
          ? 240 + Math.floor(1500 * u('dur'))
          : 8 + Math.floor(52 * u('dur'));
    return {
      creator,
      k,
      publishedAt,
      title: `${creator.displayName}: ${trend ? `#${trend.hashtag} ` : ''}${pick(creator.niche.tags, u('title'))} #${k}`,
      hashtags: [...new Set(hashtags)],
      topics: trend ? [trend.topic, creator.niche.topic] : [creator.niche.topic],
      soundId:
        platform === 'tiktok' ? (trend ? trend.soundId : String(7_100_000_000_000_000_000n + BigInt(Math.floor(u('sound') * 1e9)))) : null,
      format,
      durationSeconds,
    };
  }

  /** Simulated hours since publication at `time`. */
  ageHours(video: SimVideo, time: number): number {
    return Math.max(0, ((time - video.publishedAt) * this.opts.timeScale) / HOUR);
  }

  /** Deleted (or made private) videos disappear after a day: about 1 in 100. */
  isGone(video: SimVideo, time: number): boolean {
    return unit(this.opts.seed, video.creator.key, video.k, 'gone') < 0.01 && this.ageHours(video, time) > 24;
  }

  /** Metrics at a time: a pure function of (video, time), never decreasing. */
  metrics(video: SimVideo, time: number): { views: number | null; likes: number | null; comments: number | null; shares: number | null } {
    const u = (tag: string) => unit(this.opts.seed, this.opts.platform, video.creator.key, video.k, tag);
    const age = this.ageHours(video, time);
    const base = video.creator.typicalViews * (0.3 + 1.4 * u('size'));
    const tau = 6 + 30 * u('tau');
    const logistic = (x: number) => 1 / (1 + Math.exp(-x));
    const trend = this.trendOf(video);
    let extra = 0;
    if (trend) {
      // A tagged video rides its trend's heat for a while after publication; the later in the
      // rising wave it joins, the bigger its audience (momentum).
      const joinedAt = this.wavePhase(trend, video.publishedAt);
      const reach = base * (4 + 8 * u('surge')) * (1 + 6 * Math.min(0.5, joinedAt));
      const ridden = Math.min(age / trend.periodHours, RIDE_WAVES);
      // Heat over a whole rising half-wave sums to 0.25: riding all of it brings `reach` views.
      extra = (reach / 0.25) * (heatSince(joinedAt + ridden) - heatSince(joinedAt));
    } else if (u('takeoff') < 0.05) {
      // A few videos take off later: a delayed logistic surge.
      const surge = base * (4 + 8 * u('surge'));
      const delay = 12 + 24 * u('delay');
      extra = surge * (logistic((age - delay) / 6) - logistic(-delay / 6));
    }
    const views = Math.floor(base * (1 - Math.exp(-age / tau)) + extra);
    const likeRate = 0.02 + 0.06 * u('likes');
    const hiddenLikes = this.opts.platform !== 'tiktok' && u('hidden') < 0.05;
    const viewsKnown = !(this.opts.platform === 'instagram' && video.format !== 'reel');
    return {
      views: viewsKnown ? views : null,
      likes: hiddenLikes ? null : Math.floor(views * likeRate),
      comments: Math.floor(views * (0.001 + 0.009 * u('comments'))),
      shares:
        this.opts.platform === 'youtube' || this.opts.platform === 'instagram' ? null : Math.floor(views * (0.0005 + 0.0045 * u('shares'))),
    };
  }
}

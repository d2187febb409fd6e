/**
 * The simulated world: creators, their videos and every video's metrics, as pure functions of a
 * seed and a time. No state, no randomness at run time: any process (API, worker, a test) asks
 * for video X at time T and gets the same answer.
 *
 * Time is data time throughout: every instant the world receives or hands out is read from the
 * product's clock (lib/clock.ts), which in a simulation (TIME_SCALE > 1) already runs faster than
 * real time. So the world never scales anything itself.
 *
 * Regular uploads: each creator posts at their own cadence, tagged with the tags everybody uses
 * every day (evergreen: fyp, viral, … and the niche's tags) and a tag of their own. Most videos
 * rise fast and saturate; a few take off later (a delayed logistic surge).
 * Seeded events (seasons.ts): waves, a fizzle and a solo hit per 7-day season, whose videos are
 * posted on top of the regular uploads and gain views with their event's heat.
 */
import { titleKeywords } from '../../lib/domain/keywords';
import { fnv1a } from '../../lib/domain/hash';
import type { PlatformName, Signal, VideoFormat } from '../types';
import { pick, unit, unitsOf } from './random';
import {
  eventSlot,
  heatUntil,
  seasonPlan,
  seasonsTouching,
  totalHeat,
  MAX_WAVES_PER_SEASON,
  WORLD_START,
  type EventKind,
  type SeasonEvent,
  type SeasonPlan,
} from './seasons';

export { unit } from './random';

const HOUR = 3_600_000;

/** Creator keys are 24 bits: every video and channel id encodes one. */
export const MAX_CREATOR_KEY = 0xffffff;

const NICHES = [
  { name: 'gaming', topic: 'Video_game_culture', tags: ['gaming', 'gameplay', 'speedrun'] },
  { name: 'music', topic: 'Music', tags: ['music', 'cover', 'newmusic'] },
  { name: 'food', topic: 'Food', tags: ['food', 'recipe', 'cooking'] },
  { name: 'tech', topic: 'Technology', tags: ['tech', 'review', 'gadgets'] },
  { name: 'fitness', topic: 'Physical_fitness', tags: ['fitness', 'workout', 'gym'] },
  { name: 'travel', topic: 'Tourism', tags: ['travel', 'vlog', 'wanderlust'] },
] as const;

/** Tags of no niche that nearly every video carries one of. */
const GENERIC_TAGS = ['fyp', 'viral', 'shorts', 'foryou'];

/** Tags used every day by many creators at a steady rate: never a trend. */
export const EVERGREEN_TAGS: readonly string[] = [...GENERIC_TAGS, ...NICHES.flatMap((n) => n.tags)];

/** Seasons a world keeps planned at once (a wide look-back touches many). */
const PLAN_CACHE_SIZE = 128;
const DEFAULT_WAVES_PER_SEASON = 8;
/** Regular videos of world creators kept built (discovery scans the same fresh window again and again). */
const VIDEO_CACHE_SIZE = 50_000;

const WORDS_A = ['sunny', 'pixel', 'urban', 'lazy', 'cosmic', 'lucky', 'silent', 'rapid', 'golden', 'tiny', 'wild', 'neon'];
const WORDS_B = ['chef', 'gamer', 'beats', 'rider', 'maker', 'nomad', 'coach', 'lens', 'lab', 'studio', 'fox', 'wave'];

export interface WorldOptions {
  platform: PlatformName;
  seed: number;
  /** Discoverable creators of this platform's world. */
  creators: number;
  /** Waves seeded per 7-day season (default 8). */
  wavesPerSeason?: number;
}

export interface Creator {
  /** 24-bit key every id of this creator encodes. */
  key: number;
  username: string;
  displayName: string;
  niche: (typeof NICHES)[number];
  typicalViews: number;
  followers: number;
  /** Hours between two regular uploads. */
  cadenceHours: number;
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
  /** The seeded event the video belongs to, if any. */
  event: SeasonEvent | null;
}

/** A seeded event (or an evergreen tag) whose activity overlaps an interval: what analysis should (or must not) report. */
export interface GroundTruthEvent {
  /** Stable per seed: `s<season>-wave<i>`, `s<season>-fizzle`, `s<season>-solo`, `evergreen-<tag>`. */
  id: string;
  kind: EventKind | 'evergreen';
  /** The names it can be found by: its hashtag (no '#'), its TikTok sound id, its title keyword. */
  names: { hashtag: string; sound?: string; keyword?: string };
  /** Data time (ms). An evergreen tag has no shape: it spans the asked interval and "peaks" at its start. */
  startAt: number;
  peakAt: number;
  endAt: number;
  /** Distinct creators and videos of the whole event (evergreen: within the asked interval). */
  creators: number;
  videos: number;
  /** Who posted when (usernames, oldest first): how adoption spread. Empty for evergreen tags. */
  adoption: { creator: string; publishedAt: number }[];
}

/** A tag only this creator uses. */
export function personalTag(creator: Pick<Creator, 'key'>): string {
  return `my${creator.key.toString(36)}life`;
}

/** The creator key a personal tag names, if it is one. */
function personalTagKey(tag: string): number | null {
  const match = /^my([0-9a-z]+)life$/.exec(tag);
  return match ? parseInt(match[1]!, 36) : null;
}

export class World {
  private readonly byKey = new Map<number, Creator>();
  private readonly discoverable: Creator[];
  private readonly plans = new Map<number, SeasonPlan>();
  private readonly builtVideos = new Map<string, SimVideo>();
  private readonly wavesPerSeason: number;

  constructor(readonly opts: WorldOptions) {
    this.wavesPerSeason = Math.min(opts.wavesPerSeason ?? DEFAULT_WAVES_PER_SEASON, MAX_WAVES_PER_SEASON);
    this.discoverable = Array.from({ length: opts.creators }, (_, i) => {
      const username = `${pick(WORDS_A, unit(opts.seed, 'a', i))}${pick(WORDS_B, unit(opts.seed, 'b', i))}${i}`;
      const creator = this.creatorByName(username);
      this.byKey.set(creator.key, creator);
      return creator;
    });
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
    const creator = this.creatorByKey(fnv1a(`${this.opts.seed}|${name}`) & MAX_CREATOR_KEY);
    return creator.username === name ? creator : { ...creator, username: name };
  }

  /** Everything about a creator but a non-world creator's name derives from the key alone. */
  creatorByKey(key: number): Creator {
    const known = this.byKey.get(key);
    if (known) return known;
    const u = unitsOf(this.opts.seed, this.opts.platform, key);
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

  /** The events of a season (planned once per world, kept for the recent seasons). */
  private plan(season: number): SeasonPlan {
    const cached = this.plans.get(season);
    if (cached) return cached;
    if (this.plans.size >= PLAN_CACHE_SIZE) this.plans.delete(this.plans.keys().next().value!);
    const plan = seasonPlan(season, {
      seed: this.opts.seed,
      wavesPerSeason: this.wavesPerSeason,
      creators: this.discoverable,
      evergreenTags: EVERGREEN_TAGS,
    });
    this.plans.set(season, plan);
    return plan;
  }

  /** Seeded events active at some point of [from, to]. */
  eventsBetween(from: number, to: number): SeasonEvent[] {
    return seasonsTouching(from, to)
      .flatMap((s) => this.plan(s).events)
      .filter((e) => e.startAt <= to && e.endAt >= from);
  }

  private publishTime(creator: Creator, k: number): number {
    return WORLD_START + (k + 0.8 * unit(this.opts.seed, creator.key, k, 'jitter')) * creator.cadenceHours * HOUR;
  }

  /** Videos of a creator published in [from, to], newest first (regular uploads: at most the newest 1,000). */
  videosOf(creator: Creator, from: number, to: number): SimVideo[] {
    const cadenceMs = creator.cadenceHours * HOUR;
    const kTo = Math.floor((to - WORLD_START) / cadenceMs) + 1;
    const kFrom = Math.max(0, Math.floor((from - WORLD_START) / cadenceMs) - 1, kTo - 1000);
    const videos: SimVideo[] = [];
    for (let k = kTo; k >= kFrom; k--) {
      const publishedAt = this.publishTime(creator, k);
      if (publishedAt >= from && publishedAt <= to) videos.push(this.regularVideo(creator, k));
    }
    for (const season of seasonsTouching(from, to)) {
      for (const post of this.plan(season).postsByCreator.get(creator.key) ?? []) {
        if (post.publishedAt >= from && post.publishedAt <= to) videos.push(this.video(creator, post.k)!);
      }
    }
    return videos.sort((a, b) => b.publishedAt - a.publishedAt);
  }

  /** Every discoverable creator's videos published in [from, to] and not gone at `at`. */
  freshVideos(from: number, to: number, at = to): SimVideo[] {
    return this.discoverable.flatMap((c) => this.videosOf(c, from, to)).filter((v) => !this.isGone(v, at));
  }

  /**
   * Videos published in [from, to] that carry a signal, newest first. An event's names lead
   * straight to its posts, a personal tag to its creator; anything else is looked for in every
   * fresh video.
   */
  searchVideos(signal: Signal, from: number, to: number): SimVideo[] {
    const name = signal.name.toLowerCase();
    const carries = (v: SimVideo) =>
      signal.kind === 'hashtag'
        ? v.hashtags.includes(name)
        : signal.kind === 'sound'
          ? v.soundId === signal.name
          : titleKeywords(v.title, v.hashtags).includes(name);
    const events = this.eventsBetween(from, to).filter((e) =>
      signal.kind === 'hashtag' ? e.hashtag === name : signal.kind === 'sound' ? e.soundId === signal.name : e.keyword === name,
    );
    const ownerKey = signal.kind === 'hashtag' ? personalTagKey(name) : null;
    const candidates =
      events.length > 0
        ? events.flatMap((e) => e.posts.map((p) => this.video(this.creatorByKey(p.creatorKey), p.k)!))
        : ownerKey !== null
          ? this.videosOf(this.creatorByKey(ownerKey), from, to)
          : this.freshVideos(from, to);
    return candidates
      .filter((v) => v.publishedAt >= from && v.publishedAt <= to && !this.isGone(v, to) && carries(v))
      .sort((a, b) => b.publishedAt - a.publishedAt);
  }

  /** A creator's k-th video; null for an event post that is not this creator's (a forged id). */
  video(creator: Creator, k: number): SimVideo | null {
    const slot = eventSlot(k);
    if (!slot) return this.regularVideo(creator, k);
    const event = this.plan(slot.season).events[slot.index];
    const post = event?.posts[slot.post];
    if (!event || !post || post.creatorKey !== creator.key) return null;
    const u = unitsOf(this.opts.seed, this.opts.platform, creator.key, k);
    const keyword = event.keyword ? `${event.keyword[0]!.toUpperCase()}${event.keyword.slice(1)} ` : '';
    return {
      ...this.shapeOf(creator, k, u),
      publishedAt: post.publishedAt,
      title: `${creator.displayName}: ${keyword}#${event.hashtag} ${pick(creator.niche.tags, u('title'))}`,
      hashtags: [...new Set([event.hashtag, pick(GENERIC_TAGS, u('generic')), pick(creator.niche.tags, u('tag1')), personalTag(creator)])],
      soundId: this.opts.platform === 'tiktok' ? event.soundId : null,
      event,
    };
  }

  private regularVideo(creator: Creator, k: number): SimVideo {
    // Only a world creator's videos are shared: another name with the same key is another creator.
    if (this.byKey.get(creator.key) !== creator) return this.buildRegularVideo(creator, k);
    const id = `${creator.key}:${k}`;
    let video = this.builtVideos.get(id);
    if (!video) {
      if (this.builtVideos.size >= VIDEO_CACHE_SIZE) this.builtVideos.clear();
      video = this.buildRegularVideo(creator, k);
      this.builtVideos.set(id, video);
    }
    return video;
  }

  private buildRegularVideo(creator: Creator, k: number): SimVideo {
    const u = unitsOf(this.opts.seed, this.opts.platform, creator.key, k);
    // The last tag is the creator's own (one creator's tag is never a trend, however big the hit).
    const hashtags = [
      pick(GENERIC_TAGS, u('generic')),
      pick(creator.niche.tags, u('tag1')),
      pick(creator.niche.tags, u('tag2')),
      personalTag(creator),
    ];
    return {
      ...this.shapeOf(creator, k, u),
      publishedAt: this.publishTime(creator, k),
      title: `${creator.displayName}: ${pick(creator.niche.tags, u('title'))} #${k}`,
      hashtags: [...new Set(hashtags)],
      soundId: this.opts.platform === 'tiktok' ? String(7_100_000_000_000_000_000n + BigInt(Math.floor(u('sound') * 1e9))) : null,
      event: null,
    };
  }

  /** What every video has whatever it is about: its creator, number, format and length. */
  private shapeOf(
    creator: Creator,
    k: number,
    u: (tag: string) => number,
  ): Pick<SimVideo, 'creator' | 'k' | 'topics' | 'format' | 'durationSeconds'> {
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
    return { creator, k, topics: [creator.niche.topic], format, durationSeconds };
  }

  /** Hours since publication at `time`. */
  ageHours(video: SimVideo, time: number): number {
    return Math.max(0, (time - video.publishedAt) / HOUR);
  }

  /** Deleted (or made private) regular videos disappear after a day: about 1 in 100. Event posts stay. */
  isGone(video: SimVideo, time: number): boolean {
    return !video.event && unit(this.opts.seed, video.creator.key, video.k, 'gone') < 0.01 && this.ageHours(video, time) > 24;
  }

  /** Metrics at a time: a pure function of (video, time), never decreasing. */
  metrics(video: SimVideo, time: number): { views: number | null; likes: number | null; comments: number | null; shares: number | null } {
    const u = unitsOf(this.opts.seed, this.opts.platform, video.creator.key, video.k);
    const age = this.ageHours(video, time);
    const base = video.creator.typicalViews * (0.3 + 1.4 * u('size'));
    const tau = 6 + 30 * u('tau');
    const logistic = (x: number) => 1 / (1 + Math.exp(-x));
    let extra = 0;
    if (video.event) {
      // An event's video gains views with the event's heat from its publication on: it
      // accelerates while the event rises. A solo hit's audience is enormous whoever posts it.
      const event = video.event;
      const reach =
        event.kind === 'solo' ? 2e6 + 6e6 * u('reach') : base * (event.kind === 'wave' ? 3 + 6 * u('reach') : 1 + 2 * u('reach'));
      const from = Math.max(video.publishedAt, event.startAt);
      extra = time <= from ? 0 : (reach * (heatUntil(event, time) - heatUntil(event, from))) / totalHeat(event);
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

  /**
   * What analysis of [from, to] should find (waves) and must not report (the fizzle, the solo
   * hit, evergreen tags): every seeded event active in the interval, and each evergreen tag with
   * its use within the interval.
   */
  groundTruth(from: number, to: number): GroundTruthEvent[] {
    const events = this.eventsBetween(from, to).map((e): GroundTruthEvent => ({
      id: e.id,
      kind: e.kind,
      names: { hashtag: e.hashtag, sound: e.soundId, ...(e.keyword ? { keyword: e.keyword } : {}) },
      startAt: e.startAt,
      peakAt: e.peakAt,
      endAt: e.endAt,
      creators: new Set(e.posts.map((p) => p.creatorKey)).size,
      videos: e.posts.length,
      adoption: e.posts.map((p) => ({ creator: p.username, publishedAt: p.publishedAt })),
    }));
    return [...events.sort((a, b) => a.startAt - b.startAt), ...this.evergreenTruth(from, to)];
  }

  private evergreenTruth(from: number, to: number): GroundTruthEvent[] {
    const use = new Map(EVERGREEN_TAGS.map((tag) => [tag, { creators: new Set<number>(), videos: 0 }]));
    for (const video of this.freshVideos(from, to)) {
      for (const tag of video.hashtags) {
        const counts = use.get(tag);
        if (!counts) continue;
        counts.creators.add(video.creator.key);
        counts.videos++;
      }
    }
    return [...use].map(([tag, counts]) => ({
      id: `evergreen-${tag}`,
      kind: 'evergreen',
      names: { hashtag: tag },
      startAt: from,
      peakAt: from,
      endAt: to,
      creators: counts.creators.size,
      videos: counts.videos,
      adoption: [],
    }));
  }
}

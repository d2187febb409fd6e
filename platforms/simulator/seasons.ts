/**
 * The world's seeded events, season by season. Data time is cut into 7-day seasons from
 * WORLD_START; each season draws its own events from (seed, season), so the world has waves for
 * as long as a demo runs and any interval has a ground truth:
 *  - waves: an invented hashtag (and TikTok sound, sometimes a title keyword) adopted by 10–20
 *    creators in 28–42 videos, few at first and more and more towards the peak, then fewer;
 *  - a fizzle: 2–3 creators, a handful of videos while it rises, then nothing;
 *  - a solo hit: one creator, one or two videos with an enormous audience and a tag of its own.
 * A plan depends on the seed and the discoverable creators only, so it is the same on every
 * platform of a world (the sound is used on TikTok alone).
 */
import { eventNames } from './names';
import { between, unit } from './random';

const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const SEASON_MS = 7 * DAY;
/** Where data time starts for the world: regular uploads and seasons count from here. */
export const WORLD_START = Date.UTC(2026, 0, 1);

/** Video numbers from here on are event posts (regular uploads stay far below). */
export const EVENT_K_BASE = 500_000_000;
const K_PER_SEASON = 2_000;
const K_PER_EVENT = 64;
/** Most waves one season can hold within its video numbers (two slots go to the decoys). */
export const MAX_WAVES_PER_SEASON = K_PER_SEASON / K_PER_EVENT - 2;
/** An event's activity (and so its posts) ends at most this long after its season ends. */
const LONGEST_SPILL_SEASONS = 2;

export type EventKind = 'wave' | 'fizzle' | 'solo';

export interface EventPost {
  creatorKey: number;
  username: string;
  publishedAt: number;
  /** The video number that (with the creator key) makes the post's id. */
  k: number;
}

export interface SeasonEvent {
  id: string;
  kind: EventKind;
  hashtag: string;
  /** The TikTok sound its videos share. */
  soundId: string;
  /** A title word its videos spread, for the events that have one. */
  keyword: string | null;
  startAt: number;
  peakAt: number;
  /** Heat halves about every 0.7 × decayMs after the peak. */
  decayMs: number;
  /** Heat below 5 % of the peak from here on; no post comes later. */
  endAt: number;
  /** Oldest first. */
  posts: EventPost[];
}

export interface SeasonPlan {
  season: number;
  events: SeasonEvent[];
  postsByCreator: Map<number, EventPost[]>;
}

export interface PlanCreator {
  key: number;
  username: string;
}

export const seasonOf = (time: number): number => Math.floor((time - WORLD_START) / SEASON_MS);

/** Seasons whose events may be active in [from, to] (none before the world starts). */
export function seasonsTouching(from: number, to: number): number[] {
  const seasons: number[] = [];
  for (let s = Math.max(0, seasonOf(from) - LONGEST_SPILL_SEASONS); s <= seasonOf(to); s++) seasons.push(s);
  return seasons;
}

/** Which event post a video number is, if it is one. */
export function eventSlot(k: number): { season: number; index: number; post: number } | null {
  if (k < EVENT_K_BASE) return null;
  const offset = k - EVENT_K_BASE;
  const inSeason = offset % K_PER_SEASON;
  return { season: Math.floor(offset / K_PER_SEASON), index: Math.floor(inSeason / K_PER_EVENT), post: inSeason % K_PER_EVENT };
}

/**
 * An event's heat summed from its start to `time`, in hours of peak heat: it rises as the square
 * of the time since the start up to 1 at the peak, then decays exponentially. It never decreases,
 * so views built on it never do either.
 */
export function heatUntil(event: SeasonEvent, time: number): number {
  const riseHours = (event.peakAt - event.startAt) / HOUR;
  if (time <= event.startAt) return 0;
  if (time <= event.peakAt) return (riseHours / 3) * ((time - event.startAt) / (event.peakAt - event.startAt)) ** 3;
  const decayHours = event.decayMs / HOUR;
  return riseHours / 3 + decayHours * (1 - Math.exp(-(time - event.peakAt) / event.decayMs));
}

/** All the heat an event ever has (its views saturate there). */
export const totalHeat = (event: SeasonEvent): number => (event.peakAt - event.startAt) / HOUR / 3 + event.decayMs / HOUR;

export interface PlanOptions {
  seed: number;
  wavesPerSeason: number;
  creators: readonly PlanCreator[];
  /** Tags the world uses every day: no event may be named like one. */
  evergreenTags: readonly string[];
}

interface Shape {
  kind: EventKind;
  riseHours: [number, number];
  decayHours: [number, number];
  videos: [number, number];
  creators: [number, number];
  /** Share of its videos posted while it rises. */
  beforePeak: number;
}

const SHAPES: Record<EventKind, Shape> = {
  wave: { kind: 'wave', riseHours: [36, 96], decayHours: [18, 42], videos: [28, 42], creators: [10, 20], beforePeak: 0.7 },
  fizzle: { kind: 'fizzle', riseHours: [18, 30], decayHours: [8, 16], videos: [4, 6], creators: [2, 3], beforePeak: 1 },
  solo: { kind: 'solo', riseHours: [6, 12], decayHours: [24, 48], videos: [1, 2], creators: [1, 1], beforePeak: 1 },
};

export function seasonPlan(season: number, opts: PlanOptions): SeasonPlan {
  const shapes = [...Array.from({ length: opts.wavesPerSeason }, () => SHAPES.wave), SHAPES.fizzle, SHAPES.solo];
  const names = eventNames(shapes.length, new Set(opts.evergreenTags), opts.seed, 'season', season);
  const events = shapes.map((shape, index) => seasonEvent(season, index, shape, names[index]!, opts));
  const postsByCreator = new Map<number, EventPost[]>();
  for (const post of events.flatMap((e) => e.posts)) {
    const posts = postsByCreator.get(post.creatorKey) ?? [];
    posts.push(post);
    postsByCreator.set(post.creatorKey, posts);
  }
  return { season, events, postsByCreator };
}

function seasonEvent(season: number, index: number, shape: Shape, name: { word: string; hashtag: string }, opts: PlanOptions): SeasonEvent {
  const u = (...tag: (string | number)[]) => unit(opts.seed, 'season', season, index, ...tag);
  const startAt = Math.round(WORLD_START + season * SEASON_MS + u('start') * SEASON_MS);
  const peakAt = startAt + between(shape.riseHours[0], shape.riseHours[1], u('rise')) * HOUR;
  const decayMs = between(shape.decayHours[0], shape.decayHours[1], u('decay')) * HOUR;
  const event: SeasonEvent = {
    id: `s${season}-${shape.kind}${shape.kind === 'wave' ? index : ''}`,
    kind: shape.kind,
    hashtag: name.hashtag,
    soundId: String(7_000_000_000_000_000_000n + BigInt(Math.floor(u('sound') * 2 ** 32))),
    // Most waves spread a title word as well; the decoys are tags alone.
    keyword: shape.kind === 'wave' && u('keyword') < 0.6 ? name.word : null,
    startAt,
    peakAt,
    decayMs,
    endAt: peakAt + 3 * decayMs,
    posts: [],
  };
  const times = postTimes(event, shape, between(shape.videos[0], shape.videos[1], u('videos')), u);
  const adopters = distinctCreators(between(shape.creators[0], shape.creators[1], u('creators')), opts.creators, u);
  event.posts = assignCreators(times, adopters, u).map((creator, j) => ({
    creatorKey: creator.key,
    username: creator.username,
    publishedAt: times[j]!,
    k: EVENT_K_BASE + season * K_PER_SEASON + index * K_PER_EVENT + j,
  }));
  return event;
}

/**
 * Post times drawn (stratified, so every event has its shape) from the event's heat: their
 * density grows as the square of the time since the start up to the peak, then decays.
 */
function postTimes(event: SeasonEvent, shape: Shape, count: number, u: (...tag: (string | number)[]) => number): number[] {
  const rise = event.peakAt - event.startAt;
  return Array.from({ length: count }, (_, j) => {
    const q = (j + u('time', j)) / count;
    if (q < shape.beforePeak) return Math.round(event.startAt + rise * Math.cbrt(q / shape.beforePeak));
    const tail = (q - shape.beforePeak) / (1 - shape.beforePeak);
    return Math.round(event.peakAt - event.decayMs * Math.log(1 - tail * (1 - Math.exp(-3))));
  });
}

/** `count` distinct creators of the world (all of them in a world smaller than that). */
function distinctCreators(count: number, creators: readonly PlanCreator[], u: (...tag: (string | number)[]) => number): PlanCreator[] {
  const wanted = Math.min(count, creators.length);
  const chosen = new Map<number, PlanCreator>();
  for (let draw = 0; chosen.size < wanted; draw++) {
    const creator = creators[Math.floor(u('adopter', draw) * creators.length)]!;
    chosen.set(creator.key, creator);
  }
  return [...chosen.values()];
}

/**
 * Who posts each video (times oldest first): new adopters spread evenly over the posts, so the
 * number of distinct creators grows with the posts, fastest near the peak; every adopter posts.
 */
function assignCreators(times: number[], adopters: PlanCreator[], u: (...tag: (string | number)[]) => number): PlanCreator[] {
  let joined = 0;
  return times.map((_, j) => {
    const postsLeft = times.length - j;
    const newLeft = adopters.length - joined;
    if (joined === 0 || u('new', j) < newLeft / postsLeft) return adopters[joined++]!;
    return adopters[Math.floor(u('again', j) * joined)]!;
  });
}

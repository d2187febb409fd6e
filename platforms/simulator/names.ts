/**
 * Invented, pronounceable names for the simulated world's events, drawn per seed and season:
 * a benchmark must not be able to learn a fixed list, and no name may collide with a tag the
 * world uses every day.
 */
import { unit } from './random';

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'sh', 'br', 'kl', 'tr'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'oo'];
const CODAS = ['', '', '', 'n', 'r', 'x', 'l'];

/** Endings that make a word a hashtag ("zorvali" → "zorvalichallenge"). */
const TAG_SUFFIXES = ['challenge', 'dance', 'core', 'hack', 'remix', 'vibes', 'trend', 'check'];

/** A word of two or three syllables, e.g. "zorvali", "kloomex". */
export function inventedWord(...key: (string | number)[]): string {
  const syllables = 2 + Math.floor(unit(...key, 'syllables') * 2);
  let word = '';
  for (let i = 0; i < syllables; i++) {
    word += ONSETS[Math.floor(unit(...key, 'onset', i) * ONSETS.length)];
    word += VOWELS[Math.floor(unit(...key, 'vowel', i) * VOWELS.length)];
  }
  return word + CODAS[Math.floor(unit(...key, 'coda') * CODAS.length)];
}

/**
 * Names of distinct events: `count` words none of which is in `taken` or repeats, each with a
 * hashtag (the word and a suffix) and, for the events that spread in titles too, the word as a
 * keyword (it differs from the hashtag, so a title's keyword is not the tag counted twice).
 */
export function eventNames(count: number, taken: ReadonlySet<string>, ...key: (string | number)[]): { word: string; hashtag: string }[] {
  const used = new Set(taken);
  const names: { word: string; hashtag: string }[] = [];
  for (let attempt = 0; names.length < count; attempt++) {
    const word = inventedWord(...key, names.length, attempt);
    const hashtag = word + TAG_SUFFIXES[Math.floor(unit(...key, names.length, attempt, 'suffix') * TAG_SUFFIXES.length)];
    if (word.length < 4 || used.has(word) || used.has(hashtag)) continue;
    used.add(word).add(hashtag);
    names.push({ word, hashtag });
  }
  return names;
}

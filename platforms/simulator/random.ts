/** The simulated world's only source of chance: deterministic numbers derived from a key. */

const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a continued from `h` over '|' and `text` (so a key's hash is built without joining strings). */
function extend(h: number, text: string): number {
  h = Math.imul(h ^ 0x7c, 0x01000193) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** splitmix-style finaliser (FNV alone is weak in its low bits), as a number in [0, 1). */
function finish(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** A deterministic uniform number in [0, 1) for a key. */
export function unit(...key: (string | number)[]): number {
  let h = FNV_OFFSET;
  for (const part of key) h = extend(h, String(part));
  return finish(h);
}

/**
 * Uniform numbers for many tags under one key (a video's size, tags, format …): the key is
 * hashed once, which keeps a scan over thousands of videos cheap.
 */
export function unitsOf(...key: (string | number)[]): (tag: string) => number {
  let h = FNV_OFFSET;
  for (const part of key) h = extend(h, String(part));
  return (tag) => finish(extend(h, tag));
}

export const pick = <T>(items: readonly T[], u: number): T => items[Math.floor(u * items.length) % items.length]!;

/** A deterministic whole number in [min, max]. */
export const between = (min: number, max: number, u: number): number => min + Math.floor(u * (max - min + 1));

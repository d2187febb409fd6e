/**
 * Title keywords: the words a video's title is made of, so a phrase that spreads without a
 * hashtag can be a trend too (TikTok can be searched by keyword). No stop-list: a word every
 * title uses ("the", "video") has a high baseline and so never bursts (lib/domain/trendBurst.ts).
 */
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;
const MAX_KEYWORDS = 20;

/** Distinct lower-case words of at least 3 characters, not all digits, not one of the video's hashtags. */
export function titleKeywords(title: string | null | undefined, hashtags: readonly string[] = []): string[] {
  if (!title) return [];
  const tags = new Set(hashtags.map((h) => h.toLowerCase()));
  const words = new Set<string>();
  for (const match of title.normalize('NFKC').toLowerCase().matchAll(WORD)) {
    const word = match[0];
    // A #tag in the title is already counted as a hashtag.
    const hashed = match.index > 0 && title.normalize('NFKC')[match.index - 1] === '#';
    if (word.length < 3 || /^\p{N}+$/u.test(word) || hashed || tags.has(word)) continue;
    words.add(word);
    if (words.size >= MAX_KEYWORDS) break;
  }
  return [...words];
}

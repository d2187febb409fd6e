/**
 * A hashtag as the product stores and compares it, whatever spelled it (a platform's tag, a
 * caption, a user's filter or alert rule): Unicode-normalised, without spaces, without leading
 * '#', lower case. "#Rick Astley", "rickastley" and "＃RickAstley" are one hashtag; "# #" is none
 * (the empty string, which callers drop or refuse).
 */
export function normaliseHashtag(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, '').replace(/^#+/, '').toLowerCase();
}

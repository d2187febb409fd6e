/**
 * docs/benchmarks.md holds one section per benchmark between `<!-- name:start -->` and
 * `<!-- name:end -->`: each benchmark rewrites its own section and leaves the rest of the file
 * (other benchmarks, hand-written reading notes) untouched.
 */

export const sectionStart = (name: string) => `<!-- ${name}:start -->`;
export const sectionEnd = (name: string) => `<!-- ${name}:end -->`;

/** `body` between the section's markers. */
export function markedSection(name: string, body: string): string {
  return `${sectionStart(name)}\n${body}\n${sectionEnd(name)}`;
}

/** The file with section `name` replaced by `section` (marked; or appended; a new file when there is none). */
export function withMarkedSection(file: string | null, name: string, section: string): string {
  if (file === null) return `# Benchmarks\n\n${section}\n`;
  const start = file.indexOf(sectionStart(name));
  const end = file.indexOf(sectionEnd(name));
  if (start >= 0 && end > start) return file.slice(0, start) + section + file.slice(end + sectionEnd(name).length);
  return `${file.trimEnd()}\n\n${section}\n`;
}

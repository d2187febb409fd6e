/**
 * docs/benchmarks.md holds one section per benchmark between `<!-- name:start -->` and
 * `<!-- name:end -->`: each benchmark rewrites its own section and leaves the rest of the file
 * (other benchmarks, hand-written reading notes) untouched.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/config';

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

/** The benchmarks' report: docs/benchmarks.md. */
export const BENCHMARKS_DOC = path.join(PROJECT_ROOT, 'docs', 'benchmarks.md');

/** Rewrites section `name` of docs/benchmarks.md with `body`; returns the file's path relative to the project. */
export async function writeDocsSection(name: string, body: string): Promise<string> {
  const existing = await readFile(BENCHMARKS_DOC, 'utf8').catch(() => null);
  await writeFile(BENCHMARKS_DOC, withMarkedSection(existing, name, markedSection(name, body)));
  return path.relative(PROJECT_ROOT, BENCHMARKS_DOC);
}

/** Section `name` of docs/benchmarks.md as it stands (between its markers), or null. */
export async function readDocsSection(name: string): Promise<string | null> {
  const file = await readFile(BENCHMARKS_DOC, 'utf8').catch(() => null);
  const start = file?.indexOf(sectionStart(name)) ?? -1;
  const end = file?.indexOf(sectionEnd(name)) ?? -1;
  return file && start >= 0 && end > start ? file.slice(start + sectionStart(name).length, end) : null;
}

/** What a figure was measured on: cores, CPU model, memory, Node. */
export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${os.availableParallelism()} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`;
}

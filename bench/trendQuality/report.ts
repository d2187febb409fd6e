/**
 * How the trend quality benchmark shows its figures: the console table, the false positives to
 * tune against, and the body of its section of docs/benchmarks.md (bench/docsSection.ts writes
 * it between the section's markers). Pure.
 */
import { meetsTargets, TARGETS, type QualityReport, type ReportedName } from './score';

export interface SeedResult {
  seed: number;
  report: QualityReport;
  wallMs: number;
  snapshots: number;
  videos: number;
}

export interface BenchDescription {
  command: string;
  machine: string;
  method: string;
}

/** Its section's name in docs/benchmarks.md. */
export const TREND_QUALITY_SECTION = 'bench:trend-quality';

const fixed = (value: number | null, digits = 2) => (value === null ? '–' : value.toFixed(digits));
const hours = (value: number | null) => (value === null ? '–' : `${value >= 0 ? '+' : ''}${value.toFixed(1)} h`);
const name = (r: ReportedName) => `${r.kind}:${r.name}`;

/** One row per seed: the figures the issue's targets speak of. */
export function seedRows(results: SeedResult[]): string[][] {
  return results.map(({ seed, report, wallMs, snapshots }) => [
    String(seed),
    fixed(report.recall),
    fixed(report.precision),
    hours(report.medianLeadHours),
    `${report.detected}/${report.waveCount}`,
    String(report.falsePositives.length),
    report.decoysReported.length ? report.decoysReported.map(name).join(', ') : 'none',
    meetsTargets(report) ? 'yes' : 'no',
    String(snapshots),
    `${(wallMs / 1000).toFixed(0)} s`,
  ]);
}

const HEADER = [
  'seed',
  'recall',
  'precision',
  'median lead',
  'detected/waves',
  'false positives',
  'decoys reported',
  'targets met',
  'snapshots',
  'runtime',
];

export function consoleTable(results: SeedResult[]): string {
  const rows = [HEADER, ...seedRows(results)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n');
}

export function markdownTable(results: SeedResult[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(HEADER), line(HEADER.map(() => '---')), ...seedRows(results).map(line)].join('\n');
}

/** The top false positives of a run, for tuning. */
export function falsePositiveLines(report: QualityReport, top = 10): string[] {
  return report.falsePositives
    .slice(0, top)
    .map((r) => `${name(r)} (${r.runs} runs, ${r.statuses.join('/')}${r.decoy ? `, ${r.decoy} decoy` : ''})`);
}

export function targetsLine(): string {
  return `recall ≥ ${TARGETS.recall}, precision ≥ ${TARGETS.precision}, median lead ≥ ${TARGETS.medianLeadHours} h before the peak, no evergreen or solo-hit decoy reported as emerging — on at least five seeds`;
}

export function docsSection(results: SeedResult[], description: BenchDescription): string {
  const met = results.filter((r) => meetsTargets(r.report)).length;
  return [
    '## Trend Watch detection quality',
    '',
    `Machine: ${description.machine}`,
    '',
    'Command:',
    '',
    '```sh',
    description.command,
    '```',
    '',
    description.method,
    '',
    `Targets (issue 12): ${targetsLine()}.`,
    '',
    markdownTable(results),
    '',
    `Seeds meeting every target: ${met} of ${results.length}.`,
  ].join('\n');
}

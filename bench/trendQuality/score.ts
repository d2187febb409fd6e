/**
 * Scoring of the trend quality benchmark: what analysis reported against the simulator's ground
 * truth. Pure: the driver hands in the ground truth and every reported series point.
 *
 *  - A reported name is a (kind, name) that an analysis run put in detected_trend_points as
 *    emerging or peaking within the evaluated interval.
 *  - It matches an event when it equals the event's hashtag, sound or keyword (kind-agnostic,
 *    case-insensitive, without a leading '#': the product may report the word under any kind).
 *  - recall: waves peaking inside the interval with any matching name reported / those waves.
 *  - precision: reported names matching a wave / all reported names (a name matching only a
 *    fizzle, solo hit or evergreen decoy, or nothing at all, is false).
 *  - lead: wave.peakAt − first time any of its names was reported (positive = before the peak),
 *    median over the detected waves.
 */

export type GroundTruthKind = 'wave' | 'fizzle' | 'solo' | 'evergreen';

/** One seeded event, as the simulator's ground truth gives it (times in ms, data time). */
export interface GroundTruthEvent {
  id: string;
  kind: GroundTruthKind;
  names: { hashtag: string; sound?: string | undefined; keyword?: string | undefined };
  startAt: number;
  peakAt: number;
  endAt: number;
  creators?: number | string[] | undefined;
  videos?: number | unknown[] | undefined;
}

/** One analysis run's word on one trend (a detected_trend_points row). */
export interface ReportedPoint {
  kind: string;
  name: string;
  at: number;
  status: string;
}

export interface Interval {
  from: number;
  to: number;
}

export interface WaveOutcome {
  id: string;
  names: string[];
  peakAt: number;
  firstReportedAt: number | null;
  /** Hours before the peak the wave was first reported (negative: after); null when never. */
  leadHours: number | null;
}

export interface ReportedName {
  kind: string;
  name: string;
  firstReportedAt: number;
  /** Analysis runs that reported it emerging or peaking. */
  runs: number;
  statuses: string[];
  /** The decoy it belongs to, when it is one (false positives only). */
  decoy: Exclude<GroundTruthKind, 'wave'> | null;
}

export interface QualityReport {
  interval: Interval;
  waves: WaveOutcome[];
  /** Waves peaking inside the interval. */
  waveCount: number;
  detected: number;
  /** null when no wave peaks inside the interval. */
  recall: number | null;
  reportedNames: number;
  truePositives: number;
  /** null when nothing was reported. */
  precision: number | null;
  medianLeadHours: number | null;
  /** Reported names matching no wave, most often reported first. */
  falsePositives: ReportedName[];
  /** Evergreen and solo-hit decoys reported as emerging or peaking: the product must never do that. */
  decoysReported: ReportedName[];
}

export const REPORTED_STATUSES: readonly string[] = ['emerging', 'peaking'];
const HOUR_MS = 3_600_000;

/** The one spelling names are compared in. */
export function normalizeName(name: string): string {
  return name.trim().replace(/^#/, '').toLowerCase();
}

export function eventNames(event: Pick<GroundTruthEvent, 'names'>): string[] {
  const { hashtag, sound, keyword } = event.names;
  return [...new Set([hashtag, sound, keyword].filter((n): n is string => Boolean(n)).map(normalizeName))];
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Reported (kind, name) pairs inside the interval, with when and how often. */
export function reportedNames(points: ReportedPoint[], interval: Interval): Omit<ReportedName, 'decoy'>[] {
  const byKey = new Map<string, Omit<ReportedName, 'decoy'>>();
  for (const p of points) {
    if (!REPORTED_STATUSES.includes(p.status) || p.at < interval.from || p.at > interval.to) continue;
    const key = `${p.kind}:${p.name}`;
    const known = byKey.get(key);
    if (!known) {
      byKey.set(key, { kind: p.kind, name: p.name, firstReportedAt: p.at, runs: 1, statuses: [p.status] });
      continue;
    }
    known.firstReportedAt = Math.min(known.firstReportedAt, p.at);
    known.runs++;
    if (!known.statuses.includes(p.status)) known.statuses.push(p.status);
  }
  return [...byKey.values()];
}

export function scoreRun(truth: GroundTruthEvent[], points: ReportedPoint[], interval: Interval): QualityReport {
  const reported = reportedNames(points, interval);
  const waveNames = new Set(truth.filter((e) => e.kind === 'wave').flatMap(eventNames));
  const decoyOf = new Map<string, Exclude<GroundTruthKind, 'wave'>>();
  for (const e of truth) if (e.kind !== 'wave') for (const n of eventNames(e)) decoyOf.set(n, e.kind);

  const firstReport = new Map<string, number>();
  for (const r of reported) {
    const n = normalizeName(r.name);
    firstReport.set(n, Math.min(firstReport.get(n) ?? Infinity, r.firstReportedAt));
  }

  const waves: WaveOutcome[] = truth
    .filter((e) => e.kind === 'wave' && e.peakAt >= interval.from && e.peakAt <= interval.to)
    .sort((a, b) => a.peakAt - b.peakAt)
    .map((wave) => {
      const names = eventNames(wave);
      const first = Math.min(...names.map((n) => firstReport.get(n) ?? Infinity));
      const firstReportedAt = Number.isFinite(first) ? first : null;
      return {
        id: wave.id,
        names,
        peakAt: wave.peakAt,
        firstReportedAt,
        leadHours: firstReportedAt === null ? null : (wave.peakAt - firstReportedAt) / HOUR_MS,
      };
    });
  const detectedWaves = waves.filter((w) => w.leadHours !== null);

  const withDecoy = reported.map((r) => {
    const n = normalizeName(r.name);
    return { ...r, decoy: waveNames.has(n) ? null : (decoyOf.get(n) ?? null), isTrue: waveNames.has(n) };
  });
  const strip = ({ isTrue: _isTrue, ...r }: ReportedName & { isTrue: boolean }): ReportedName => r;
  const falsePositives = withDecoy
    .filter((r) => !r.isTrue)
    .sort((a, b) => b.runs - a.runs || a.firstReportedAt - b.firstReportedAt || a.name.localeCompare(b.name))
    .map(strip);
  const truePositives = withDecoy.length - falsePositives.length;

  return {
    interval,
    waves,
    waveCount: waves.length,
    detected: detectedWaves.length,
    recall: waves.length ? detectedWaves.length / waves.length : null,
    reportedNames: reported.length,
    truePositives,
    precision: reported.length ? truePositives / reported.length : null,
    medianLeadHours: median(detectedWaves.map((w) => w.leadHours!)),
    falsePositives,
    decoysReported: falsePositives.filter((r) => r.decoy === 'evergreen' || r.decoy === 'solo'),
  };
}

export interface QualityTargets {
  recall: number;
  precision: number;
  medianLeadHours: number;
}

/** Issue 12's targets. */
export const TARGETS: QualityTargets = { recall: 0.9, precision: 0.8, medianLeadHours: 12 };

/** Whether one run meets every target (decoys included). */
export function meetsTargets(report: QualityReport, targets: QualityTargets = TARGETS): boolean {
  return (
    report.recall !== null &&
    report.recall >= targets.recall &&
    report.precision !== null &&
    report.precision >= targets.precision &&
    report.medianLeadHours !== null &&
    report.medianLeadHours >= targets.medianLeadHours &&
    report.decoysReported.length === 0
  );
}

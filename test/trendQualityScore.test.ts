/**
 * Scoring and reporting of the trend quality benchmark (bench/trendQuality): pure functions over a
 * hand-made ground truth and hand-made analysis points. Times count from a fixed instant.
 */
import assert from 'node:assert/strict';
import { markedSection, sectionEnd, sectionStart, withMarkedSection } from '../bench/docsSection';
import { TREND_QUALITY_SECTION, docsSection, falsePositiveLines } from '../bench/trendQuality/report';
import { meetsTargets, median, scoreRun, type GroundTruthEvent, type ReportedPoint } from '../bench/trendQuality/score';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 2, 2);
const at = (hours: number) => T0 + hours * HOUR;
const week = { from: at(0), to: at(7 * 24) };

function event(id: string, kind: GroundTruthEvent['kind'], names: GroundTruthEvent['names'], peakHours: number): GroundTruthEvent {
  return { id, kind, names, startAt: at(peakHours - 24), peakAt: at(peakHours), endAt: at(peakHours + 24) };
}

const truth: GroundTruthEvent[] = [
  event('w1', 'wave', { hashtag: 'glowup', sound: '7001', keyword: 'glow' }, 48),
  event('w2', 'wave', { hashtag: 'pancakeflip' }, 100),
  event('w3', 'wave', { hashtag: 'nightrun' }, 150),
  // Peaks after the evaluated week: not counted in recall, but reporting it is right.
  event('w4', 'wave', { hashtag: 'latebloom' }, 200),
  event('e1', 'evergreen', { hashtag: 'music' }, 80),
  event('s1', 'solo', { hashtag: 'mybigday' }, 60),
  event('f1', 'fizzle', { hashtag: 'almostthere' }, 90),
];

const point = (kind: string, name: string, hours: number, status = 'emerging'): ReportedPoint => ({ kind, name, at: at(hours), status });

describe('trend quality scoring', () => {
  it('when every wave is reported before its peak and nothing else, then recall and precision are 1 and the lead is the median', () => {
    const report = scoreRun(
      truth,
      [point('hashtag', 'glowup', 30), point('hashtag', 'pancakeflip', 80), point('hashtag', 'nightrun', 140)],
      week,
    );
    assert.equal(report.waveCount, 3);
    assert.equal(report.recall, 1);
    assert.equal(report.precision, 1);
    assert.equal(report.medianLeadHours, 18); // leads 18, 20 and 10 h
    assert.deepEqual(report.falsePositives, []);
    assert.equal(meetsTargets(report), true);
  });

  it("when a wave is reported only by its sound or keyword (any kind, any case, with '#'), then it counts as detected from the first of them", () => {
    const report = scoreRun(
      truth,
      [point('sound', '7001', 40), point('keyword', 'GLOW', 36), point('hashtag', '#GlowUp', 44, 'peaking')],
      week,
    );
    const glow = report.waves.find((w) => w.id === 'w1')!;
    assert.equal(glow.firstReportedAt, at(36));
    assert.equal(glow.leadHours, 12);
    assert.equal(report.detected, 1);
    assert.equal(report.truePositives, 3);
  });

  it('when decoys and unknown names are reported, then they lower precision, evergreen and solo are listed as decoys, and a fizzle is only a false positive', () => {
    const report = scoreRun(
      truth,
      [
        point('hashtag', 'glowup', 30),
        point('hashtag', 'music', 10),
        point('hashtag', 'music', 16, 'peaking'),
        point('hashtag', 'mybigday', 50),
        point('hashtag', 'almostthere', 70),
        point('format', 'short', 12),
      ],
      week,
    );
    assert.equal(report.reportedNames, 5);
    assert.equal(report.precision, 1 / 5);
    assert.deepEqual(
      report.falsePositives.map((r) => [r.name, r.decoy, r.runs]),
      [
        ['music', 'evergreen', 2],
        ['short', null, 1],
        ['mybigday', 'solo', 1],
        ['almostthere', 'fizzle', 1],
      ],
    );
    assert.deepEqual(
      report.decoysReported.map((r) => r.name),
      ['music', 'mybigday'],
    );
    assert.equal(meetsTargets(report), false);
    assert.match(falsePositiveLines(report)[0]!, /^hashtag:music \(2 runs, emerging\/peaking, evergreen decoy\)$/);
  });

  it('when a wave is reported after its peak, then its lead is negative; when never, it is missed and lowers recall', () => {
    const report = scoreRun(truth, [point('hashtag', 'glowup', 54)], week);
    assert.equal(report.waves.find((w) => w.id === 'w1')!.leadHours, -6);
    assert.equal(report.waves.find((w) => w.id === 'w2')!.leadHours, null);
    assert.equal(report.recall, 1 / 3);
    assert.equal(report.medianLeadHours, -6);
  });

  it('when points fall outside the evaluated interval or are fading or ended, then they are not reported names', () => {
    const report = scoreRun(
      truth,
      [point('hashtag', 'music', -5), point('hashtag', 'music', 20, 'fading'), point('hashtag', 'x', 20, 'ended')],
      week,
    );
    assert.equal(report.reportedNames, 0);
    assert.equal(report.precision, null);
    assert.equal(report.recall, 0);
  });

  it('when a wave peaking after the interval is reported, then it is a true positive but not part of recall', () => {
    const report = scoreRun(truth, [point('hashtag', 'latebloom', 160)], week);
    assert.equal(report.precision, 1);
    assert.equal(report.waveCount, 3);
    assert.equal(report.detected, 0);
  });

  it('when the median has an even count, then it is the mean of the middle two; with none it is null', () => {
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), null);
  });
});

describe('trend quality docs section', () => {
  const SECTION_START = sectionStart(TREND_QUALITY_SECTION);
  const SECTION_END = sectionEnd(TREND_QUALITY_SECTION);
  const withSection = (file: string | null, marked: string) => withMarkedSection(file, TREND_QUALITY_SECTION, marked);
  const body = docsSection(
    [{ seed: 1, report: scoreRun(truth, [point('hashtag', 'glowup', 30)], week), wallMs: 5000, snapshots: 10, videos: 3 }],
    {
      command: 'npm run bench:trend-quality',
      machine: '2 cores',
      method: 'the method',
    },
  );
  const section = markedSection(TREND_QUALITY_SECTION, body);

  it('when the file does not exist, then it is created with the section', () => {
    const file = withSection(null, section);
    assert.match(file, /^# Benchmarks\n/);
    assert.ok(file.includes(section));
    assert.match(section, /\| 1 \| 0\.33 \| 1\.00 \| \+18\.0 h \| 1\/3 \| 0 \| none \| no \| 10 \| 5 s \|/);
  });

  it('when the file has other sections and an older version of this one, then only this one is replaced', () => {
    const file = `# Benchmarks\n\n## Monitors\nfigures\n\n${SECTION_START}\nold\n${SECTION_END}\n\n## API\nmore\n`;
    const updated = withSection(file, section);
    assert.ok(!updated.includes('\nold\n'));
    assert.ok(updated.startsWith('# Benchmarks\n\n## Monitors\nfigures\n\n'));
    assert.ok(updated.endsWith(`${SECTION_END}\n\n## API\nmore\n`));
    assert.equal(withSection(updated, section), updated);
  });

  it('when the file has no section of this benchmark, then it is appended', () => {
    assert.equal(withSection('# Benchmarks\n\n## Monitors\n', section), `# Benchmarks\n\n## Monitors\n\n${section}\n`);
  });
});

/**
 * The simulator's ground truth for a run: the one place the benchmark reads it, so a change of
 * the simulator's interface is a change here only.
 *
 * INTERIM: until the simulator with seeded waves and decoys lands (simulatorGroundTruth), the
 * waves are derived from the current world's periodic seeded trends: each cycle of a trend is a
 * wave that starts at phase 0, peaks at phase 0.5 (the end of its rising half, found by sampling
 * world.emergingTrendsAt) and ends at phase 1. That world has no decoys.
 */
import { World } from '../../platforms/simulator';
import type { GroundTruthEvent } from './score';

const SAMPLE_MS = 60_000;

/** Where the ground truth comes from, for the benchmark's documentation. */
export const GROUND_TRUTH_SOURCE =
  "Interim ground truth: the current simulator's three periodic seeded trends per seed (a wave per cycle, peaking at the end of its rising half), no decoys.";

export function groundTruth({ seed, creators }: { seed: number; creators: number }, from: number, to: number): GroundTruthEvent[] {
  const world = new World({ platform: 'tiktok', seed, creators, timeScale: 1 });
  const events: GroundTruthEvent[] = [];
  for (const trend of world.trends) {
    const periodMs = trend.periodHours * 3_600_000;
    const rising = (t: number) => world.emergingTrendsAt(t).includes(trend);
    // The last instant of each rising stretch is a peak (phase 0.5).
    for (let t = from - periodMs; t <= to + periodMs; t += SAMPLE_MS) {
      if (!rising(t) || rising(t + SAMPLE_MS)) continue;
      const peakAt = t + SAMPLE_MS;
      const startAt = peakAt - periodMs / 2;
      const endAt = peakAt + periodMs / 2;
      if (endAt < from || startAt > to) continue;
      events.push({
        id: `${trend.hashtag}@${new Date(peakAt).toISOString()}`,
        kind: 'wave',
        names: { hashtag: trend.hashtag, sound: trend.soundId },
        startAt,
        peakAt,
        endAt,
        creators: trend.creators,
      });
    }
  }
  return events.sort((a, b) => a.peakAt - b.peakAt);
}

/**
 * The simulator's ground truth for a run: the one place the benchmark reads it, so a change of
 * the simulator's interface is a change here only.
 */
import { simulatorGroundTruth } from '../../platforms/simulator';
import type { GroundTruthEvent } from './score';

/** Where the ground truth comes from, for the benchmark's documentation. */
export const GROUND_TRUTH_SOURCE =
  "Ground truth: the simulator's seeded events of each seed (simulatorGroundTruth): the waves, and as decoys a fizzle and a solo hit per season and the evergreen tags.";

/** Every event active in [from, to] (data time): waves, fizzles, solo hits and evergreen tags. */
export function groundTruth({ seed, creators }: { seed: number; creators: number }, from: number, to: number): GroundTruthEvent[] {
  return simulatorGroundTruth({ seed, creators }, from, to);
}

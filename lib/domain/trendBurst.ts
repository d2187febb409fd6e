/**
 * The burst test: is a name (hashtag, sound, keyword, topic, format) used by markedly more
 * creators in the recent window than its own history leads one to expect?
 *
 * Adoption is counted in distinct creators per window, never in views: a solo viral hit is one
 * creator however many views it gets, and a video's velocity decays with its age, so the summed
 * velocity of older windows is not comparable with the recent one (velocity ranks trends, it
 * does not decide them).
 *
 * The product samples the platforms (discovery takes a few hundred videos per run, more when it
 * follows signals, none before it started), so a name's count in a window means little alone.
 * Each window is therefore read as a share of all the creators the product knows in it, on the
 * platforms the name is seen on (its volume):
 *
 *   baseline  = V₀ · (Σ cₖ + 1) / (Σ Vₖ + 1)        over the K trailing windows
 *
 * where cₖ is the name's creators and Vₖ the volume of trailing window k, V₀ the recent volume.
 * A window with no known video at all (Vₖ = 0, e.g. before the product started) adds nothing: it
 * is unknown, not zero. The +1 (add-one smoothing) makes thin history cautious: with no history
 * the baseline is V₀ itself, so nothing can look like a burst until the product has seen enough
 * windows; with a rich history an unseen name's baseline is close to 0.
 *
 *   burstScore = (x − baseline) / √(baseline + variance + 1)
 *
 * is a Poisson-style z-score: a count's noise grows like √baseline, a name whose usage swings
 * from window to window (variance of its volume-scaled counts) needs a bigger jump, and the +1
 * is the floor of noise for names never seen before (3 new creators score 3, 2 score 2). A
 * z-score over a short trailing history was chosen over Kleinberg's automaton because it needs
 * no state across runs (each run is a pure function of the data, so retries and backfills agree)
 * and each figure is explainable in the API.
 *
 * The z-score flatters small counts: a name a creator or two use on an ordinary day (baseline
 * 1.5) reaches 5 now and then by chance, and with hundreds of names tested every run, "now and
 * then" is every day. So a trend must also be surprising as a count: the chance of seeing at
 * least x creators if the name kept its usual rate (a Poisson tail at mean baseline)
 * must be at most `burstChance` — 3 new creators against a near-zero baseline pass, 5 against
 * 1.5 do not.
 *
 * qualifies  = x ≥ minCreators  and  burstScore ≥ threshold  and  x ≥ ratio · baseline
 *              and  P(X ≥ x | usual rate) ≤ burstChance
 * sustains   = x ≥ minCreators  and  it clears half of the two bars above
 * candidate  = x ≥ signalMinCreators  and  it clears half of the two bars  and
 *              P(X ≥ x | usual rate) ≤ √burstChance (half the bar in log-probability)
 *
 * The candidate's tail keeps targeted discovery off names everybody uses: following one brings a
 * full page of its newest videos (bench:trend-quality saw most of the quota go to follows of
 * niche words, whose full pages then hid a wave's early videos from the evidence).
 *
 * The share is the fair reading of a sampled name, but not of a name a targeted query brought in
 * full: its counts are complete in every window while the recent window's volume is still filling
 * (discovery finds a video as it gains views), so its share flatters the recent window. Counts are
 * the fair reading there, and for a sampled name they are cautious (older windows hold more of
 * what was published). So the history is read both ways, shares and plain counts (every known
 * window a volume of 1), and every bar must be cleared by both; the weaker reading's baseline and
 * score are the ones reported.
 *
 * A new trend must qualify; a live one stays a trend while it sustains (hysteresis): its own
 * rise enters its trailing windows and swells baseline and variance, so a wave that plateaus
 * would otherwise stop "bursting" the moment it peaks.
 *
 * An evergreen name (#fyp: many creators every window) has a baseline near its count, so it never
 * qualifies; the ratio keeps a big evergreen name's ordinary noise (which can exceed the z bar)
 * out. No stop-list is written by hand: the baseline decides.
 */

export interface BurstSettings {
  /** Distinct creators a trend needs in the recent window. */
  minCreators: number;
  /** Burst score a trend needs. */
  burstThreshold: number;
  /** The recent window must hold at least this many times the baseline. */
  burstRatio: number;
  /** Distinct creators a rising signal (worth a targeted query) needs. */
  signalMinCreators: number;
  /** Largest chance that the recent count is the name's usual rate by luck, for a trend. */
  burstChance: number;
}

/** The configuration defaults (lib/config.ts; a test keeps the two equal), for callers without settings. */
export const DEFAULT_BURST_SETTINGS: BurstSettings & { baselineWindows: number } = {
  minCreators: 3,
  burstThreshold: 2,
  burstRatio: 2,
  signalMinCreators: 2,
  burstChance: 0.002,
  baselineWindows: 6,
};

export interface BurstInput {
  /** Distinct creators using the name in the recent window. */
  creators: number;
  /** Distinct creators using it in each trailing window, the nearest first. */
  history: readonly number[];
  /** Distinct creators the product knows (any name) in the recent window, on the name's platforms. */
  volume: number;
  /** The same for each trailing window, the nearest first; 0 means unknown. */
  historyVolume: readonly number[];
}

export interface Burst {
  /** Distinct creators the history leads one to expect in the recent window. */
  baseline: number;
  burstScore: number;
  /** Trailing windows the product has data for. */
  knownWindows: number;
  /** The nearest trailing window's count scaled to the recent volume (null: unknown). */
  previousWindow: number | null;
  /** Bursts enough to become a trend. */
  qualifies: boolean;
  /** Enough for a live trend to stay one. */
  sustains: boolean;
  /** Rising enough to follow with targeted discovery (every qualifying name is one). */
  candidate: boolean;
}

/** The expected count and the burst score of `x` against a history read with the given volumes. */
function expectation(x: number, history: readonly number[], volume: number, historyVolume: readonly number[]) {
  let counted = 0;
  let known = 0;
  history.forEach((c, k) => {
    const v = historyVolume[k] ?? 0;
    if (v <= 0) return;
    counted += c;
    known += v;
  });
  const baseline = (volume * (counted + 1)) / (known + 1);
  // Spread of the volume-scaled counts around the baseline, each window weighted by its volume
  // (a window the product barely sampled says little).
  let spread = 0;
  history.forEach((c, k) => {
    const v = historyVolume[k] ?? 0;
    if (v > 0) spread += v * ((c * volume) / v - baseline) ** 2;
  });
  const variance = known > 0 ? spread / known : 0;
  return { baseline, burstScore: (x - baseline) / Math.sqrt(baseline + variance + 1) };
}

export function burstOf(input: BurstInput, settings: BurstSettings): Burst {
  const { creators: x, history, volume, historyVolume } = input;
  const knownWindows = history.filter((_, k) => (historyVolume[k] ?? 0) > 0).length;
  // Two readings of the history; the weaker decides. As shares of the volume (corrects for how much
  // the product sampled each window) and as plain counts of the known windows (a name a follow
  // brought in full is complete in every window, while the volume of the recent one is still
  // filling: as a share alone, an everyday word looks like a burst right after its follow).
  const shares = expectation(x, history, volume, historyVolume);
  const counts = expectation(
    x,
    history,
    1,
    historyVolume.map((v) => (v > 0 ? 1 : 0)),
  );
  const { baseline, burstScore } = counts.burstScore < shares.burstScore ? counts : shares;
  const nearest = historyVolume[0] ?? 0;
  const clears = (threshold: number, ratio: number) => [shares, counts].every((e) => e.burstScore >= threshold && x >= ratio * e.baseline);
  const clearsHalf = clears(settings.burstThreshold / 2, (1 + settings.burstRatio) / 2);
  const tail = Math.max(poissonTail(x, shares.baseline), poissonTail(x, counts.baseline));
  const qualifies = x >= settings.minCreators && clears(settings.burstThreshold, settings.burstRatio) && tail <= settings.burstChance;
  return {
    baseline,
    burstScore,
    knownWindows,
    previousWindow: nearest > 0 ? ((history[0] ?? 0) * volume) / nearest : null,
    qualifies,
    sustains: x >= settings.minCreators && clearsHalf,
    candidate:
      qualifies ||
      (x >= Math.min(settings.signalMinCreators, settings.minCreators) && clearsHalf && tail <= Math.sqrt(settings.burstChance)),
  };
}

/**
 * P(X ≥ x) for X ~ Poisson(mean): exact by summing terms for small means, the normal
 * approximation (with continuity correction) where e^−mean would underflow.
 */
export function poissonTail(x: number, mean: number): number {
  if (x <= 0) return 1;
  if (mean <= 0) return 0;
  if (mean > 200) return normalTail((x - 0.5 - mean) / Math.sqrt(mean));
  let term = Math.exp(-mean);
  let below = 0;
  for (let k = 0; k < x; k++) {
    below += term;
    term *= mean / (k + 1);
  }
  return Math.max(0, 1 - below);
}

/** P(Z ≥ z) for a standard normal Z (Abramowitz & Stegun 7.1.26, error < 1.5e-7). */
function normalTail(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erfc = poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** A name's windows as counted per platform: [window (0 = recent), platform, distinct creators]. */
export type PlatformWindowCount = readonly [window: number, platform: string, creators: number];

/**
 * The burst input of one name: its creators per window summed over platforms, and the volume of
 * each window on the platforms the name is seen on (in any window), from `volumes`: the distinct
 * creators known per platform per window.
 */
export function burstInput(
  counts: readonly PlatformWindowCount[],
  volumes: ReadonlyMap<string, readonly number[]>,
  windows: number,
): BurstInput {
  const byWindow = new Array<number>(windows + 1).fill(0);
  const platforms = new Set<string>();
  for (const [w, platform, creators] of counts) {
    if (w < 0 || w > windows) continue;
    byWindow[w]! += creators;
    platforms.add(platform);
  }
  const volumeOf = (w: number) => [...platforms].reduce((sum, p) => sum + (volumes.get(p)?.[w] ?? 0), 0);
  const windowVolumes = byWindow.map((_, w) => volumeOf(w));
  return { creators: byWindow[0]!, history: byWindow.slice(1), volume: windowVolumes[0]!, historyVolume: windowVolumes.slice(1) };
}

/** A name the burst test looked at: its key (`kind:name`), its input and its burst. */
export interface TestedName {
  key: string;
  input: BurstInput;
  burst: Burst;
}

/**
 * Explaining away: a name whose rise only comes with a stronger trend's videos is that trend's
 * companion, not a trend of its own. When a wave's videos arrive (a targeted query brings them
 * all), every name they carry rises with them: the creators' niche words and tags, their topic,
 * the wave's sound. Strongest burst first, each rising name is tested again with the creators of
 * the recent window who carry no stronger accepted name; what no longer clears the bar is
 * explained by a stronger one. `recent` is the recent window's videos: creator and name keys.
 */
export function explainAway(
  names: readonly TestedName[],
  recent: readonly { creator: string; keys: ReadonlySet<string> }[],
  settings: BurstSettings,
): Map<string, Burst> {
  const rising = names.filter((n) => n.burst.candidate || n.burst.sustains).sort((a, b) => b.burst.burstScore - a.burst.burstScore);
  // The recent videos carrying each rising name, and whether a video carries an accepted one yet:
  // each name looks at its own videos only (a full run tests thousands of names).
  const carriers = new Map<string, number[]>(rising.map((n) => [n.key, []]));
  recent.forEach((video, i) => {
    for (const key of video.keys) carriers.get(key)?.push(i);
  });
  const explained = new Uint8Array(recent.length);
  const out = new Map<string, Burst>();
  for (const name of rising) {
    const own = new Set<string>();
    const videos = carriers.get(name.key)!;
    for (const i of videos) if (!explained[i]) own.add(recent[i]!.creator);
    const burst = own.size >= name.input.creators ? name.burst : burstOf({ ...name.input, creators: own.size }, settings);
    out.set(name.key, burst);
    if (burst.qualifies || burst.sustains) for (const i of videos) explained[i] = 1;
  }
  return out;
}

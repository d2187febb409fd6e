/**
 * The product's one reading of "now" for data time: publish ages, snapshot times, trend windows,
 * platform date ranges, quota days. Production runs on the real clock. A simulation
 * (TIME_SCALE > 1) runs a simulated clock at that scale, so a compressed week really is a week
 * of dates everywhere: simulated = simStart + (real − realStart) × timeScale.
 *
 * Timers stay real: workflows divide their intervals by TIME_SCALE and pass real instants
 * (their deterministic Date.now()) to activities, which turn them into data time with `at`.
 * Security time (JWT lifetimes, login rate windows) is real time and never goes through here.
 */
export interface ClockAnchor {
  timeScale: number;
  /** Simulated instant (ms) at `realStart`. */
  simStart: number;
  /** Real instant (ms) the simulation started. */
  realStart: number;
}

export interface Clock {
  /** Data time now, in ms since the epoch. */
  now(): number;
  /** Data time now, as a Date. */
  date(): Date;
  /** Data time of a real instant (a workflow's Date.now(), a timer's due time). */
  at(realMs: number): number;
  /** The real instant at which data time reaches `dataMs` (what a workflow timer waits for). */
  realAt(dataMs: number): number;
  /** Data ms that pass while a real timer of `realMs` runs (a workflow interval in data time). */
  dataDuration(realMs: number): number;
  readonly timeScale: number;
  /** The anchor of a simulated clock; null on the real clock. */
  readonly anchor: ClockAnchor | null;
}

/** Real time: production. */
export function realClock(): Clock {
  return {
    now: () => Date.now(),
    date: () => new Date(),
    at: (realMs) => realMs,
    realAt: (dataMs) => dataMs,
    dataDuration: (realMs) => realMs,
    timeScale: 1,
    anchor: null,
  };
}

/** Simulated time running `timeScale` times faster than real time from the anchor on. */
export function simulatedClock(anchor: ClockAnchor, realNow: () => number = Date.now): Clock {
  const at = (realMs: number) => Math.round(anchor.simStart + (realMs - anchor.realStart) * anchor.timeScale);
  return {
    now: () => at(realNow()),
    date: () => new Date(at(realNow())),
    at,
    realAt: (dataMs) => Math.round(anchor.realStart + (dataMs - anchor.simStart) / anchor.timeScale),
    dataDuration: (realMs) => realMs * anchor.timeScale,
    timeScale: anchor.timeScale,
    anchor,
  };
}

/**
 * A clock that only moves when told (benchmarks that live a week in seconds, unit tests).
 * `at` maps nothing: callers of a manual clock pass data time directly.
 */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function manualClock(start: number): ManualClock {
  let current = start;
  return {
    now: () => current,
    date: () => new Date(current),
    at: () => current,
    realAt: (dataMs) => dataMs,
    dataDuration: (realMs) => realMs,
    timeScale: 1,
    anchor: null,
    set: (ms) => {
      current = ms;
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

/**
 * The clock a configuration asks for, anchored now: the real clock at TIME_SCALE 1, else a
 * simulated one starting at CLOCK_START (or now). Processes that must agree on one simulated
 * "now" share an anchor instead (db/queries/simulationClock.ts).
 */
export function clockFromConfig(config: { TIME_SCALE: number; CLOCK_START?: Date | undefined }, realNow = Date.now()): Clock {
  if (config.TIME_SCALE === 1 && !config.CLOCK_START) return realClock();
  return simulatedClock({ timeScale: config.TIME_SCALE, simStart: config.CLOCK_START?.getTime() ?? realNow, realStart: realNow });
}

/**
 * The simulated clock's anchor, shared through PostgreSQL so the API and the worker (and their
 * restarts) read one simulated "now" (lib/clock.ts). The first process of a simulation writes
 * the anchor; later ones read it. Data time must never run backwards (snapshots and windows are
 * stored in it), so a changed TIME_SCALE re-anchors at the current simulated instant, and a
 * CLOCK_START only applies to a simulation that has no anchor yet.
 */
import type { Knex } from 'knex';
import { realClock, simulatedClock, type Clock, type ClockAnchor } from '../../lib/clock';
import type { Logger } from '../../lib/logger';

interface AnchorRow {
  timeScale: number;
  simStart: Date;
  realStart: Date;
}

const toAnchor = (row: AnchorRow): ClockAnchor => ({
  timeScale: Number(row.timeScale),
  simStart: row.simStart.getTime(),
  realStart: row.realStart.getTime(),
});

/** The clock of this process: real at TIME_SCALE 1 (with no CLOCK_START), else the shared simulated one. */
export async function sharedClock(
  db: Knex,
  config: { TIME_SCALE: number; CLOCK_START?: Date | undefined },
  logger?: Pick<Logger, 'info' | 'warn'>,
): Promise<Clock> {
  if (config.TIME_SCALE === 1 && !config.CLOCK_START) return realClock();
  const anchor = await db.transaction(async (trx) => {
    // One writer at a time: two processes starting together agree on the first one's anchor.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['simulation_clock']);
    const row = (await trx('simulation_clock').where({ id: 1 }).first()) as AnchorRow | undefined;
    const realNow = Date.now();
    if (!row) {
      const fresh = { timeScale: config.TIME_SCALE, simStart: config.CLOCK_START?.getTime() ?? realNow, realStart: realNow };
      await trx('simulation_clock').insert({
        id: 1,
        timeScale: fresh.timeScale,
        simStart: new Date(fresh.simStart),
        realStart: new Date(fresh.realStart),
        clockStart: config.CLOCK_START?.toISOString() ?? null,
      });
      logger?.info({ simulatedNow: new Date(fresh.simStart).toISOString(), timeScale: fresh.timeScale }, 'simulated clock started');
      return fresh;
    }
    const stored = toAnchor(row);
    if (stored.timeScale === config.TIME_SCALE) return stored;
    // A new speed from the current simulated instant on: time goes on, never back.
    const continued = { timeScale: config.TIME_SCALE, simStart: simulatedClock(stored).at(realNow), realStart: realNow };
    await trx('simulation_clock')
      .where({ id: 1 })
      .update({ timeScale: continued.timeScale, simStart: new Date(continued.simStart), realStart: new Date(continued.realStart) });
    logger?.warn(
      { from: stored.timeScale, to: continued.timeScale, simulatedNow: new Date(continued.simStart).toISOString() },
      'TIME_SCALE changed: the simulated clock goes on at the new speed (restart every process of this simulation)',
    );
    return continued;
  });
  return simulatedClock(anchor);
}

/**
 * A tiny run of the monitor benchmark on the dev server (test/tinyMonitorBench.ts), so it never
 * rots; scripts/temporalServer.test.ts runs the same on the production engine.
 */
import { runTinyMonitorBench } from './tinyMonitorBench';

describe('monitor benchmark (tiny run, real dev server, PostgreSQL and Redis)', function () {
  this.timeout(120_000);

  it('when it runs, then every monitor is open at steady state and its wake-ups are measured, batched and written', async () => {
    await runTinyMonitorBench();
  });
});

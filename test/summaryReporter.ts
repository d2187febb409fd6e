/**
 * Mocha's spec reporter plus the closing line CI reads: "N passed, N failed[, N skipped]",
 * taken from mocha's own run statistics.
 */
import Mocha from 'mocha';

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0 } = runner.stats ?? {};
      // After the spec reporter's epilogue, so it is the last line of the run.
      process.nextTick(() => console.log(`\n${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`));
    });
  }
}

export = SummaryReporter;

/** Mocha root hooks: SDK logs into the (quiet) test logger; shared connections closed at the end. */
import { installSdkLogger } from '../temporal/worker';
import { closeTestResources, testLogger } from './harness';

installSdkLogger(testLogger);

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await closeTestResources();
  },
};

/**
 * Replays recorded histories of real runs (test/fixtures/histories) against today's workflow
 * code: a nondeterministic change fails here before it can break workflows running in production.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { WORKFLOW_TYPES } from '../temporal/contract';
import { testWorkflowBundle } from '../test/harness';
import { HISTORIES_DIR } from '../test/histories';

describe('workflow replay of recorded histories', function () {
  this.timeout(60_000);
  const files = readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('when the fixtures are listed, then every workflow type has a recorded history', () => {
    const types = new Set(
      files.map(
        (f) =>
          JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8')).events[0].workflowExecutionStartedEventAttributes.workflowType.name,
      ),
    );
    for (const type of Object.values(WORKFLOW_TYPES)) assert.ok(types.has(type), `no recorded history of ${type}`);
  });

  for (const file of files) {
    it(`when ${file} is replayed with today's code, then it raises no nondeterminism`, async () => {
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
      await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, history, file.replace(/\.json$/, ''));
    });
  }
});

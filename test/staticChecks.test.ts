/**
 * The type-check and the lint run as part of the suite, so their result counts in the closing
 * "N passed, N failed" line like any other test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/config';

function run(bin: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', bin), args, { cwd: PROJECT_ROOT });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe('static checks', function () {
  this.timeout(180_000);

  it('when the project is type-checked (tsc --noEmit, strict), then there are no errors', async () => {
    const { code, output } = await run('tsc', ['--noEmit', '-p', '.']);
    assert.equal(code, 0, output);
  });

  it('when the project is linted (eslint, incl. the workflow sandbox rule), then there are no problems', async () => {
    const { code, output } = await run('eslint', ['--max-warnings', '0', '.']);
    assert.equal(code, 0, output);
  });

  it('when the project is checked by the formatter (prettier --check; `npm run format` fixes it), then every file is formatted', async () => {
    const { code, output } = await run('prettier', ['--check', '.']);
    assert.equal(code, 0, output);
  });
});

describe('workflow sandbox lint rule', () => {
  it('when workflow code imports a Node built-in, the database or Redis, then lint flags each; type-only imports pass', async function () {
    this.timeout(60_000);
    const { ESLint } = await import('eslint');
    const eslint = new ESLint({ cwd: PROJECT_ROOT });
    const source = [
      "import fs from 'node:fs';",
      "import path from 'path';",
      "import { TrendVideo } from '../db/models';",
      "import Redis from 'ioredis';",
      "import type { Activities } from '../activities';",
      'export const used: unknown[] = [fs, path, TrendVideo, Redis];',
      'export type A = Activities;',
    ].join('\n');
    const [result] = await eslint.lintText(source, { filePath: path.join(PROJECT_ROOT, 'workflows', 'example.ts') });
    const flaggedLines = result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.line);
    assert.deepEqual(flaggedLines, [1, 2, 3, 4]);
  });
});

describe('structure lint rules', function () {
  this.timeout(60_000);

  async function flagged(filePath: string, lines: string[], rule: string): Promise<number[]> {
    const { ESLint } = await import('eslint');
    const [result] = await new ESLint({ cwd: PROJECT_ROOT }).lintText(lines.join('\n'), { filePath: path.join(PROJECT_ROOT, filePath) });
    return result!.messages.filter((m) => m.ruleId === rule).map((m) => m.line);
  }

  it('when two modules import each other (directly or through a folder index), then lint flags the cycle; a type-only import back is no cycle', async () => {
    const { ESLint } = await import('eslint');
    const dir = mkdtempSync(path.join(PROJECT_ROOT, 'temporal', 'cycle-check-'));
    try {
      writeFileSync(path.join(dir, 'a.ts'), "import { b } from './b';\nexport const a = () => b;\n");
      writeFileSync(path.join(dir, 'b.ts'), `import { a } from '../${path.basename(dir)}';\nexport const b = () => a;\n`);
      writeFileSync(path.join(dir, 'index.ts'), "export { a } from './a';\n");
      writeFileSync(path.join(dir, 'c.ts'), "import { d } from './d';\nexport const c = () => d;\n");
      writeFileSync(path.join(dir, 'd.ts'), "import type { c } from './c';\nexport const d = (f?: typeof c) => f;\n");
      const results = await new ESLint({ cwd: PROJECT_ROOT }).lintFiles([dir]);
      const cycles = results
        .filter((r) => r.messages.some((m) => m.ruleId === 'import-x/no-cycle'))
        .map((r) => path.basename(r.filePath))
        .sort();
      assert.deepEqual(cycles, ['a.ts', 'b.ts', 'index.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when api/, activities/ or temporal/ code imports from workflows/ (even a type), or lib/ from platforms/, then lint flags it', async () => {
    const fromWorkflows = [
      "import { bloggerSync } from '../workflows/bloggerSync';",
      "import type { Activities } from '../activities';",
      "import type { TrendMonitorState } from '../workflows';",
      'export const used: unknown[] = [bloggerSync];',
      'export type A = [Activities, TrendMonitorState];',
    ];
    for (const folder of ['api', 'activities', 'temporal']) {
      assert.deepEqual(await flagged(`${folder}/example.ts`, fromWorkflows, '@typescript-eslint/no-restricted-imports'), [1, 3], folder);
    }
    assert.deepEqual(
      await flagged(
        'api/admin/example.ts',
        ["import { syncState } from '../../workflows/bloggerSync';", 'export const q = syncState;'],
        '@typescript-eslint/no-restricted-imports',
      ),
      [1],
    );
    const fromPlatforms = [
      "import type { PlatformName } from '../platforms/types';",
      "import { getConfig } from './config';",
      'export type P = PlatformName;',
      'export const c = getConfig;',
    ];
    assert.deepEqual(await flagged('lib/example.ts', fromPlatforms, '@typescript-eslint/no-restricted-imports'), [1]);
  });

  it('when events/ imports a layer above lib/, or lib/ or workflow code imports events/, then lint flags it', async () => {
    const rule = '@typescript-eslint/no-restricted-imports';
    const fromEvents = [
      "import { buildApp } from '../api/app';",
      "import { createActivities } from '../activities';",
      "import { audienceStreamKey } from '../lib/domain/events';",
      'export const used: unknown[] = [buildApp, createActivities, audienceStreamKey];',
    ];
    assert.deepEqual(await flagged('events/example.ts', fromEvents, rule), [1, 2]);
    const publishing = ["import { publishEvent } from '../events/publish';", 'export const p = publishEvent;'];
    assert.deepEqual(await flagged('workflows/example.ts', publishing, rule), [1]);
    assert.deepEqual(await flagged('lib/example.ts', publishing, rule), [1]);
    assert.deepEqual(await flagged('activities/example.ts', publishing, rule), []);
  });

  it('when a workflow, signal or query is named by a string outside temporal/contract, then lint flags it; the contract names them', async () => {
    const source = [
      "import { WORKFLOW_TYPES, type Workflows } from '../temporal/contract';",
      'declare const client: any; declare const handle: any; declare const pg: any;',
      "client.workflow.start('bloggerSync', {});",
      "handle.signal('pause');",
      "handle.query('state');",
      // eslint-disable-next-line no-restricted-syntax -- input of the rule's own test
      'client.workflow.list({ query: \'WorkflowType = "trendDiscovery"\' });',
      "client.workflow.signalWithStart(WORKFLOW_TYPES.bloggerSync, { signal: 'syncNow' });",
      // eslint-disable-next-line no-restricted-syntax -- input of the rule's own test
      'export const x = `WorkflowType = "${WORKFLOW_TYPES.trendCleanup}"`;',
      "export const y = { type: 'trendVideoMonitor' };",
      // Fine: the contract's names, types indexed by name, SQL, other words.
      'client.workflow.start<Workflows["trendDiscovery"]>(WORKFLOW_TYPES.trendDiscovery, {});',
      "pg.query('select 1');",
      "export const z = { signal: 'sync' };",
    ];
    assert.deepEqual(await flagged('api/example.ts', source, 'no-restricted-syntax'), [3, 4, 5, 6, 7, 8, 9]);
    const defining = ["import { defineSignal } from '@temporalio/workflow';", "export const pause = defineSignal('pause');"];
    assert.deepEqual(await flagged('workflows/example.ts', defining, 'no-restricted-syntax'), [2]);
    assert.deepEqual(await flagged('temporal/contract/example.ts', defining, 'no-restricted-syntax'), []);
  });
});

/**
 * The type-check and the lint run as part of the suite, so their result counts in the closing
 * "N passed, N failed" line like any other test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedCliPath, MissingToolError, resolveTemporalCli } from './devServer';

describe('Temporal CLI resolution', () => {
  let dir: string;
  const savedPath = process.env.PATH;
  const log = () => undefined;

  function fakeBinary(file: string): string {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '#!/bin/sh\necho fake\n');
    chmodSync(file, 0o755);
    return file;
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ba-cli-'));
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it('when TEMPORAL_CLI names an executable, then it wins over PATH and the cache', async () => {
    const explicit = fakeBinary(path.join(dir, 'explicit', 'temporal'));
    fakeBinary(path.join(dir, 'bin', 'temporal'));
    process.env.PATH = path.join(dir, 'bin');
    assert.equal(await resolveTemporalCli({ explicitPath: explicit, cacheDir: dir, version: 'v1.5.1', log }), explicit);
  });

  it('when TEMPORAL_CLI names nothing executable, then the error says which path is wrong', async () => {
    await assert.rejects(
      resolveTemporalCli({ explicitPath: path.join(dir, 'missing'), cacheDir: dir, version: 'v1.5.1', log }),
      (err: Error) => err instanceof MissingToolError && err.message.includes(path.join(dir, 'missing')),
    );
  });

  it('when a temporal is on PATH, then it is used before the cache', async () => {
    const onPath = fakeBinary(path.join(dir, 'bin', 'temporal'));
    fakeBinary(cachedCliPath(dir, 'v1.5.1'));
    process.env.PATH = path.join(dir, 'bin');
    assert.equal(await resolveTemporalCli({ cacheDir: dir, version: 'v1.5.1', log }), onPath);
  });

  it('when only a cached build exists, then it is reused without building', async () => {
    process.env.PATH = path.join(dir, 'empty');
    const cached = fakeBinary(cachedCliPath(dir, 'v1.5.1'));
    assert.equal(await resolveTemporalCli({ cacheDir: dir, version: 'v1.5.1', log }), cached);
  });

  it('when there is neither a binary nor Go, then the error says how to get one', async () => {
    process.env.PATH = path.join(dir, 'empty');
    await assert.rejects(resolveTemporalCli({ cacheDir: dir, version: 'v1.5.1', log }), (err: Error) => {
      assert.ok(err instanceof MissingToolError);
      for (const hint of ['brew install temporal', 'TEMPORAL_CLI', 'go install', 'docker compose'])
        assert.ok(err.message.includes(hint), hint);
      return true;
    });
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import { connectTemporal, type Temporal } from '../temporal/client';
import { CUSTOM_SEARCH_ATTRIBUTES, PLATFORM, TREND_STATUS, WORKFLOW_TYPES, type Workflows } from '../temporal/contract';
import { eventually } from '../test/eventually';
import { resetDb, testConfig } from '../test/harness';
import { runTinyMonitorBench } from '../test/tinyMonitorBench';
import { createTestWorker } from '../test/worker';
import { isExecutable } from './devServer';
import { serverEngineSetup } from './services';
import { serverCacheDir, serverPortsFor, startLocalTemporalServer, type LocalServer, type ServerPorts } from './temporalServer';
import { portFree } from './ports';

/** A frontend port whose whole layout is free, away from the dev server's and prod:smoke's (side environments run at once). */
async function freeLayout(): Promise<ServerPorts> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const ports = serverPortsFor(21_000 + Math.floor(Math.random() * 8000));
    const all = [
      ports.frontend,
      ports.frontendHttp,
      ports.history,
      ports.matching,
      ports.worker,
      ...[0, 1, 2, 3].map((i) => ports.membershipBase + i),
    ];
    if ((await Promise.all(all.map(portFree))).every(Boolean)) return ports;
  }
  throw new Error('no free port layout for the Temporal server');
}

describe('the Temporal server engine (TEMPORAL_ENGINE=server: the real server on PostgreSQL)', function () {
  this.timeout(120_000);
  // The test's own databases beside the test database (ba_test_temporal, ..._visibility), dropped after.
  const setup = serverEngineSetup({ ...testConfig, DATABASE_URL: testConfig.TEST_DATABASE_URL });
  const namespace = testConfig.TEMPORAL_NAMESPACE;
  const log = () => undefined;
  let runDir: string;
  let ports: ServerPorts;
  let server: LocalServer | undefined;
  let temporal: Temporal | undefined;

  async function dropDatabases(): Promise<void> {
    const pg = new PgClient({ ...setup.postgres, database: 'postgres' });
    await pg.connect();
    try {
      for (const db of Object.values(setup.databases)) await pg.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    } finally {
      await pg.end();
    }
  }

  const start = () =>
    startLocalTemporalServer({
      ...setup,
      cacheDir: testConfig.CACHE_DIR,
      runDir,
      ports,
      namespaces: [namespace],
      log,
      readyTimeoutMs: 60_000,
    });

  before(async function () {
    const dir = serverCacheDir(testConfig.CACHE_DIR);
    // A build takes minutes; CI's prod:smoke builds it before the tests, `npm start -- --temporal=server` does too.
    if (!isExecutable(path.join(dir, 'temporal-server')) || !isExecutable(path.join(dir, 'temporal-sql-tool'))) {
      console.log(
        `      skipped: the Temporal server is not built in ${dir} (npm run prod:smoke or npm start -- --temporal=server builds it)`,
      );
      this.skip();
    }
    runDir = mkdtempSync(path.join(os.tmpdir(), 'ba-temporal-server-'));
    ports = await freeLayout();
    await dropDatabases(); // an interrupted run's leftovers
    await resetDb();
  });

  after(async () => {
    await temporal?.close();
    await server?.stop();
    if (runDir) {
      await dropDatabases();
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  it('when it starts on empty databases, then the namespace has the search attributes, and a workflow runs and is found by them', async () => {
    server = await start();
    temporal = await connectTemporal({ address: server.address, namespace });
    const { customAttributes } = await temporal.connection.operatorService.listSearchAttributes({ namespace });
    for (const key of CUSTOM_SEARCH_ATTRIBUTES) assert.ok(customAttributes?.[key.name] !== undefined, `${key.name} registered`);

    const connection = await NativeConnection.connect({ address: server.address });
    try {
      const { worker, taskQueue } = await createTestWorker({ connection, deps: { temporal: temporal.client } });
      const result = await worker.runUntil(
        temporal.client.workflow.execute<Workflows['trendCleanup']>(WORKFLOW_TYPES.trendCleanup, {
          taskQueue,
          workflowId: `test-server-engine-${taskQueue}`,
          args: [{}],
          typedSearchAttributes: [
            { key: PLATFORM, value: 'youtube' },
            { key: TREND_STATUS, value: 'monitoring' },
          ],
        }),
      );
      assert.equal(result.archived, 0, 'an empty database has nothing to archive');
    } finally {
      await connection.close();
    }
    // Visibility on PostgreSQL answers a query by the product's attributes.
    const found = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const w of temporal!.client.workflow.list({ query: 'Platform = "youtube" AND TrendStatus = "monitoring"' }))
          ids.push(w.workflowId);
        return ids;
      },
      (ids) => ids.length === 1,
    );
    assert.equal(found.length, 1);
  });

  it('when it is stopped and started again on the same databases, then the schemas are kept and the finished workflow is still there', async function () {
    if (!server) this.skip();
    await temporal!.close();
    temporal = undefined;
    assert.equal(await server.stop(), true, 'the first server was running');
    server = await start();
    temporal = await connectTemporal({ address: server.address, namespace });
    const listed = [];
    for await (const w of temporal.client.workflow.list({ query: 'Platform = "youtube"' })) listed.push(w);
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.status.name, 'COMPLETED');
  });
  it('when the monitor benchmark runs a tiny load on it, then every monitor is open and its wake-ups are batched and written', async function () {
    // Last: its monitors would show in the restart test's listing by Platform.
    if (!server) this.skip();
    await runTinyMonitorBench({ TEMPORAL_ADDRESS: server.address });
  });
});

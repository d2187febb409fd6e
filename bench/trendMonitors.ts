/**
 * Benchmark: N concurrent trendVideoMonitor workflows on the real dev server, one in-process
 * worker, the simulator platform behind the stats batcher. Reports how many video ids each
 * platform call carried and how many snapshots per second the worker wrote.
 *
 *   npm run bench:trends                    # 1,000 monitors, 3 snapshots each, 20 s cycle
 *   npm run bench:trends -- --monitors 500 --slots 4 --interval-ms 10000
 *
 * Uses the test database and test namespace (like `npm test`), and empties the trend tables.
 */
import { parseArgs } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { TrendVideo } from '../db/models';
import { createDb, migrateLatest } from '../db';
import { getConfig } from '../lib/config';
import { StatsBatcher } from '../platforms/batcher';
import type { SimulatorClient } from '../platforms/simulator';
import { ensureServices, exitWithReason } from '../scripts/services';
import { installSdkLogger } from '../temporal/worker';
import { trendMonitorWorkflowId, type TrendMonitorInput } from '../temporal/contract';
import { startTrendMonitor } from '../temporal/starters';
import { closeTestResources, testDb, testLogger, testTemporal } from '../test/harness';
import { createTestWorker } from '../test/worker';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      monitors: { type: 'string', default: '1000' },
      slots: { type: 'string', default: '3' },
      'interval-ms': { type: 'string', default: '20000' },
    },
  });
  const monitors = Number(values.monitors);
  const slots = Number(values.slots);
  const intervalMs = Number(values['interval-ms']);

  const config = getConfig();
  const services = await ensureServices(config, {
    databaseUrls: [config.TEST_DATABASE_URL],
    redisUrl: config.TEST_REDIS_URL,
    namespaces: [config.TEMPORAL_TEST_NAMESPACE],
  });
  const owner = createDb({ url: config.TEST_DATABASE_URL, poolMax: 2 });
  await migrateLatest(owner);
  await owner.raw('TRUNCATE trend_videos, trend_snapshots RESTART IDENTITY CASCADE');
  await owner.destroy();

  installSdkLogger(testLogger);
  // Enough simulated creators that the world has N fresh videos.
  const { worker, taskQueue, deps } = await createTestWorker({
    config: { SIMULATOR_CREATORS: String(Math.min(10_000, Math.max(1500, Math.ceil(monitors / 6)))) },
  });
  try {
    // The world's own list (discovery, like the real APIs, shows only a narrow slice of it).
    const simulator = deps.platforms.client('youtube') as SimulatorClient;
    const now = deps.clock.now();
    const videos = simulator.world.freshVideos(now - 7 * 86_400_000, now).slice(0, monitors);
    if (videos.length < monitors) throw new Error(`the simulated world has only ${videos.length} fresh videos`);
    const rows = (await TrendVideo.query(testDb()).insert(
      videos.map((v) => ({
        platform: 'youtube',
        platformVideoId: simulator.videoId(v),
        creatorId: v.creator.username,
        publishedAt: new Date(v.publishedAt),
      })) as Partial<TrendVideo>[],
    )) as unknown as TrendVideo[];

    const batcher = deps.platforms.stats('youtube') as StatsBatcher;
    const { client } = await testTemporal();
    const started = Date.now();
    const elapsed = await worker.runUntil(async () => {
      const handles: WorkflowHandle[] = [];
      // Start in waves of 50, as a discovery run does, rather than one by one.
      for (let i = 0; i < rows.length; i += 50) {
        handles.push(
          ...(await Promise.all(
            rows.slice(i, i + 50).map((row) => {
              const input: TrendMonitorInput = {
                trendVideoId: row.id,
                platform: 'youtube',
                platformVideoId: row.platformVideoId,
                snapshotIntervalMs: intervalMs,
                totalSlots: slots,
              };
              const workflowId = `${trendMonitorWorkflowId('youtube', row.platformVideoId)}-bench-${taskQueue}`;
              return startTrendMonitor(client, { taskQueue, workflowId }, input).then((handle) => handle!); // a fresh id: never rejected
            }),
          )),
        );
      }
      console.log(`started ${handles.length} monitors in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await Promise.all(handles.map((h) => h.result()));
      return (Date.now() - started) / 1000;
    });

    const snapshots = Number((await testDb()('trend_snapshots').count('* as n').first())?.n ?? 0);
    const activeSeconds = elapsed - ((slots - 1) * intervalMs) / 1000; // time not spent waiting for the grid
    console.log(`monitors: ${monitors}, slots each: ${slots}, cycle: ${intervalMs} ms, wall time: ${elapsed.toFixed(1)} s`);
    console.log(
      `snapshots written: ${snapshots} (expected ${monitors * slots}); ${(snapshots / elapsed).toFixed(1)} snapshots/s over the wall time`,
    );
    console.log(
      `platform calls: ${batcher.upstreamCalls} for ${batcher.idsRequested} ids = ${(batcher.idsRequested / batcher.upstreamCalls).toFixed(1)} ids per call`,
    );
    console.log(
      `busy time estimate (wall minus grid waits): ${activeSeconds.toFixed(1)} s → ${(snapshots / Math.max(activeSeconds, 1)).toFixed(1)} snapshots/s`,
    );
    console.log(`memory: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await closeTestResources();
    await services.stop();
  }
}

main().catch(exitWithReason);

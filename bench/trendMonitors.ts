/**
 * Benchmark: N open trendVideoMonitor workflows at steady state on a Temporal engine (the dev
 * server, or the production server with `--engine server`), one worker in this process with the
 * product's real activities and batches over the simulator (bench/trendMonitors/run.ts says what
 * is measured).
 *
 *   npm run bench:trends                                        # 1,000 monitors, 2 min cycle
 *   npm run bench:trends -- --monitors 50000 --interval-ms 7200000 --observe-s 900 --write-docs
 *   npm run bench:trends -- --monitors 5000 --engine server --write-docs
 *
 * Runs on its own database (blogger_analytics_bench_monitors next to DATABASE_URL, made afresh),
 * Redis index 15 and namespace bench-monitors. The simulated world grows with --monitors.
 */
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { createDb, migrateLatest } from '../db';
import { getConfig, loadConfig, TEMPORAL_ENGINES, type TemporalEngine } from '../lib/config';
import { createLogger } from '../lib/logger';
import { ensureServices, exitWithReason, recreateDatabase } from '../scripts/services';
import { installSdkLogger } from '../temporal/worker';
import { dedicatedUrl } from './dedicated';
import { machineDescription, readDocsSection, writeDocsSection } from './docsSection';
import { BENCH_PLATFORMS, runMonitorBench, type MonitorBenchOptions, type MonitorBenchResult } from './trendMonitors/run';

export const BENCH_NAMESPACE = 'bench-monitors';
/** Fresh videos a simulated creator has in the last 6 days, with room to spare (6.7 measured). */
const FRESH_VIDEOS_PER_CREATOR = 5;

function report(r: MonitorBenchResult): string {
  const calls = r.calls.map((c) => `${c.platform} ${c.idsPerCall.toFixed(1)} of ${c.maxBatchSize} (${c.calls} calls)`).join(', ');
  return [
    `monitors open: ${r.open} of ${r.monitors} (started in ${r.startSeconds.toFixed(0)} s, ${r.startsPerSecond.toFixed(0)}/s)`,
    `observed ${r.observeSeconds.toFixed(0)} s: ${r.wakeUps} wake-ups (${r.wakeUpsPerSecond.toFixed(2)}/s), lateness p50 ${r.latenessP50.toFixed(1)} s, p99 ${r.latenessP99.toFixed(1)} s, max ${r.latenessMax.toFixed(1)} s (the worker's histogram: p99 ≤ ${r.latenessMetricP99} s)`,
    `ids per platform call: ${calls}; wake-ups per snapshot batch ${r.batchFill.toFixed(1)}`,
    `worker: rss ${r.rssMiB.toFixed(0)} MiB (${r.baselineRssMiB.toFixed(0)} before the monitors), ${r.cachedWorkflows} workflows cached (cache ${r.maxCachedWorkflows}), ` +
      `${r.kibPerCachedWorkflow === null ? 'n/a' : r.kibPerCachedWorkflow.toFixed(0)} KiB per cached workflow, ${r.cpuMsPerWakeUp.toFixed(1)} ms CPU per wake-up`,
    `workflow task timeouts: ${r.workflowTaskTimeouts} while observed in ${r.historiesSampled} sampled histories (${r.startupTaskTimeouts} before, during the start-up); failed snapshots: ${r.snapshotErrors}`,
  ].join('\n');
}

const SECTION = 'bench:trends';
const HEADER = [
  '| run | open | starts | wake-ups | lateness p50 / p99 | ids per call (YouTube / TikTok) | cached | worker RSS | per cached workflow | CPU per wake-up | task timeouts (sampled) | failed snapshots | command |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];

/** The section: one row per run (engine, monitors, cache), so runs on both engines stand side by side. */
function monitorsSection(rows: string[]): string {
  return [
    '## Trend monitors at steady state',
    '',
    `Machine: ${machineDescription()}.`,
    '',
    "N monitors started on the engine (each takes slot 0 at once), then, once every slot 0 is written, the steady state observed: every monitor open and waking on its own grid point (TREND_GRID_POINTS) every interval, one worker in the benchmark's process with the product's activities, snapshot batches and stats batcher over the simulator (bench/trendMonitors/run.ts). Lateness is a slot's grid instant to its snapshot's answer time, over every grid slot that fell due and was answered while observed (slots due before, the start-up backlog's spill-over, left out); per cached workflow is (worker RSS at steady state − before the monitors) ÷ cached workflows, an upper bound; task timeouts are WorkflowTaskTimedOut events in a sample of histories while observed (those of the start-up, before the observation, in brackets).",
    '',
    ...HEADER,
    ...rows,
  ].join('\n');
}

/** The data rows of a section's table. */
function tableRows(section: string | null): string[] {
  return (section ?? '').split('\n').filter((line) => line.startsWith('| ') && !HEADER.includes(line) && !line.startsWith('| run |'));
}

/** `rows` with the row labelled `label` replaced by `row` (or `row` added). */
function withRow(rows: string[], label: string, row: string): string[] {
  const at = rows.findIndex((r) => r.startsWith(`| ${label} |`));
  return at >= 0 ? rows.map((r, i) => (i === at ? row : r)) : [...rows, row];
}

export function resultRow(r: MonitorBenchResult, command: string): string {
  const youtube = r.calls.find((c) => c.platform === 'youtube');
  const tiktok = r.calls.find((c) => c.platform === 'tiktok');
  return [
    r.open.toLocaleString('en'),
    `${r.startsPerSecond.toFixed(0)}/s`,
    `${r.wakeUpsPerSecond.toFixed(1)}/s (${r.wakeUps.toLocaleString('en')} in ${r.observeSeconds.toFixed(0)} s)`,
    `${r.latenessP50.toFixed(1)} s / ${r.latenessP99.toFixed(1)} s`,
    `${youtube?.idsPerCall.toFixed(1) ?? '–'} / ${tiktok?.idsPerCall.toFixed(1) ?? '–'}`,
    `${r.cachedWorkflows.toLocaleString('en')} of ${r.maxCachedWorkflows.toLocaleString('en')}`,
    `${r.rssMiB.toFixed(0)} MiB`,
    r.kibPerCachedWorkflow === null ? '–' : `${r.kibPerCachedWorkflow.toFixed(0)} KiB`,
    `${r.cpuMsPerWakeUp.toFixed(1)} ms`,
    `${r.workflowTaskTimeouts} in ${r.historiesSampled} (start-up: ${r.startupTaskTimeouts})`,
    String(r.snapshotErrors),
    `\`${command}\``,
  ].join(' | ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      monitors: { type: 'string', default: '1000' },
      'interval-ms': { type: 'string', default: '120000' },
      'observe-s': { type: 'string', default: '120' },
      'grid-points': { type: 'string' },
      'batch-ms': { type: 'string' },
      'max-cached': { type: 'string' },
      'start-concurrency': { type: 'string', default: '64' },
      'history-sample': { type: 'string', default: '200' },
      engine: { type: 'string' },
      'write-docs': { type: 'boolean', default: false },
    },
  });
  const base = getConfig();
  const engine = (values.engine ?? base.TEMPORAL_ENGINE) as TemporalEngine;
  if (!TEMPORAL_ENGINES.includes(engine)) throw new Error(`--engine must be one of ${TEMPORAL_ENGINES.join(', ')}`);
  const opts: MonitorBenchOptions = {
    monitors: Number(values.monitors),
    intervalMs: Number(values['interval-ms']),
    observeMs: Number(values['observe-s']) * 1000,
    startConcurrency: Number(values['start-concurrency']),
    historySample: Number(values['history-sample']),
  };
  const perPlatform = Math.ceil(opts.monitors / BENCH_PLATFORMS.length);
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    TEMPORAL_ENGINE: engine,
    PLATFORMS_ENABLED: BENCH_PLATFORMS.join(','),
    // The world grows with the load: enough creators for N fresh videos.
    SIMULATOR_CREATORS: String(Math.max(1500, Math.ceil(perPlatform / FRESH_VIDEOS_PER_CREATOR))),
    ...(values['grid-points'] ? { TREND_GRID_POINTS: values['grid-points'] } : {}),
    ...(values['batch-ms'] ? { TREND_SNAPSHOT_BATCH_MS: values['batch-ms'] } : {}),
    ...(values['max-cached'] ? { WORKER_MAX_CACHED_WORKFLOWS: values['max-cached'] } : {}),
  });
  const databaseUrl = dedicatedUrl(config.DATABASE_URL, '/blogger_analytics_bench_monitors');
  const redisUrl = dedicatedUrl(config.REDIS_URL, '/15');
  const services = await ensureServices(config, { databaseUrls: [databaseUrl], redisUrl, namespaces: [BENCH_NAMESPACE], engine });
  await recreateDatabase(databaseUrl);
  const db = createDb({ url: databaseUrl, poolMax: config.DATABASE_POOL_MAX, applicationName: 'bench-monitors' });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const logger = createLogger(config, 'bench');
  installSdkLogger(logger);
  const progress = (line: string) => console.error(`[bench:trends] ${new Date().toISOString().slice(11, 19)} ${line}`);
  try {
    await migrateLatest(db);
    progress(
      `${opts.monitors} monitors on ${engine === 'server' ? 'the Temporal server (PostgreSQL)' : 'the dev server (SQLite)'}, ` +
        `every ${opts.intervalMs / 1000} s on ${config.TREND_GRID_POINTS} grid points, batches of ${config.TREND_SNAPSHOT_BATCH_MS} ms, ` +
        `sticky cache ${config.WORKER_MAX_CACHED_WORKFLOWS}, ${config.SIMULATOR_CREATORS} simulated creators per platform`,
    );
    const result = await runMonitorBench(opts, {
      config,
      db,
      redis,
      logger,
      namespace: BENCH_NAMESPACE,
      taskQueue: `bench-monitors-${Date.now()}`,
      progress,
    });
    console.log(report(result));
    if (values['write-docs']) {
      const flags = [
        `--monitors ${opts.monitors}`,
        `--interval-ms ${opts.intervalMs}`,
        `--observe-s ${opts.observeMs / 1000}`,
        `--engine ${engine}`,
        ...(values['grid-points'] ? [`--grid-points ${values['grid-points']}`] : []),
        ...(values['batch-ms'] ? [`--batch-ms ${values['batch-ms']}`] : []),
        ...(values['max-cached'] ? [`--max-cached ${values['max-cached']}`] : []),
      ];
      const command = `npm run bench:trends -- ${flags.join(' ')} --write-docs`;
      const label = `${services.temporalName}, ${opts.monitors.toLocaleString('en')} monitors, cache ${config.WORKER_MAX_CACHED_WORKFLOWS.toLocaleString('en')}`;
      const rows = withRow(tableRows(await readDocsSection(SECTION)), label, `| ${label} | ${resultRow(result, command)} |`);
      console.log(`wrote ${await writeDocsSection(SECTION, monitorsSection(rows))}`);
    }
  } finally {
    redis.disconnect();
    await db.destroy();
    await services.stop();
  }
}

main().catch(exitWithReason);

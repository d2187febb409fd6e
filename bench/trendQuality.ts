/**
 * Benchmark: does Trend Watch report the simulator's seeded waves before they peak, and nothing
 * else? Each seed lives a compressed stretch of simulated days through the product's real
 * activities on a virtual clock (bench/trendQuality/driver.ts says what is real and what the
 * driver replaces), then scores what analysis reported against the seed's ground truth.
 *
 *   npm run bench:trend-quality
 *   npm run bench:trend-quality -- --seeds 1,2,3,4,5 --days 7 --creators 200 --platforms youtube,tiktok --write-docs
 *   … --wake-minutes 10   monitors wake up to 10 min after their grid point (fewer, fuller wake-ups: faster on a slow machine)
 *
 * Each seed gets a fresh dedicated database (blogger_analytics_bench next to DATABASE_URL, or
 * --database-url) and an emptied dedicated Redis database (index 11 of REDIS_URL, or --redis-url).
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { createDb, migrateLatest } from '../db';
import { getConfig, loadConfig, PROJECT_ROOT } from '../lib/config';
import { PLATFORM_NAMES } from '../lib/domain/platforms';
import { createLogger } from '../lib/logger';
import type { PlatformName } from '../platforms/types';
import { ensurePostgres, ensureRedis, exitWithReason, recreateDatabase } from '../scripts/services';
import { runTrendQuality, type TrendQualityProgress } from './trendQuality/driver';
import { GROUND_TRUTH_SOURCE } from './trendQuality/groundTruth';
import { consoleTable, docsSection, falsePositiveLines, targetsLine, TREND_QUALITY_SECTION, type SeedResult } from './trendQuality/report';
import { dedicatedUrl } from './dedicated';
import { BENCHMARKS_DOC, writeDocsSection } from './docsSection';

function parsePlatforms(text: string): PlatformName[] {
  const names = text.split(',').map((p) => p.trim());
  for (const n of names) if (!(PLATFORM_NAMES as readonly string[]).includes(n)) throw new Error(`unknown platform ${n}`);
  return names as PlatformName[];
}

/** One line, rewritten in place on a terminal; a line per simulated day otherwise. */
function progressPrinter(): (p: TrendQualityProgress) => void {
  let lastPrinted = 0;
  let lastDay = -1;
  return (p) => {
    const day = Math.floor(p.day);
    const now = Date.now();
    if (process.stderr.isTTY ? now - lastPrinted < 250 : day === lastDay) return;
    lastPrinted = now;
    lastDay = day;
    const line =
      `seed ${p.seed}: day ${p.day.toFixed(1)}/${p.totalDays.toFixed(0)} · videos ${p.counts.videosDiscovered} · ` +
      `monitors ${p.monitors} · snapshots ${p.counts.snapshots} · analysis runs ${p.counts.analysisRuns} · names reported ${p.counts.reportedNames}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line.padEnd(120)}` : `${line}\n`);
  };
}

async function machine(db: ReturnType<typeof createDb>): Promise<string> {
  const { rows } = await db.raw<{ rows: { server_version: string }[] }>('show server_version');
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const ram = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${os.availableParallelism()} cores (${cpu}), ${ram} GiB RAM, Node ${process.version}, PostgreSQL ${rows[0]?.server_version ?? '?'}`;
}

function method(o: {
  days: number;
  warmupHours: number;
  creators: number;
  platforms: PlatformName[];
  wakeQuantumMs: number;
  snapshotHours: number;
}): string {
  return [
    `Each seed simulates ${o.warmupHours} h of warm-up and then ${o.days} evaluated days on ${o.platforms.join(' and ')}`,
    `(simulated worlds of ${o.creators} creators per platform, the seed's random waves and decoys), through the product's real`,
    'activities (`createActivities`): discovery, snapshots through the real stats batcher, analysis and cleanup, on PostgreSQL',
    "and Redis. Temporal is replaced by a driver on a virtual clock that calls the activities in the workflows' order at the",
    'instants their schedules and timers would: discovery every 4 h (the broad pass, then the rising signals it follows, per platform)',
    'followed by the incremental analysis, the full analysis',
    `every 6 h, cleanup daily, and every discovered video snapshotted at once and then on its own grid point every ${o.snapshotHours} h for`,
    '7 days (monitors are not workflows here; snapshots due at one instant run concurrently so they batch). Scored against',
    "the simulator's ground truth: a name counts as reported when a run wrote it emerging or peaking during the evaluated",
    'days; recall over the waves peaking in them, precision over every reported name, lead = peak − first report.',
    o.wakeQuantumMs
      ? `Monitors woke at the next multiple of ${o.wakeQuantumMs / 60_000} min after their grid point (up to that late; their slots stay on the grid).`
      : 'Monitors woke exactly on their grid points.',
    GROUND_TRUTH_SOURCE,
  ].join(' ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '1,2,3,4,5' },
      days: { type: 'string', default: '7' },
      'warmup-hours': { type: 'string', default: '120' },
      creators: { type: 'string', default: '200' },
      platforms: { type: 'string', default: 'youtube,tiktok' },
      concurrency: { type: 'string', default: '32' },
      'wake-minutes': { type: 'string', default: '0' },
      'database-url': { type: 'string' },
      'redis-url': { type: 'string' },
      'write-docs': { type: 'boolean', default: false },
    },
  });
  const seeds = values.seeds.split(',').map(Number);
  const options = {
    days: Number(values.days),
    warmupHours: Number(values['warmup-hours']),
    creators: Number(values.creators),
    platforms: parsePlatforms(values.platforms),
    concurrency: Number(values.concurrency),
    wakeQuantumMs: Number(values['wake-minutes']) * 60_000,
  };
  const config = getConfig();
  const databaseUrl = values['database-url'] ?? dedicatedUrl(config.DATABASE_URL, '/blogger_analytics_bench');
  const redisUrl = values['redis-url'] ?? dedicatedUrl(config.REDIS_URL, '/11');
  const benchConfig = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, APP_DATABASE_URL: undefined });
  const logger = createLogger({ ...benchConfig, LOG_LEVEL: 'warn' }, 'bench:trend-quality');
  await ensurePostgres(databaseUrl);
  await ensureRedis(redisUrl);

  console.log(
    `trend quality: seeds ${seeds.join(', ')}; ${options.days} days after ${options.warmupHours} h warm-up; ` +
      `${options.creators} creators on ${options.platforms.join(', ')}; database ${databaseUrl.replace(/\/\/[^@]*@/, '//')}`,
  );
  const results: SeedResult[] = [];
  let machineLine = '';
  /** The docs section, rewritten after every seed: an interrupted run still records the seeds it finished. */
  const writeDocs = async () => {
    const wake = options.wakeQuantumMs ? ` --wake-minutes ${options.wakeQuantumMs / 60_000}` : '';
    // Settings the run was given through the environment belong to the command that reproduces it.
    const env = config.TREND_SNAPSHOT_HOURS === 2 ? '' : `TREND_SNAPSHOT_HOURS=${config.TREND_SNAPSHOT_HOURS} `;
    const command = `${env}npm run bench:trend-quality -- --seeds ${seeds.join(',')} --days ${options.days} --warmup-hours ${options.warmupHours} --creators ${options.creators} --platforms ${options.platforms.join(',')}${wake} --write-docs`;
    await writeDocsSection(
      TREND_QUALITY_SECTION,
      docsSection(results, { command, machine: machineLine, method: method({ ...options, snapshotHours: config.TREND_SNAPSHOT_HOURS }) }),
    );
  };
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    for (const seed of seeds) {
      await recreateDatabase(databaseUrl);
      const owner = createDb({ url: databaseUrl, poolMax: 1, applicationName: 'bench-migrate' });
      try {
        await migrateLatest(owner);
        machineLine ||= await machine(owner);
      } finally {
        await owner.destroy();
      }
      await redis.flushdb();
      const db = createDb({ url: benchConfig.appDatabaseUrl, poolMax: 10, applicationName: 'bench-trend-quality' });
      try {
        const run = await runTrendQuality({ db, redis, logger }, { seed, ...options, onProgress: progressPrinter() });
        if (process.stderr.isTTY) process.stderr.write('\n');
        results.push({
          seed,
          report: run.report,
          wallMs: run.wallMs,
          snapshots: run.counts.snapshots,
          videos: run.counts.videosDiscovered,
        });
        const c = run.counts;
        console.log(
          `seed ${seed}: ${c.videosDiscovered} videos (${c.signalsFollowed} signals followed), ${c.snapshots} snapshots (${c.snapshotFailures} failed), ` +
            `${c.platformCalls} stats calls (${c.idsPerCall?.toFixed(1) ?? '–'} ids each), ${c.analysisRuns} analysis runs, ` +
            `${run.truth.length} ground-truth events, ${(run.wallMs / 1000).toFixed(0)} s ` +
            `(${Object.entries(c.wallMsBy)
              .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(0)} s`)
              .join(', ')})`,
        );
        const fps = falsePositiveLines(run.report);
        if (fps.length) console.log(`  false positives (top ${fps.length} of ${run.report.falsePositives.length}): ${fps.join('; ')}`);
        const missed = run.report.waves.filter((w) => w.leadHours === null).map((w) => w.names[0]);
        if (missed.length) console.log(`  waves missed: ${missed.join(', ')}`);
        if (values['write-docs']) await writeDocs();
      } finally {
        await db.destroy();
      }
    }
  } finally {
    await redis.quit();
  }

  console.log(`\n${consoleTable(results)}\n\ntargets: ${targetsLine()}`);
  if (values['write-docs']) console.log(`wrote ${path.relative(PROJECT_ROOT, BENCHMARKS_DOC)}`);
}

main().catch(exitWithReason);

/**
 * Benchmark: trend analysis over a week of Trend Watch data (issue 13: ≤ 0.5 s over 1.2 M
 * snapshot rows). It fills a dedicated database with live videos and their snapshots as of its
 * own start (bench/trendAnalysis/world.ts: everyday names, a long tail, five planted waves), then
 * times the product's real code on it:
 *  - `analyzeTrends` (activities/trends.ts), a full run and an incremental one, `--runs` each, after
 *    one untimed full run (so the known trends exist, as in steady state);
 *  - `followCandidates` (db/queries/trendSignals.ts), discovery's reading of the same evidence,
 *    once per platform per run;
 * and prints EXPLAIN (ANALYZE, BUFFERS) of the statements they spend their time in.
 *
 *   npm run bench:trend-analysis
 *   npm run bench:trend-analysis -- --snapshots 1200000 --runs 5 --write-docs
 *
 * Without `--videos`, videos = snapshots ÷ 42.5 (a video holds 42.5 snapshots on average: ages are
 * uniform over the week, one every 2 h, at most 84). The database is blogger_analytics_bench_analysis
 * next to DATABASE_URL (recreated and migrated afresh; `--database` names another), Redis index 13.
 */
import { parseArgs } from 'node:util';
import { analyzeTrends } from '../activities/trends';
import { createDb, migrateLatest, type Knex } from '../db';
import { evidenceSessionSettings, evidenceStatements, type EvidenceQuery } from '../db/queries/detectedTrends';
import { namesInWindowQuery } from '../db/queries/trendEvidence';
import { followCandidates } from '../db/queries/trendSignals';
import { markTrendingStatements } from '../db/queries/trendVideos';
import { realClock } from '../lib/clock';
import { getConfig } from '../lib/config';
import { trendSettings } from '../lib/domain/trendSettings';
import { createLogger } from '../lib/logger';
import { createRedis } from '../lib/redis';
import type { PlatformName } from '../platforms/types';
import { ensurePostgres, ensureRedis, exitWithReason, recreateDatabase } from '../scripts/services';
import { dedicatedUrl } from './dedicated';
import { machineDescription, writeDocsSection } from './docsSection';
import { explainAnalyze, explainedSummary, type Explained } from './trendAnalysis/explain';
import { fillWorld, MEAN_SNAPSHOTS_PER_VIDEO, WAVES } from './trendAnalysis/world';

const SECTION = 'bench:trend-analysis';
const TARGET_MS = 500;
/** Discovery asks for this many candidates per platform (activities/trendDiscovery.ts CANDIDATES). */
const FOLLOW_LIMIT = 50;
/** The platforms the bench's world has. */
const WORLD_PLATFORMS: PlatformName[] = ['youtube', 'tiktok'];

interface Timed {
  name: string;
  ms: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function timed<T>(into: Timed, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  into.ms.push(performance.now() - started);
  return result;
}

function timingTable(rows: Timed[]): string {
  return [
    '| reading | runs | median | max | target ≤ 500 ms |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => {
      const [mid, max] = [median(r.ms), Math.max(...r.ms)];
      return `| ${r.name} | ${r.ms.length} | ${mid.toFixed(0)} ms | ${max.toFixed(0)} ms | ${max <= TARGET_MS ? 'met' : 'not met'} |`;
    }),
  ].join('\n');
}

/** EXPLAIN ANALYZE of the evidence statements, markTrendingVideos and the API's names-in-window, in a transaction rolled back. */
async function explainAll(db: Knex, full: EvidenceQuery, signals: EvidenceQuery, mark: Parameters<typeof markTrendingStatements>[0]) {
  const explained: Explained[] = [];
  const trx = await db.transaction();
  try {
    await evidenceSessionSettings(trx);
    const analysis = evidenceStatements(full);
    const discovery = evidenceStatements(signals);
    const statements = [
      ['analysis: names × windows (trendEvidence)', analysis.nameWindows],
      ['analysis: window volumes (trendEvidence)', analysis.windowVolumes],
      ['analysis: first discovery (trendEvidence)', analysis.firstDiscovery],
      ['analysis: recent names (trendEvidence)', analysis.recentNames!],
      ['discovery: names × windows, one platform (followCandidates)', discovery.nameWindows],
      ['discovery: recent names, one platform (followCandidates)', discovery.recentNames!],
      ...markTrendingStatements(mark).map((s, i) => [`analysis: markTrendingVideos ${i + 1}`, s] as const),
    ] as const;
    for (const [name, s] of statements) explained.push(await explainAnalyze(trx, name, s.sql, s.bindings));
    const api = namesInWindowQuery(trx, {
      kind: 'hashtag',
      since: new Date(full.at.getTime() - full.windowMs),
      until: full.at,
      limit: 50,
    }).toSQL();
    explained.push(await explainAnalyze(trx, 'API: hashtags in the window (namesInWindow)', api.sql, api.bindings));
  } finally {
    await trx.rollback();
  }
  return explained;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      videos: { type: 'string' },
      snapshots: { type: 'string', default: '1200000' },
      runs: { type: 'string', default: '3' },
      database: { type: 'string', default: 'blogger_analytics_bench_analysis' },
      'write-docs': { type: 'boolean', default: false },
    },
  });
  const runs = Math.max(1, Number(values.runs));
  const videos = values.videos ? Number(values.videos) : Math.round(Number(values.snapshots) / MEAN_SNAPSHOTS_PER_VIDEO);
  const config = getConfig();
  const databaseUrl = dedicatedUrl(config.DATABASE_URL, `/${values.database}`);
  const redisUrl = dedicatedUrl(config.REDIS_URL, '/13');
  await ensurePostgres(databaseUrl);
  await ensureRedis(redisUrl);
  await recreateDatabase(databaseUrl);
  // The worker's pool size: an evidence reading uses two connections at once.
  const db = createDb({ url: databaseUrl, poolMax: config.DATABASE_POOL_MAX, applicationName: 'bench-trend-analysis' });
  const logger = createLogger({ ...config, LOG_LEVEL: 'warn' }, 'bench-trend-analysis');
  const redis = createRedis({ ...config, REDIS_URL: redisUrl }, logger, 'worker');
  try {
    await migrateLatest(db);
    // Every time below is derived from this instant: the data's week ends here.
    const t0 = Date.now();
    const fillStarted = performance.now();
    const world = await fillWorld(db, { now: new Date(t0), videos }, ({ videos: done, snapshots }) =>
      process.stderr.write(
        `\rfilling: ${done.toLocaleString('en-US')} / ${videos.toLocaleString('en-US')} videos, ${snapshots.toLocaleString('en-US')} snapshots`,
      ),
    );
    process.stderr.write(`\nfilled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s\n`);

    const settings = trendSettings(config);
    const deps = { db, logger, redis, settings, clock: realClock() };
    // Runs a minute apart in data time, after the data's last instant (realClock: runAt is data time).
    let minute = 0;
    const analyze = (incremental: boolean) => analyzeTrends(deps, { runAt: new Date(t0 + ++minute * 60_000).toISOString(), incremental });
    const first = await analyze(false);
    const planted = WAVES.map((name) => `hashtag:${name}`);
    const found = new Set(first.newTrends.map((t) => `${t.kind}:${t.name}`));
    console.log(
      `bursting names found: ${planted.filter((k) => found.has(k)).length} of ${planted.length} planted (${first.trends} trends, ${first.newTrends.length} new)`,
    );

    const full: Timed = { name: '`analyzeTrends` full run', ms: [] };
    const incremental: Timed = { name: '`analyzeTrends` incremental run', ms: [] };
    const signals: Timed = { name: '`followCandidates` (one platform)', ms: [] };
    for (let run = 0; run < runs; run++) {
      process.stderr.write(`run ${run + 1} / ${runs} …\n`);
      await timed(full, () => analyze(false));
      await timed(incremental, () => analyze(true));
      for (const platform of WORLD_PLATFORMS) {
        const at = new Date(t0 + ++minute * 60_000);
        await timed(signals, () =>
          followCandidates(db, { at, windowMs: settings.analysisWindowMs, platform, limit: FOLLOW_LIMIT }, settings),
        );
      }
    }

    const at = new Date(t0 + ++minute * 60_000);
    const evidence = (more: Partial<EvidenceQuery>): EvidenceQuery => ({
      at,
      windowMs: settings.analysisWindowMs,
      windows: settings.baselineWindows,
      minCreators: settings.minCreators,
      ...more,
    });
    const explained = await explainAll(
      db,
      evidence({ includeKnown: true, explainAway: true }),
      evidence({ minCreators: 1, kinds: ['hashtag', 'sound', 'keyword'], platform: 'youtube', recentCreators: true }),
      { since: new Date(at.getTime() - settings.analysisWindowMs), at, percentile: settings.trendingPercentile },
    );
    for (const e of explained) {
      console.log(
        `\nEXPLAIN (ANALYZE, BUFFERS) ${e.name}: execution ${e.executionMs.toFixed(1)} ms, planning ${e.planningMs.toFixed(1)} ms`,
      );
      for (const line of e.tree) console.log(`  ${line}`);
    }

    const counts = await db.raw<{ rows: { names: number; recent: number }[] }>(
      `select (select count(*) from trend_videos where published_at > :since)::int as recent,
              (select count(distinct h) from trend_videos, unnest(hashtags || keywords) h)::int as names`,
      { since: new Date(t0 - settings.analysisWindowMs) },
    );
    const { names, recent } = counts.rows[0]!;
    const timings = timingTable([full, incremental, signals]);
    const explainTable = [
      '| statement | execution | planning | nodes that spent it (own time) |',
      '| --- | --- | --- | --- |',
      ...explained.map(explainedSummary),
    ].join('\n');
    console.log(`\n${timings}\n\n${explainTable}`);

    const fmt = (n: number) => n.toLocaleString('en-US');
    const postgres = (await db.raw<{ rows: { v: string }[] }>("select current_setting('server_version') as v")).rows[0]!.v;
    const machine = `${machineDescription()}, PostgreSQL ${postgres.split(' ')[0]}`;
    const command = `npm run bench:trend-analysis -- --snapshots ${values.snapshots}${values.videos ? ` --videos ${videos}` : ''} --runs ${runs} --write-docs`;
    const section = [
      '## Trend analysis over a week of snapshots',
      '',
      `Machine: ${machine}. Command: \`${command}\`.`,
      '',
      `${fmt(world.snapshots)} snapshot rows of ${fmt(world.videos)} live videos (YouTube and TikTok) published over the 7 days before the run, one snapshot every 2 h; ` +
        `${fmt(recent)} published in the last analysis window; ${fmt(names)} distinct hashtags and keywords; ` +
        `${WAVES.length} planted waves of ${world.videosPerWave} videos each (found: ${planted.filter((k) => found.has(k)).length}). ` +
        `Each figure is the product's own function on that data, after one untimed full run; \`followCandidates\` is discovery's reading of the same evidence, one call per platform.`,
      '',
      timings,
      '',
      'EXPLAIN (ANALYZE, BUFFERS) of the statements behind them (the bench prints the whole plans):',
      '',
      explainTable,
    ].join('\n');
    if (values['write-docs']) {
      console.log(`wrote ${await writeDocsSection(SECTION, section)}`);
    }
  } finally {
    redis.disconnect();
    await db.destroy();
  }
}

main().catch(exitWithReason);

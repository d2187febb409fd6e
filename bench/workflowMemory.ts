/**
 * Benchmark: what the Temporal SDK itself costs per cached workflow, the floor under the monitors'
 * memory figure (issue 13 target: ≤ 150 KB per cached workflow). N workflows of the smallest kind
 * (bench/workflowMemory/idleWorkflow.ts: one timer) are started and held in one worker's sticky
 * cache; the worker's RSS and V8 heap are read, after a full GC, before and after. Each mode runs
 * in its own process (memory a run has released stays with the process):
 *  - `thread`: workflows in the SDK's workflow thread, as the product's worker runs them (that
 *    thread's heap is part of the RSS, not of the main heap);
 *  - `main`: the SDK's debug mode, workflows on the main isolate, so the V8 heap share shows.
 *
 *   npm run bench:workflow-memory
 *   npm run bench:workflow-memory -- --workflows 2000 --write-docs
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { getConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { ensureServices, exitWithReason } from '../scripts/services';
import { installSdkLogger } from '../temporal/worker';
import { machineDescription, writeDocsSection } from './docsSection';

const SECTION = 'bench:workflow-memory';
const MODES = ['thread', 'main'] as const;
type Mode = (typeof MODES)[number];

interface ModeResult {
  mode: Mode;
  cached: number;
  rssKiBPerWorkflow: number;
  heapKiBPerWorkflow: number;
}

const KiB = 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** After a full collection (the process runs with --expose-gc), so garbage is not counted. */
function memory() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

async function measure(mode: Mode, workflows: number): Promise<ModeResult> {
  const config = getConfig();
  installSdkLogger(createLogger({ ...config, LOG_LEVEL: 'warn' }, 'bench'));
  const taskQueue = `bench-workflow-memory-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    workflowsPath: require.resolve('./workflowMemory/idleWorkflow'),
    maxCachedWorkflows: workflows + 1,
    debugMode: mode === 'main',
  });
  const ids: string[] = [];
  const start = async (n: number) => {
    for (let i = 0; i < n; i += 50) {
      const batch = Array.from({ length: Math.min(50, n - i) }, () => `${taskQueue}-${randomUUID()}`);
      ids.push(...batch);
      await Promise.all(batch.map((workflowId) => client.workflow.start('idle', { taskQueue, workflowId })));
    }
  };
  const cachedReaches = async (n: number) => {
    while (worker.getStatus().numCachedWorkflows < n) await sleep(200);
    await sleep(2000); // the last activations' completions settle
  };
  try {
    return await worker.runUntil(async () => {
      // One first, so the bundle, the V8 context and the connections exist before the baseline.
      await start(1);
      await cachedReaches(1);
      const before = memory();
      await start(workflows);
      await cachedReaches(workflows + 1);
      const after = memory();
      const cached = worker.getStatus().numCachedWorkflows - 1;
      return {
        mode,
        cached,
        rssKiBPerWorkflow: (after.rss - before.rss) / KiB / cached,
        heapKiBPerWorkflow: (after.heapUsed - before.heapUsed) / KiB / cached,
      };
    });
  } finally {
    await Promise.allSettled(ids.map((workflowId) => client.workflow.getHandle(workflowId).terminate('benchmark over')));
    await clientConnection.close();
    await connection.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workflows: { type: 'string', default: '2000' },
      mode: { type: 'string' },
      'write-docs': { type: 'boolean', default: false },
    },
  });
  const workflows = Number(values.workflows);
  if (values.mode) {
    // A child: one mode, its result as one JSON line.
    console.log(JSON.stringify(await measure(values.mode as Mode, workflows)));
    process.exit(0);
  }
  const config = getConfig();
  const services = await ensureServices(config, {
    databaseUrls: [config.DATABASE_URL],
    redisUrl: config.REDIS_URL,
    namespaces: [config.TEMPORAL_NAMESPACE],
  });
  try {
    const results: ModeResult[] = [];
    for (const mode of MODES) {
      console.error(`[${SECTION}] ${workflows} idle workflows cached, workflows in the ${mode} isolate …`);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', __filename, '--workflows', String(workflows), '--mode', mode],
        { env: process.env, maxBuffer: 16 * 1024 * 1024 },
      );
      results.push(JSON.parse(stdout.trim().split('\n').at(-1)!) as ModeResult);
    }
    const lines = [
      '| workflows run in | cached | worker RSS per cached workflow | V8 heap per cached workflow | target ≤ 150 KB |',
      '| --- | --- | --- | --- | --- |',
      ...results.map(
        (r) =>
          `| ${r.mode === 'thread' ? "the SDK's workflow thread (as the worker runs them)" : 'the main isolate (debug mode)'} | ${r.cached.toLocaleString('en')} | ${r.rssKiBPerWorkflow.toFixed(0)} KiB | ${r.mode === 'main' ? `${r.heapKiBPerWorkflow.toFixed(0)} KiB` : 'in the thread (not read)'} | ${r.rssKiBPerWorkflow * KiB <= 150_000 ? 'under' : 'over'} |`,
      ),
    ];
    console.log(lines.join('\n'));
    if (values['write-docs']) {
      const body = [
        "## The SDK's own memory per cached workflow",
        '',
        `Machine: ${machineDescription()}. Command: \`npm run bench:workflow-memory -- --workflows ${workflows} --write-docs\`.`,
        '',
        `${workflows.toLocaleString('en')} workflows of the smallest kind (one durable timer, none of the product's code) held in one worker's sticky cache; worker RSS and V8 heap (after a full GC) before and after, divided by the workflows cached; each mode in its own process. The floor under "memory per cached workflow" in the monitor figures.`,
        '',
        ...lines,
      ].join('\n');
      console.log(`wrote ${await writeDocsSection(SECTION, body)}`);
    }
  } finally {
    await services.stop();
  }
}

main().catch(exitWithReason);

/**
 * `npm run bench`: every benchmark scenario, one after the other (each is also its own npm script),
 * with a progress line while they run. Each scenario writes its own section of
 * docs/benchmarks.md (`--write-docs`); the suite then writes its own section: the machine, each
 * scenario's command, how long it took and whether it finished. The figures against their targets
 * are in each scenario's section and the reading notes beside it.
 *
 *   npm run bench                          # every scenario at full size (about an hour here)
 *   npm run bench -- --only api,ingest     # some of them
 *   npm run bench -- --quick               # every scenario at a tiny size, docs untouched
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/config';
import { machineDescription, writeDocsSection } from './docsSection';

export interface Scenario {
  name: string;
  /** The npm script that runs it alone. */
  script: string;
  /** What it measures (and its target, issue 13). */
  measures: string;
  full: string[];
  quick: string[];
  /** Settings the scenario runs with. */
  env?: Record<string, string>;
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'api',
    script: 'bench:api',
    measures: 'authenticated API reads ÷ a bare Koa handler (target 0.60–0.76)',
    full: ['--duration', '8', '--connections', '10'],
    quick: ['--duration', '1', '--connections', '2'],
  },
  {
    name: 'ingest',
    script: 'bench:ingest',
    measures: 'snapshot ingest ÷ raw COPY (target ≥ 0.25)',
    full: ['--videos', '20000', '--slots', '10', '--batch-size', '50', '--concurrency', '8'],
    quick: ['--videos', '200', '--slots', '2'],
  },
  {
    name: 'trend-analysis',
    script: 'bench:trend-analysis',
    measures: 'trend analysis over 1.2 M snapshot rows (target ≤ 0.5 s)',
    full: ['--snapshots', '1200000', '--runs', '7'],
    quick: ['--videos', '1000', '--runs', '1'],
  },
  {
    name: 'monitors',
    script: 'bench:trends',
    measures:
      'open monitors on the dev server at steady state: lateness p99 (< 60 s), ids per videos.list call (≥ 48), memory per cached workflow (≤ 150 KB)',
    full: ['--monitors', '50000', '--interval-ms', '7200000', '--observe-s', '900'],
    quick: ['--monitors', '200', '--interval-ms', '20000', '--observe-s', '20'],
  },
  {
    name: 'workflow-memory',
    script: 'bench:workflow-memory',
    measures: "the SDK's own memory per cached workflow (the floor under the ≤ 150 KB target)",
    full: ['--workflows', '2000'],
    quick: ['--workflows', '20'],
  },
  {
    name: 'monitors-server',
    script: 'bench:trends',
    measures: 'the same on the production Temporal server (PostgreSQL), side by side with the dev server',
    full: ['--monitors', '10000', '--interval-ms', '1200000', '--observe-s', '600', '--engine', 'server'],
    quick: ['--monitors', '200', '--interval-ms', '20000', '--observe-s', '20', '--engine', 'server'],
    // Its own address, so a dev server already running on the default one is left alone.
    env: { TEMPORAL_ENGINE: 'server', TEMPORAL_ADDRESS: '127.0.0.1:7333' },
  },
  {
    name: 'trend-quality',
    script: 'bench:trend-quality',
    measures: 'Trend Watch recall, precision and lead on five seeds (issue 12)',
    full: ['--seeds', '1,2,3,4,5', '--wake-minutes', '10'],
    quick: ['--seeds', '1', '--days', '1', '--warmup-hours', '24', '--creators', '60'],
  },
];

interface Outcome {
  scenario: Scenario;
  command: string;
  seconds: number;
  ok: boolean;
  lastLine: string;
}

const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

/** Runs one scenario as `npm run <script>`, its output in this terminal; resolves with how it ended. */
function runScenario(scenario: Scenario, args: string[], onLine: (line: string) => void): Promise<{ ok: boolean; lastLine: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', scenario.script, '--', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...scenario.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lastLine = '';
    const forward = (chunk: Buffer, to: NodeJS.WriteStream) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        lastLine = line;
        onLine(line);
        to.write(`  ${line}\n`);
      }
    };
    child.stdout.on('data', (chunk: Buffer) => forward(chunk, process.stdout));
    child.stderr.on('data', (chunk: Buffer) => forward(chunk, process.stderr));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ ok: code === 0, lastLine }));
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
  });
  const names = values.only?.split(',').map((s) => s.trim());
  const unknown = names?.filter((n) => !SCENARIOS.some((s) => s.name === n)) ?? [];
  if (unknown.length) {
    console.error(`unknown scenario ${unknown.join(', ')}; the scenarios are ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const chosen = SCENARIOS.filter((s) => !names || names.includes(s.name));
  const started = Date.now();
  const outcomes: Outcome[] = [];
  for (const [i, scenario] of chosen.entries()) {
    const args = [...(values.quick ? scenario.quick : scenario.full), ...(values.quick ? [] : ['--write-docs'])];
    const settings = Object.entries(scenario.env ?? {}).map(([k, v]) => `${k}=${v} `);
    const command = `${settings.join('')}npm run ${scenario.script} -- ${args.join(' ')}`;
    const scenarioStart = Date.now();
    let latest = '';
    const progress = () =>
      process.stderr.write(
        `[bench] ${i + 1}/${chosen.length} ${scenario.name} · ${clock((Date.now() - scenarioStart) / 1000)} · ` +
          `suite ${clock((Date.now() - started) / 1000)}${latest ? ` · ${latest.slice(0, 100)}` : ''}\n`,
      );
    progress();
    const ticker = setInterval(progress, 15_000);
    const { ok, lastLine } = await runScenario(scenario, args, (line) => (latest = line)).finally(() => clearInterval(ticker));
    outcomes.push({ scenario, command, seconds: (Date.now() - scenarioStart) / 1000, ok, lastLine });
    process.stderr.write(`[bench] ${scenario.name} ${ok ? 'finished' : 'FAILED'} in ${clock((Date.now() - scenarioStart) / 1000)}\n`);
  }

  const table = [
    '| scenario | measures | command | took | finished |',
    '| --- | --- | --- | --- | --- |',
    ...outcomes.map(
      (o) => `| ${o.scenario.name} | ${o.scenario.measures} | \`${o.command}\` | ${clock(o.seconds)} | ${o.ok ? 'yes' : 'no'} |`,
    ),
  ].join('\n');
  console.log(`\n${table}`);
  if (!values.quick && !names) {
    const body = [
      '## The suite',
      '',
      `Machine: ${machineDescription()}. Command: \`npm run bench\` (every scenario below, one after the other, each writing its own section).`,
      '',
      table,
    ].join('\n');
    console.log(`wrote ${await writeDocsSection('bench:suite', body)}`);
  }
  const failed = outcomes.filter((o) => !o.ok);
  for (const o of failed) console.error(`[bench] ${o.scenario.name} failed: ${o.lastLine}`);
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

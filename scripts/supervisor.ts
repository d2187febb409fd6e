/**
 * Keeps the processes of `npm start` alive: a child that dies (a crash, an OOM kill, `kill -9`)
 * is started again after a backoff that doubles on each quick failure (1 s, 2 s, 4 s … capped),
 * and the reason is logged. A child that ran long enough counts as healthy again, so one crash a
 * day never escalates to the cap. `stop()` ends the restarts and every child, gently then firmly.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  options?: SpawnOptions;
}

export interface SupervisorOptions {
  log: (line: string) => void;
  /** First restart delay; doubled for each crash that follows a short run. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A child that ran at least this long before dying restarts after the initial delay again. */
  healthyAfterMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. */
  killAfterMs?: number;
}

interface Supervised {
  spec: ChildSpec;
  child: ChildProcess;
  startedAt: number;
  backoffMs: number;
  restarts: number;
  restartTimer?: NodeJS.Timeout;
}

export class Supervisor {
  private readonly children = new Map<string, Supervised>();
  private stopping = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly healthyAfterMs: number;
  private readonly killAfterMs: number;

  constructor(private readonly opts: SupervisorOptions) {
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.healthyAfterMs = opts.healthyAfterMs ?? 60_000;
    this.killAfterMs = opts.killAfterMs ?? 15_000;
  }

  start(spec: ChildSpec): void {
    const entry: Supervised = { spec, child: this.spawn(spec), startedAt: Date.now(), backoffMs: this.initialBackoffMs, restarts: 0 };
    this.children.set(spec.name, entry);
    this.watch(entry);
  }

  /** The live process of a child (a new one after each restart). */
  process(name: string): ChildProcess | undefined {
    return this.children.get(name)?.child;
  }

  restarts(name: string): number {
    return this.children.get(name)?.restarts ?? 0;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const entries = [...this.children.values()];
    for (const entry of entries) clearTimeout(entry.restartTimer);
    const running = entries.map((e) => e.child).filter((c) => c.exitCode === null && c.signalCode === null);
    for (const child of running) child.kill('SIGTERM');
    const force = setTimeout(() => running.forEach((c) => c.kill('SIGKILL')), this.killAfterMs);
    await Promise.all(
      running.map(
        (c) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve()))),
      ),
    );
    clearTimeout(force);
  }

  private spawn(spec: ChildSpec): ChildProcess {
    const child = spawn(spec.command, spec.args, { stdio: 'inherit', ...spec.options });
    // A spawn failure (missing binary) also ends in 'exit' or 'close'; the error itself is logged here.
    child.on('error', (err) => this.opts.log(`${spec.name} could not start: ${err.message}`));
    return child;
  }

  private watch(entry: Supervised): void {
    entry.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const ranMs = Date.now() - entry.startedAt;
      if (ranMs >= this.healthyAfterMs) entry.backoffMs = this.initialBackoffMs;
      const delay = entry.backoffMs;
      entry.backoffMs = Math.min(entry.backoffMs * 2, this.maxBackoffMs);
      const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.opts.log(`${entry.spec.name} ${why} after ${(ranMs / 1000).toFixed(1)} s; restarting in ${delay} ms`);
      entry.restartTimer = setTimeout(() => {
        if (this.stopping) return;
        entry.child = this.spawn(entry.spec);
        entry.startedAt = Date.now();
        entry.restarts++;
        this.opts.log(`${entry.spec.name} restarted (pid ${entry.child.pid}, restart #${entry.restarts})`);
        this.watch(entry);
      }, delay);
    });
  }
}

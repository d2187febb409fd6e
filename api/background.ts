/**
 * Work an API process does after it has answered: account mail (a password reset's lookup, token
 * and mail; verification and notice mails) and best-effort clean-ups. The answer never waits for
 * it, so it cannot tell by its timing whether an account exists, and a slow SMTP server never
 * holds a request.
 *
 * Bounded (MAX_PENDING tasks at once; more are refused and logged, the per-IP and per-email limits
 * keep far below that) and drained on shutdown, so a stopping process finishes what it started
 * before it closes its connections.
 */
import type { Logger } from '../lib/logger';

const MAX_PENDING = 500;

export class BackgroundTasks {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly logger: Logger,
    private readonly maxPending = MAX_PENDING,
  ) {}

  /** Starts `work` without waiting for it; false (and logged) when too many tasks are pending. Errors are logged. */
  run(what: string, work: () => Promise<unknown>): boolean {
    if (this.pending.size >= this.maxPending) {
      this.logger.error({ what, pending: this.pending.size }, 'background task dropped: too many pending');
      return false;
    }
    const task: Promise<void> = Promise.resolve()
      .then(work)
      .then(
        () => undefined,
        (err: unknown) => this.logger.error({ err, what }, 'background task failed'),
      )
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
    return true;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves when every task started so far (and any they start) has ended, or after timeoutMs. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.pending]),
        new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
      ]);
      clearTimeout(timer);
    }
  }
}

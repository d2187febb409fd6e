/**
 * Readiness of the API's dependencies. Each probe has its own short deadline, so a stopped
 * PostgreSQL or an unreachable Temporal makes /api/ready answer 503 quickly instead of hanging.
 * `error` is for the log only: it may carry addresses and driver messages.
 */
import type { ApiDeps } from '../deps';

export type DependencyName = 'postgres' | 'redis' | 'temporal';

export interface DependencyStatus {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

const PROBE_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<unknown>): Promise<DependencyStatus> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (err as Error).message || String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkDependencies({
  db,
  redis,
  temporal,
}: Pick<ApiDeps, 'db' | 'redis' | 'temporal'>): Promise<Record<DependencyName, DependencyStatus>> {
  const [postgres, redisStatus, temporalStatus] = await Promise.all([
    probe(() => db.raw('select 1')),
    probe(async () => {
      // Just after start-up the client may still be connecting: give it the probe's time.
      if (['wait', 'connecting', 'connect'].includes(redis.status)) await new Promise((resolve) => redis.once('ready', resolve));
      await redis.ping();
    }),
    probe(async () => {
      // Not ensureConnected(): the SDK memoizes its first failure, so a probe through it would
      // stay down after Temporal came back. A failed call makes RecoveringTemporal reconnect.
      const { connection } = temporal;
      const res = await connection.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () => connection.healthService.check({}));
      if (res.status !== 1) throw new Error('frontend is not serving');
    }),
  ]);
  return { postgres, redis: redisStatus, temporal: temporalStatus };
}

/**
 * The worker's own metrics (prom-client): how late monitors' snapshots land against their grid
 * instants and how full their batches are. Benchmarks read them in process; a /metrics endpoint
 * for the worker can serve `workerMetrics` as it is.
 */
import { Counter, Histogram, Registry } from 'prom-client';

export const workerMetrics = new Registry();

export const snapshotLateness = new Histogram({
  name: 'trend_snapshot_lateness_seconds',
  help: "Time from a monitor slot's grid instant to its snapshot row",
  labelNames: ['platform'],
  buckets: [0.5, 1, 2, 3, 5, 10, 15, 20, 30, 40, 50, 60, 90, 120, 300, 900, 3600],
  registers: [workerMetrics],
});

export const snapshotBatchSize = new Histogram({
  name: 'trend_snapshot_batch_size',
  help: 'Wake-ups served by one snapshot batch (one platform call, one write)',
  labelNames: ['platform'],
  buckets: [1, 5, 10, 20, 30, 40, 45, 48, 50, 100],
  registers: [workerMetrics],
});

export const snapshotFailures = new Counter({
  name: 'trend_snapshot_failures_total',
  help: 'Snapshots that failed (the monitor records a gap or ends), by platform and failure kind',
  labelNames: ['platform', 'kind'],
  registers: [workerMetrics],
});

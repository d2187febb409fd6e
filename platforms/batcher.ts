/**
 * The stats batcher: concurrent requests for one platform within a short window (or until a
 * batch is full) share one upstream getVideoStats call. Each caller gets its own result, or its
 * own error: an id the platform does not return fails only its caller (not_found), an id the
 * platform could not settle fails with the adapter's own error for it (e.g. unavailable); an upstream
 * failure fails the callers of that batch. Built on DataLoader, which does exactly this. A full
 * batch still waits for the end of its window (DataLoader schedules batches, not fills).
 */
import DataLoader from 'dataloader';
import { PlatformError } from './errors';
import type { PlatformClient, VideoStats } from './types';

export interface BatcherOptions {
  /** How long to gather ids before calling upstream. */
  windowMs: number;
  /** Upper bound on ids per call (default: the platform's own limit). */
  maxBatchSize?: number;
}

export class StatsBatcher {
  /** Upstream calls made and ids sent, for metrics and benchmarks. */
  upstreamCalls = 0;
  idsRequested = 0;
  private readonly loader: DataLoader<string, VideoStats>;

  constructor(
    private readonly client: PlatformClient,
    { windowMs, maxBatchSize }: BatcherOptions,
  ) {
    this.loader = new DataLoader<string, VideoStats>((ids) => this.load(ids), {
      cache: false, // every request wants fresh numbers
      maxBatchSize: Math.min(maxBatchSize ?? client.capabilities.maxBatchSize, client.capabilities.maxBatchSize),
      batchScheduleFn: (callback) => setTimeout(callback, windowMs),
    });
  }

  private async load(ids: readonly string[]): Promise<(VideoStats | Error)[]> {
    const unique = [...new Set(ids)];
    this.upstreamCalls++;
    this.idsRequested += unique.length;
    const found = await this.client.getVideoStats(unique);
    return ids.map(
      (id) =>
        found.get(id) ?? new PlatformError(this.client.platform, 'not_found', `video ${id} not found (deleted, private or never existed)`),
    );
  }

  get(id: string): Promise<VideoStats> {
    return this.loader.load(id);
  }

  /** Several ids at once; each settles on its own (an error is a value in the map). */
  async getMany(ids: string[]): Promise<Map<string, VideoStats | PlatformError>> {
    const settled = await this.loader.loadMany(ids);
    return new Map(ids.map((id, i) => [id, this.asResult(settled[i])]));
  }

  /** Adapters only throw PlatformError; anything else is a bug in one, reported as such. */
  private asResult(value: VideoStats | Error | undefined): VideoStats | PlatformError {
    if (value instanceof PlatformError || (value && !(value instanceof Error))) return value;
    return new PlatformError(this.client.platform, 'bad_input', `stats failed: ${value?.message ?? 'no result'}`);
  }
}

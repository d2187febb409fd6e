/**
 * Publishing a live event: one Lua script appends it to its audience's bounded Redis stream
 * (XADD MAXLEN ~ SSE_REPLAY_EVENTS, the replay of reconnecting clients) and publishes it on the
 * stream's pub/sub channel with the entry id (the live fan-out to every API process), atomically:
 * the channel carries every stream entry, in stream order, and nothing else.
 *
 * An event with a `key` is published once per audience (the key is remembered for a day), so an
 * activity that Temporal retries does not announce the same thing twice.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { audienceName, audienceStreamKey, type ProductEvent, type ProductEventInput } from '../lib/domain/events';
import type { Logger } from '../lib/logger';

/** Entries kept per audience stream when the caller does not say (SSE_REPLAY_EVENTS' default). */
export const DEFAULT_REPLAY_EVENTS = 1000;
/** A stream nobody published to for this long is dropped (a deleted user's, an idle tenant's). */
export const STREAM_IDLE_TTL_MS = 7 * 24 * 3600 * 1000;
/** How long a published key is remembered (retries of one activity come well within it). */
const ONCE_TTL_SECONDS = 24 * 3600;
/** Largest event accepted: events are notices, not documents. */
export const MAX_EVENT_BYTES = 64 * 1024;

export interface EventDeps {
  redis: Redis;
  logger: Logger;
  /** Entries kept per audience stream (SSE_REPLAY_EVENTS); DEFAULT_REPLAY_EVENTS when absent. */
  sseReplayEvents?: number;
}

// KEYS[1]: the audience's stream, also its channel; KEYS[2] (optional): the key's once-marker.
// ARGV: max length, event type, event JSON, stream idle TTL (ms), once TTL (s). Returns the entry
// id (an earlier one when the key was published already). Entries hold the type (t) beside the
// event (e), and the channel gets "<id> <type> <event>", so nobody parses JSON to route an event.
const PUBLISH_SCRIPT = `
if KEYS[2] then
  local earlier = redis.call('GET', KEYS[2])
  if earlier then return earlier end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 't', ARGV[2], 'e', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if KEYS[2] then redis.call('SET', KEYS[2], id, 'EX', ARGV[5]) end
redis.call('PUBLISH', KEYS[1], id .. ' ' .. ARGV[2] .. ' ' .. ARGV[3])
return id
`;

const onceKey = (stream: string, key: string) => `events:once:${stream}:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;

/**
 * Appends the event to its audience's stream and fans it out live; the entry id, or null when it
 * could not be published (Redis down, an oversized event). Never throws: an event is a notice, and
 * whatever produced it has already happened.
 */
export async function publishEvent(deps: EventDeps, input: ProductEventInput): Promise<string | null> {
  const stream = audienceStreamKey(input.audience);
  const event: ProductEvent = {
    type: input.type,
    at: new Date().toISOString(),
    audience: audienceName(input.audience),
    ...(input.key ? { key: input.key } : {}),
    data: input.data,
  };
  const json = JSON.stringify(event);
  if (Buffer.byteLength(json) > MAX_EVENT_BYTES) {
    deps.logger.warn({ type: input.type, bytes: Buffer.byteLength(json) }, 'event not published: larger than MAX_EVENT_BYTES');
    return null;
  }
  const keys = input.key ? [stream, onceKey(stream, input.key)] : [stream];
  try {
    const id = (await deps.redis.eval(
      PUBLISH_SCRIPT,
      keys.length,
      ...keys,
      String(deps.sseReplayEvents ?? DEFAULT_REPLAY_EVENTS),
      input.type,
      json,
      String(STREAM_IDLE_TTL_MS),
      String(ONCE_TTL_SECONDS),
    )) as string;
    return id;
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message, type: input.type, stream }, 'event not published');
    return null;
  }
}

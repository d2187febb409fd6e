/**
 * Fault injection and call counting around a worker's real dependencies: platforms that answer
 * like an outage (a retryable 503) while `platformDown` is set, and a database whose
 * transactions fail to connect while `dbDown` is set. Every platform call is recorded with its
 * first argument (creator ref or id), so a test can tell which blogger called what.
 */
import type { Knex } from 'knex';
import type { Platforms } from '../platforms';
import { PlatformError } from '../platforms/errors';
import type { PlatformClient, PlatformName } from '../platforms/types';

export interface Faults {
  platformDown: boolean;
  dbDown: boolean;
  /** Platform calls that reached the platform: method and first argument. */
  calls: { platform: PlatformName; method: string; key: string }[];
  /** Calls refused by an injected fault. */
  failures: { platform: number; db: number };
}

export function newFaults(): Faults {
  return { platformDown: false, dbDown: false, calls: [], failures: { platform: 0, db: 0 } };
}

/** How many platform calls named this key (a creator's resolved id or handle). */
export function callsFor(faults: Faults, key: string): number {
  return faults.calls.filter((c) => c.key.includes(key)).length;
}

function guard(faults: Faults, platform: PlatformName, method: string, key: unknown): void {
  if (faults.platformDown) {
    faults.failures.platform++;
    throw new PlatformError(platform, 'retryable', 'HTTP 503 Service Unavailable (injected)', { status: 503 });
  }
  faults.calls.push({ platform, method, key: JSON.stringify(key) });
}

export function faultyPlatforms(real: Platforms, faults: Faults): Platforms {
  const client = (platform: PlatformName): PlatformClient => {
    const inner = real.client(platform);
    return new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          guard(faults, platform, String(prop), args[0]);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  };
  return {
    ...real,
    client,
    stats: (platform) => ({
      get: async (id: string) => {
        guard(faults, platform, 'stats', id);
        return real.stats(platform).get(id);
      },
      getMany: async (ids: string[]) => {
        guard(faults, platform, 'stats', ids);
        return real.stats(platform).getMany(ids);
      },
    }),
  };
}

export function faultyDb(real: Knex, faults: Faults): Knex {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'transaction' && faults.dbDown) {
        return () => {
          faults.failures.db++;
          return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432 (injected)'), { code: 'ECONNREFUSED' }));
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

/** Runs the real API in-process on port 0 against the test services. */
import type { ApiDeps } from '../api/deps';
import { createApiDeps, startApi, type RunningApi } from '../api/server';
import type { Config } from '../lib/config';
import { testConfig, testLogger } from './harness';

export interface TestApi extends RunningApi {
  deps: ApiDeps;
  /** fetch against the API with a JSON body and Authorization header when given. */
  request(method: string, path: string, opts?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<TestResponse>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
}

export async function startTestApi(config: Partial<Config> = {}, overrides: Partial<ApiDeps> = {}): Promise<TestApi> {
  const deps = createApiDeps({ ...testConfig, ...config }, testLogger, overrides);
  const api = await startApi(deps, 0, '127.0.0.1');
  return {
    ...api,
    deps,
    async request(method, path, { body, token, headers = {} } = {}) {
      const res = await fetch(`${api.url}${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
  };
}

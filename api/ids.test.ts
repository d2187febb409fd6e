/**
 * Ids beyond PostgreSQL's integer range are unknown ids (404), not server errors; malformed ids
 * are 400. Every route with an :id parameter is found by enumerating the app's routers, so a new
 * one is covered without being listed here.
 */
import assert from 'node:assert/strict';
import type Router from '@koa/router';
import { User } from '../db/models';
import { startTestApi, type TestApi } from '../test/api';
import { testDb } from '../test/harness';
import { createUser, type TestUser } from '../test/users';
import { buildApp } from './app';

/** Bodies that pass validation, so that only the id decides the answer. */
const VALID_BODIES: Record<string, unknown> = {
  'PUT /api/bloggers/:id': { name: 'renamed' },
  'PUT /api/admin/users/:id': { plan: 'pro' },
  'PATCH /api/alerts/:id': { name: 'renamed' },
  'PATCH /api/webhooks/:id': { description: 'renamed' },
};

const TOO_LARGE = ['2147483648', '99999999999999999999', '000002147483648'];
const MALFORMED = ['abc', '-1', '0', '1.5', '1e3', '0x10', '99999999999999999999x', '%20'];

interface IdRoute {
  key: string;
  method: string;
  pattern: string;
}

/** The app's routes whose path passes `wanted` (every router, so a new route is covered without being listed). */
function appRoutes(api: TestApi, wanted: (path: string, methods: string[]) => boolean): IdRoute[] {
  const routers = buildApp(api.deps).middleware.flatMap((mw) => (mw as unknown as { router?: Router }).router ?? []);
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) =>
      wanted(String(layer.path), layer.methods)
        ? layer.methods
            .filter((m) => m !== 'HEAD')
            .map((method) => ({ key: `${method} ${String(layer.path)}`, method, pattern: String(layer.path) }))
        : [],
    ),
  );
}

const idRoutes = (api: TestApi) => appRoutes(api, (path) => path.includes(':id'));

describe('ids out of range', () => {
  let api: TestApi;
  let user: TestUser;
  let admin: TestUser;
  let routes: IdRoute[];

  before(async () => {
    api = await startTestApi();
    user = await createUser(api, { plan: 'pro' });
    admin = await createUser(api, { role: 'admin', plan: 'enterprise' });
    routes = idRoutes(api);
  });
  after(async () => {
    await User.query(testDb())
      .whereIn(
        'id',
        [user?.id, admin?.id].filter((id): id is number => id !== undefined),
      )
      .delete();
    await api.close();
  });

  const call = (route: IdRoute, id: string) => {
    const token = route.pattern.startsWith('/api/admin/') ? admin.accessToken : user.accessToken;
    const path = route.pattern.replace(':id', id).replace(':videoId', 'some-video').replace(':deliveryId', '1');
    const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? (VALID_BODIES[route.key] ?? {}) : undefined;
    return api.request(route.method, path, { token, body });
  };

  it('when the routers are enumerated, then the blogger and admin user id routes are among them', () => {
    const keys = routes.map((r) => r.key);
    for (const key of ['GET /api/bloggers/:id', 'POST /api/bloggers/:id/sync', 'PUT /api/admin/users/:id', 'DELETE /api/admin/users/:id'])
      assert.ok(keys.includes(key), key);
  });

  it('when any id route is given an id beyond 2^31-1, then 404 exactly as for an unknown id', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      const unknown = await call(route, '2147483000');
      for (const id of TOO_LARGE) {
        const res = await call(route, id);
        if (res.status !== 404 || res.body?.error?.message !== unknown.body?.error?.message) {
          failures.push(
            `${route.method} ${id} on ${route.pattern}: ${res.status} ${JSON.stringify(res.body)} (unknown id: ${unknown.status} ${JSON.stringify(unknown.body)})`,
          );
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it('when any update route (PUT, PATCH) gets an empty body, then 400 naming the fields it takes, never a 200 that changed nothing', async () => {
    const updates = appRoutes(api, (_path, methods) => methods.some((m) => m === 'PUT' || m === 'PATCH')).filter(
      (r) => r.method === 'PUT' || r.method === 'PATCH',
    );
    assert.ok(updates.some((r) => r.key === 'PATCH /api/auth/me'));
    const failures: string[] = [];
    for (const route of updates) {
      const token = route.pattern.startsWith('/api/admin/') ? admin.accessToken : user.accessToken;
      const res = await api.request(route.method, route.pattern.replace(':id', String(user.id)), { token, body: {} });
      if (res.status !== 400 || !/^give at least one of \w+/.test(res.body?.error?.details?.[0]?.message ?? ''))
        failures.push(`${route.key}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    assert.deepEqual(failures, []);
  });

  it('when any id route is given a malformed id, then 400 naming params.id', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      for (const id of MALFORMED) {
        const res = await call(route, id);
        if (res.status !== 400 || res.body?.error?.details?.[0]?.path !== 'params.id')
          failures.push(`${route.method} ${id} on ${route.pattern}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('when the audit log is filtered by an actor id beyond 2^31-1, then no entries (and a malformed one is 400)', async () => {
    for (const id of TOO_LARGE) {
      const res = await api.request('GET', `/api/admin/logs?actorId=${id}`, { token: admin.accessToken });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.data, []);
      assert.equal(res.body.pagination.total, 0);
    }
    const bad = await api.request('GET', '/api/admin/logs?actorId=12abc', { token: admin.accessToken });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].path, 'query.actorId');
  });

  it('when a list is asked for a page number beyond any offset, then 400 naming query.page, never 500', async () => {
    for (const [path, token] of [
      ['/api/bloggers', user.accessToken],
      ['/api/admin/users', admin.accessToken],
      ['/api/admin/logs', admin.accessToken],
      ['/api/trends/videos', user.accessToken],
    ] as const) {
      for (const page of ['2147483648', '99999999999999999999']) {
        const res = await api.request('GET', `${path}?page=${page}`, { token });
        assert.equal(res.status, 400, `${path}?page=${page}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.details[0].path, 'query.page');
      }
    }
  });
});

/**
 * Who may call what, for every route the app registers. The table below declares each route's
 * access level; the test enumerates the routers of the built app (router.stack), so a route that
 * is added without an entry here fails, and so does one whose guard does not match its entry.
 */
import assert from 'node:assert/strict';
import type Router from '@koa/router';
import { User } from '../db/models';
import { WORKFLOW_TYPES } from '../temporal/contract';
import { startTestApi, type TestApi, type TestResponse } from '../test/api';
import { terminateRunning, testDb } from '../test/harness';
import { openSse } from '../test/sse';
import { createUser, type TestUser } from '../test/users';
import { buildApp } from './app';

type Access = 'public' | 'user' | 'admin';

/** Every route of the API, as "METHOD path" with the router's path pattern, and its access level. */
const ROUTE_ACCESS: Record<string, Access> = {
  'GET /api/health': 'public',
  'GET /api/ready': 'public',

  'POST /api/auth/register': 'public',
  'POST /api/auth/login': 'public',
  'POST /api/auth/refresh': 'public',
  'POST /api/auth/logout': 'user',
  'GET /api/auth/me': 'user',
  'PATCH /api/auth/me': 'user',
  'POST /api/auth/password-reset': 'public',
  'POST /api/auth/password-reset/confirm': 'public',
  'POST /api/auth/verify-email': 'public',
  'POST /api/auth/password': 'user',
  'POST /api/auth/verify-email/resend': 'user',
  'DELETE /api/auth/me': 'user',
  'GET /api/auth/me/export': 'user',

  'GET /api/bloggers': 'user',
  'POST /api/bloggers': 'user',
  'GET /api/bloggers/:id': 'user',
  'PUT /api/bloggers/:id': 'user',
  'DELETE /api/bloggers/:id': 'user',
  'GET /api/bloggers/:id/stats': 'user',
  'GET /api/bloggers/:id/videos': 'user',
  'GET /api/bloggers/:id/videos/:videoId/history': 'user',
  'POST /api/bloggers/:id/sync': 'user',
  'POST /api/bloggers/:id/pause': 'user',
  'POST /api/bloggers/:id/resume': 'user',

  'GET /api/stats': 'user',

  'GET /api/stream': 'user',
  'POST /api/stream/ticket': 'user',

  'GET /api/alerts': 'user',
  'POST /api/alerts': 'user',
  'GET /api/alerts/:id': 'user',
  'PATCH /api/alerts/:id': 'user',
  'DELETE /api/alerts/:id': 'user',
  'GET /api/alerts/:id/firings': 'user',

  'GET /api/webhooks': 'user',
  'POST /api/webhooks': 'user',
  'GET /api/webhooks/:id': 'user',
  'PATCH /api/webhooks/:id': 'user',
  'DELETE /api/webhooks/:id': 'user',
  'POST /api/webhooks/:id/rotate-secret': 'user',
  'POST /api/webhooks/:id/test': 'user',
  'GET /api/webhooks/:id/deliveries': 'user',
  'POST /api/webhooks/:id/deliveries/:deliveryId/redeliver': 'user',

  'GET /api/trends/discover': 'user',
  'POST /api/trends/discover': 'user',
  'GET /api/trends/videos': 'user',
  'GET /api/trends/trending': 'user',
  'GET /api/trends/trending/:id/videos': 'user',
  'GET /api/trends/topics': 'user',

  'GET /api/admin/users': 'admin',
  'PUT /api/admin/users/:id': 'admin',
  'DELETE /api/admin/users/:id': 'admin',
  'GET /api/admin/stats': 'admin',
  'GET /api/admin/logs': 'admin',
  'GET /api/admin/schedules': 'admin',
  'POST /api/admin/schedules/:name/pause': 'admin',
  'POST /api/admin/schedules/:name/unpause': 'admin',
  'POST /api/admin/schedules/:name/trigger': 'admin',
  'POST /api/admin/schedules/:name/backfill': 'admin',
  'GET /api/admin/monitors/:platform/:videoId': 'admin',
  'POST /api/admin/monitors/:platform/:videoId/pause': 'admin',
  'POST /api/admin/monitors/:platform/:videoId/resume': 'admin',
  'POST /api/admin/monitors/:platform/:videoId/stop': 'admin',
  'POST /api/admin/monitors/:platform/:videoId/reset': 'admin',
};

/**
 * Parameter values that name nothing (an unknown schedule name is a 400), so that an admin or user
 * who gets past the guard changes nothing.
 */
const SAMPLE_PARAMS: Record<string, string> = {
  id: '2147483000',
  name: 'no-such-schedule',
  platform: 'youtube',
  videoId: 'no-such-video',
  deliveryId: '2147483000',
};

interface RouteUnderTest {
  key: string;
  method: string;
  pattern: string;
  path: string;
}

function mountedRouters(api: TestApi): Router[] {
  const app = buildApp(api.deps);
  return app.middleware.flatMap((mw) => (mw as unknown as { router?: Router }).router ?? []);
}

function registeredRoutes(routers: Router[]): RouteUnderTest[] {
  const routes: RouteUnderTest[] = [];
  for (const router of routers) {
    for (const layer of router.stack) {
      for (const method of layer.methods) {
        if (method === 'HEAD') continue; // @koa/router adds HEAD to every GET
        const pattern = String(layer.path);
        const path = pattern.replace(/:(\w+)/g, (_, name: string) => {
          if (!(name in SAMPLE_PARAMS))
            throw new Error(`no sample value for route parameter :${name} of ${method} ${pattern}: add one to SAMPLE_PARAMS`);
          return SAMPLE_PARAMS[name]!;
        });
        routes.push({ key: `${method} ${pattern}`, method, pattern, path });
      }
    }
  }
  return routes;
}

/** Other spellings of a route's path (letter case, encoding, trailing slash) that must match no route. */
function variants({ pattern, path }: RouteUnderTest): string[] {
  const segments = path.split('/');
  const fixed = pattern.split('/').map((s) => !s.startsWith(':')); // parameter values may be anything
  const out = new Set<string>([`${path}/`]);
  segments.forEach((segment, i) => {
    if (!fixed[i] || !/^[a-z]/.test(segment)) return;
    out.add(segments.map((s, j) => (j === i ? s.toUpperCase() : s)).join('/'));
    out.add(segments.map((s, j) => (j === i ? s[0]!.toUpperCase() + s.slice(1) : s)).join('/'));
    // A percent-encoded letter: the router matches the raw path, so this is another spelling, not the route.
    out.add(segments.map((s, j) => (j === i ? `%${s.charCodeAt(0).toString(16)}${s.slice(1)}` : s)).join('/'));
  });
  out.delete(path);
  return [...out];
}

const describeStatus = (res: TestResponse) => `${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`;

describe('route access', () => {
  let api: TestApi;
  let routers: Router[];
  let routes: RouteUnderTest[];
  let user: TestUser;
  let admin: TestUser;

  before(async () => {
    api = await startTestApi();
    routers = mountedRouters(api);
    routes = registeredRoutes(routers);
    // A plan with Trend Watch: a user route may answer 403 only to callers who are not logged in as a user.
    user = await createUser(api, { plan: 'pro' });
    admin = await createUser(api, { role: 'admin', plan: 'enterprise' });
  });
  after(async () => {
    await terminateRunning(WORKFLOW_TYPES.trendDiscovery); // POST /api/trends/discover starts one
    await User.query(testDb())
      .whereIn(
        'email',
        [user, admin].filter(Boolean).map((u) => u.email),
      )
      .delete();
    await api.close();
  });

  /** A fresh session per request, so a route that ends a session (logout) cannot spoil the next. */
  async function tokenOf(who: TestUser): Promise<string> {
    const res = await api.request('POST', '/api/auth/login', { body: { email: who.email, password: who.password } });
    assert.equal(res.status, 200, describeStatus(res));
    return res.body.accessToken as string;
  }

  /** Routes whose answer is an endless event stream: its status is the answer, and the stream is closed at once. */
  const STREAMING_ROUTES = new Set(['GET /api/stream']);

  const call = async (route: RouteUnderTest, token?: string, path = route.path): Promise<TestResponse> => {
    if (STREAMING_ROUTES.has(route.key) && path === route.path) {
      const stream = await openSse(`${api.url}${path}`, { token });
      stream.close();
      return { status: stream.status, headers: stream.headers, body: stream.body };
    }
    return api.request(route.method, path, { token, body: ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined });
  };

  it('when the routers are enumerated, then each matches case-sensitively and strictly (trailing slash significant)', () => {
    assert.ok(routers.length >= 7, `only ${routers.length} routers found`);
    for (const router of routers) {
      assert.equal(router.opts.sensitive, true, `router ${router.opts.prefix} is not case-sensitive (build it with apiRouter)`);
      assert.equal(router.opts.strict, true, `router ${router.opts.prefix} is not strict (build it with apiRouter)`);
    }
  });

  it('when the routers are enumerated, then every route has a declared access level and every declared route exists', () => {
    const registered = new Set(routes.map((r) => r.key));
    const undeclared = [...registered].filter((key) => !(key in ROUTE_ACCESS));
    assert.deepEqual(undeclared, [], 'routes without an access level: declare them in ROUTE_ACCESS');
    const stale = Object.keys(ROUTE_ACCESS).filter((key) => !registered.has(key));
    assert.deepEqual(stale, [], 'declared routes that no router registers');
  });

  it('when every route is called with no token, a user token and an admin token, then each answers as its access level says', async function () {
    this.timeout(60_000);
    const failures: string[] = [];
    const expect = (ok: boolean, what: string, res: TestResponse) => {
      if (!ok) failures.push(`${what}: ${describeStatus(res)}`);
    };
    for (const route of routes) {
      const access = ROUTE_ACCESS[route.key];
      if (!access) continue; // reported by the test above
      const anonymous = await call(route);
      const asUser = await call(route, await tokenOf(user));
      const asAdmin = await call(route, await tokenOf(admin));
      const passed = (res: TestResponse) => res.status !== 401 && res.status !== 403 && res.status < 500;
      if (access === 'public') {
        expect(passed(anonymous), `${route.key} (public) anonymously`, anonymous);
        expect(passed(asUser), `${route.key} (public) as a user`, asUser);
        expect(passed(asAdmin), `${route.key} (public) as an admin`, asAdmin);
      } else if (access === 'user') {
        expect(anonymous.status === 401, `${route.key} (user) anonymously must be 401`, anonymous);
        expect(passed(asUser), `${route.key} (user) as a user`, asUser);
        expect(passed(asAdmin), `${route.key} (user) as an admin`, asAdmin);
      } else {
        expect(anonymous.status === 401, `${route.key} (admin) anonymously must be 401`, anonymous);
        expect(
          asUser.status === 403 && asUser.body?.error?.code === 'admin_only',
          `${route.key} (admin) as a user must be 403 admin_only`,
          asUser,
        );
        expect(passed(asAdmin), `${route.key} (admin) as an admin`, asAdmin);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('when a route is spelled in another letter case, percent-encoded or with a trailing slash, then 404 and never its data', async function () {
    this.timeout(60_000);
    const userToken = await tokenOf(user);
    const failures: string[] = [];
    for (const route of routes) {
      for (const path of variants(route)) {
        const anonymous = await call(route, undefined, path);
        if (anonymous.status !== 404) failures.push(`${route.method} ${path} anonymously: ${describeStatus(anonymous)}`);
        if (ROUTE_ACCESS[route.key] === 'admin') {
          const asUser = await call(route, userToken, path);
          if (asUser.status !== 404) failures.push(`${route.method} ${path} as a user: ${describeStatus(asUser)}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it('when the reported examples are replayed (GET /api/ADMIN/users, POST /api/ADMIN/schedules/discovery/trigger), then 404 without data', async () => {
    for (const [method, path] of [
      ['GET', '/api/ADMIN/users'],
      ['GET', '/API/admin/users'],
      ['GET', '/api/admin/users/'],
      ['POST', '/api/ADMIN/schedules/discovery/trigger'],
    ] as const) {
      const res = await api.request(method, path, { body: method === 'POST' ? {} : undefined });
      assert.equal(res.status, 404, `${method} ${path}: ${describeStatus(res)}`);
      assert.deepEqual(Object.keys(res.body), ['error']);
    }
  });

  it('when an unknown path under /api/admin is asked, then 404 for anybody (no guard runs where no route matches, and no data either)', async () => {
    for (const path of ['/api/admin', '/api/admin/', '/api/admin/no-such-route', '/api/admin/users/1/extra']) {
      for (const token of [undefined, await tokenOf(user)]) {
        const res = await api.request('GET', path, { token });
        assert.equal(res.status, 404, `${path}: ${describeStatus(res)}`);
        assert.equal(res.body.error.code, 'not_found');
      }
    }
  });

  it('when a known admin path is called with a method it does not have, then 405 and no data', async () => {
    const res = await api.request('POST', '/api/admin/users', { body: {} });
    assert.equal(res.status, 405);
    assert.deepEqual(Object.keys(res.body), ['error']);
    assert.equal(res.body.error.code, 'method_not_allowed');
  });
});

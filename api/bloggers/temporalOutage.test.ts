/**
 * Bloggers while Temporal is unreachable: a create is refused with 503 temporal_unavailable and
 * leaves no half-created row (so the same request succeeds later, never a 409 dead end); a blogger
 * whose sync workflow is missing gets one from POST /:id/sync instead of a 409.
 */
import assert from 'node:assert/strict';
import { RecoveringTemporal } from '../../temporal/client';
import { Blogger } from '../../db/models';
import { bloggerSyncWorkflowId, WORKFLOW_TYPES } from '../../temporal/contract';
import { isBloggerSyncRunning } from '../../temporal/starters';
import { startTestApi, type TestApi } from '../../test/api';
import { resetDb, terminateRunning, testConfig, testDb, testTemporal } from '../../test/harness';
import { createUser, type TestUser } from '../../test/users';

describe('bloggers API when Temporal is unreachable or a sync is missing', function () {
  this.timeout(60_000);
  let api: TestApi;
  /** The same API, but its Temporal client points at a port where nothing listens. */
  let cutOff: TestApi;
  let user: TestUser;

  before(async () => {
    await resetDb();
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    api = await startTestApi();
    cutOff = await startTestApi(
      {},
      { temporal: new RecoveringTemporal({ address: '127.0.0.1:1', namespace: testConfig.TEMPORAL_NAMESPACE }) },
    );
    user = await createUser(api, { plan: 'pro' });
  });
  after(async () => {
    await terminateRunning(WORKFLOW_TYPES.bloggerSync);
    await Promise.all([api.close(), cutOff.close()]);
  });

  it('when Temporal is unreachable, then POST /api/bloggers is a 503 temporal_unavailable with Retry-After and keeps no row; the same POST succeeds once it is back', async () => {
    const body = { name: 'Offline', youtube_url: 'https://www.youtube.com/@offlinecreator' };
    const startedAt = Date.now();
    const refused = await cutOff.request('POST', '/api/bloggers', { token: user.accessToken, body });
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'temporal_unavailable');
    assert.match(refused.body.error.message, /retry/i);
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After');
    assert.ok(Date.now() - startedAt < 15_000, 'answered within the call deadline, not after the client gave up');
    assert.equal(await Blogger.query(testDb()).where('userId', user.id).resultSize(), 0, 'no half-created blogger');

    const again = await api.request('POST', '/api/bloggers', { token: user.accessToken, body });
    assert.equal(again.status, 201, 'the same request succeeds once Temporal answers');
    assert.equal(await isBloggerSyncRunning((await testTemporal()).client, again.body.blogger.id), true);

    const sync = await cutOff.request('POST', `/api/bloggers/${again.body.blogger.id}/sync`, { token: user.accessToken });
    assert.equal(sync.status, 503);
    assert.equal(sync.body.error.code, 'temporal_unavailable');
  });

  it('when a blogger has no sync workflow, then POST /:id/sync starts one (202) instead of a 409', async () => {
    const res = await api.request('POST', '/api/bloggers', {
      token: user.accessToken,
      body: { name: 'Lost', tiktok_url: 'https://www.tiktok.com/@lostsync' },
    });
    assert.equal(res.status, 201);
    const id = res.body.blogger.id as number;
    const { client } = await testTemporal();
    await client.workflow.getHandle(bloggerSyncWorkflowId(id)).terminate('test: the sync went missing');
    assert.equal(await isBloggerSyncRunning(client, id), false);

    const sync = await api.request('POST', `/api/bloggers/${id}/sync`, { token: user.accessToken });
    assert.equal(sync.status, 202, JSON.stringify(sync.body));
    assert.equal(await isBloggerSyncRunning(client, id), true, 'a new sync workflow runs');
    assert.equal((await api.request('POST', `/api/bloggers/${id}/pause`, { token: user.accessToken })).status, 202, 'and takes signals');
  });
});

// GET /api/v1/audit: what is logged, order, filters, paging, who may read it.
// The server runs with FANGKONG_NOW=2022-03-02T08:00:00+08:00.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, expectList, PASSWORD, RFC3339 } from './lib/server.js';

let admin, officer, createdId;

const AUDIT_KEYS = ['id', 'at', 'actor', 'actor_id', 'action', 'target_type', 'target_id', 'ip', 'detail'];

const fk = useServer({ now: true, users: [{ username: 'audited', role: 'community_worker', displayName: '被审计' }] }, async () => {
  // Things that must be logged, in this order.
  expectError(await fk.loginRaw('audited', 'wrong-password'), 401, 'invalid_credentials', 'password');
  const worker = await fk.login(fk.users.audited);
  assert.equal((await worker.delete('/api/v1/session')).status, 204);
  admin = await fk.login(fk.users.admin);
  const created = expectJson(await admin.post('/api/v1/users', {
    username: 'audit_new', password: PASSWORD, display_name: '审计新建', role: 'resident', region: '141102',
  }), 201);
  createdId = created.id;
  expectJson(await admin.patch(`/api/v1/users/${createdId}`, { display_name: '审计改名' }));
  const token = expectJson(await admin.post('/api/v1/tokens', { username: 'audited', name: 'audit-token' }), 201);
  assert.equal((await admin.delete(`/api/v1/tokens/${token.id}`)).status, 204);
  officer = await fk.login(fk.users.officer);
});

const epoch = (at) => Date.parse(at);

test('audit entries: the documented shape, newest first, times at the FANGKONG_NOW clock', async () => {
  const body = expectList(await admin.get('/api/v1/audit?per_page=200'), { perPage: 200 });
  assert.ok(body.items.length >= 8, `entries: ${body.items.length}`);
  for (const e of body.items) {
    for (const k of AUDIT_KEYS) assert.ok(k in e, `key ${k} in ${JSON.stringify(e)}`);
    assert.ok(Number.isInteger(e.id));
    assert.match(e.at, RFC3339);
    assert.equal(typeof e.action, 'string');
  }
  for (let i = 1; i < body.items.length; i++) {
    assert.ok(body.items[i - 1].id > body.items[i].id, 'ids descending');
    assert.ok(epoch(body.items[i - 1].at) >= epoch(body.items[i].at), 'newest first');
  }
  const start = epoch('2022-03-02T08:00:00+08:00');
  for (const e of body.items) {
    const t = epoch(e.at);
    assert.ok(t >= start && t < start + 3600e3, `at ${e.at} follows the FANGKONG_NOW clock`);
  }
});

test('login, login_failed, logout, user_create, user_update, token_create, token_revoke are logged', async () => {
  const items = expectJson(await admin.get('/api/v1/audit?per_page=200')).items;
  const find = (pred, what) => {
    const e = items.find(pred);
    assert.ok(e, `${what} logged: ${JSON.stringify(items.map((x) => [x.action, x.actor]))}`);
    return e;
  };
  const failed = find((e) => e.action === 'login_failed' && e.actor === 'audited', 'login_failed');
  assert.equal(failed.ip, '127.0.0.1');
  const login = find((e) => e.action === 'login' && e.actor === 'audited', 'login');
  assert.equal(login.actor_id, fk.users.audited.id);
  assert.equal(login.ip, '127.0.0.1');
  find((e) => e.action === 'logout' && e.actor === 'audited', 'logout');
  const create = find((e) => e.action === 'user_create' && e.actor === 't_admin', 'user_create');
  assert.equal(create.actor_id, fk.users.admin.id);
  assert.equal(create.target_type, 'user');
  assert.equal(String(create.target_id), String(createdId));
  const update = find((e) => e.action === 'user_update' && String(e.target_id) === String(createdId), 'user_update');
  assert.equal(update.actor, 't_admin');
  find((e) => e.action === 'token_create' && e.actor === 't_admin', 'token_create');
  find((e) => e.action === 'token_revoke' && e.actor === 't_admin', 'token_revoke');
  // order of what happened: failed login before login before user_create
  assert.ok(failed.id < login.id && login.id < create.id && create.id < update.id);
  // no secrets in the log
  const text = JSON.stringify(items);
  assert.ok(!text.includes(PASSWORD) && !text.includes('wrong-password'), 'no passwords in the audit log');
});

test('reading the audit log is itself logged (audit_read)', async () => {
  expectJson(await admin.get('/api/v1/audit?per_page=5'));
  const top = expectJson(await admin.get('/api/v1/audit?action=audit_read&per_page=200'));
  assert.ok(top.total >= 1);
  assert.ok(top.items.every((e) => e.action === 'audit_read'));
  assert.equal(top.items[0].actor, 't_admin');
});

test('filter by action and by actor', async () => {
  const failed = expectJson(await admin.get('/api/v1/audit?action=login_failed&per_page=200'));
  assert.ok(failed.total >= 1);
  assert.equal(failed.total, failed.items.length);
  assert.ok(failed.items.every((e) => e.action === 'login_failed'));
  const byActor = expectJson(await admin.get('/api/v1/audit?actor=audited&per_page=200'));
  assert.ok(byActor.items.length >= 3, 'login_failed, login, logout by audited');
  assert.ok(byActor.items.every((e) => e.actor === 'audited'), 'only entries by that actor');
  const both = expectJson(await admin.get('/api/v1/audit?actor=audited&action=login&per_page=200'));
  assert.ok(both.total >= 1);
  assert.ok(both.items.every((e) => e.actor === 'audited' && e.action === 'login'));
  const none = expectJson(await admin.get('/api/v1/audit?actor=nobody-did-this'));
  assert.equal(none.total, 0);
  assert.deepEqual(none.items, []);
});

test('filter by time: from/until in RFC 3339', async () => {
  const all = expectJson(await admin.get('/api/v1/audit?per_page=1')).total;
  const before = expectJson(await admin.get(`/api/v1/audit?until=${encodeURIComponent('2022-03-02T07:00:00+08:00')}`));
  assert.equal(before.total, 0, 'nothing before the clock started');
  const after = expectJson(await admin.get(`/api/v1/audit?from=${encodeURIComponent('2022-03-02T07:00:00+08:00')}&per_page=1`));
  assert.ok(after.total >= all, 'everything is after 07:00');
  const future = expectJson(await admin.get(`/api/v1/audit?from=${encodeURIComponent('2022-03-03T00:00:00Z')}`));
  assert.equal(future.total, 0);
  expectError(await admin.get('/api/v1/audit?from=yesterday'), 422, 'invalid_field', 'from');
  expectError(await admin.get('/api/v1/audit?until=2022-13-45T99:00:00Z'), 422, 'invalid_field', 'until');
});

test('pagination: total stays, pages do not overlap', async () => {
  const p1 = expectList(await admin.get('/api/v1/audit?per_page=2&page=1&action=login'), { page: 1, perPage: 2 });
  const p2 = expectList(await admin.get('/api/v1/audit?per_page=2&page=2&action=login'), { page: 2, perPage: 2 });
  assert.ok(p1.total >= 3, `login entries: ${p1.total}`);
  assert.equal(p1.total, p2.total);
  assert.equal(p1.items.length, 2);
  const ids1 = new Set(p1.items.map((e) => e.id));
  assert.ok(p2.items.every((e) => !ids1.has(e.id)), 'no overlap');
  assert.ok(p2.items.every((e) => e.id < Math.min(...ids1)), 'page 2 is older');
  expectError(await admin.get('/api/v1/audit?per_page=0'), 422, 'invalid_field', 'per_page');
  expectError(await admin.get('/api/v1/audit?per_page=201'), 422, 'invalid_field', 'per_page');
  expectError(await admin.get('/api/v1/audit?page=abc'), 422, 'invalid_field', 'page');
});

test('only district_admin may read the audit log', async () => {
  expectError(await officer.get('/api/v1/audit'), 403, 'forbidden');
  expectError(await fk.get('/api/v1/audit'), 401, 'unauthenticated');
});

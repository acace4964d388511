// /api/v1/users and /api/v1/tokens (district_admin only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, expectList, PASSWORD, DISTRICT, RFC3339 } from './lib/server.js';

let admin, officer;
const fk = useServer({}, async () => {
  admin = await fk.login(fk.users.admin);
  officer = await fk.login(fk.users.officer);
});

const USER_KEYS = ['id', 'username', 'display_name', 'role', 'region', 'region_name', 'disabled', 'locked_until', 'created_at'];
const TOKEN_KEYS = ['id', 'name', 'user_id', 'username', 'created_at', 'last_used_at', 'revoked_at'];

function checkUser(u) {
  for (const k of USER_KEYS) assert.ok(k in u, `key ${k} in ${JSON.stringify(u)}`);
  for (const k of Object.keys(u)) assert.ok(!/password|hash|secret/.test(k), `no secrets: ${k}`);
  assert.ok(Number.isInteger(u.id) && u.id > 0);
  assert.equal(typeof u.disabled, 'boolean');
  assert.ok(u.locked_until === null || RFC3339.test(u.locked_until));
  assert.match(u.created_at, RFC3339);
}

const newUser = (over = {}) => ({
  username: `u_${Math.random().toString(36).slice(2, 10)}`,
  password: PASSWORD,
  display_name: '新用户',
  role: 'community_worker',
  region: '141102',
  ...over,
});

test('list users: the documented shape, default paging, our users included', async () => {
  const body = expectList(await admin.get('/api/v1/users'), { page: 1, perPage: 20 });
  for (const u of body.items) checkUser(u);
  const me = body.items.find((u) => u.username === 't_admin');
  assert.ok(me, 't_admin listed');
  assert.equal(me.role, 'district_admin');
  assert.equal(me.region, DISTRICT);
  assert.ok(me.region_name.length > 0);
  assert.equal(me.disabled, false);
  assert.ok(!JSON.stringify(body).includes('password'), 'no password hashes in the list');
});

test('list users: filters q, role and region', async () => {
  const q = expectJson(await admin.get('/api/v1/users?q=t_offi'));
  assert.ok(q.items.some((u) => u.username === 't_officer'));
  assert.ok(q.items.every((u) => u.username.includes('t_offi') || u.display_name.includes('t_offi')));
  const byRole = expectJson(await admin.get('/api/v1/users?role=township_officer&per_page=200'));
  assert.ok(byRole.items.length > 0);
  assert.ok(byRole.items.every((u) => u.role === 'township_officer'));
  assert.equal(byRole.total, byRole.items.length);
  const own = fk.townships[0].code;
  const byRegion = expectJson(await admin.get(`/api/v1/users?region=${own}&per_page=200`));
  assert.ok(byRegion.items.some((u) => u.username === 't_officer'));
  assert.ok(byRegion.items.every((u) => u.region.startsWith(own.slice(0, 9))), 'only users inside the region');
  assert.ok(!byRegion.items.some((u) => u.username === 't_admin'), 'the district admin is not inside a township');
  expectError(await admin.get('/api/v1/users?role=emperor'), 422, 'invalid_field', 'role');
  expectError(await admin.get('/api/v1/users?region=xyz'), 422, 'invalid_field', 'region');
});

test('pagination bounds: per_page 1..200, page ≥ 1, integers only', async () => {
  expectError(await admin.get('/api/v1/users?per_page=0'), 422, 'invalid_field', 'per_page');
  expectError(await admin.get('/api/v1/users?per_page=201'), 422, 'invalid_field', 'per_page');
  expectError(await admin.get('/api/v1/users?per_page=-5'), 422, 'invalid_field', 'per_page');
  expectError(await admin.get('/api/v1/users?per_page=ten'), 422, 'invalid_field', 'per_page');
  expectError(await admin.get('/api/v1/users?page=abc'), 422, 'invalid_field', 'page');
  expectError(await admin.get('/api/v1/users?page=0'), 422, 'invalid_field', 'page');
  expectError(await admin.get('/api/v1/users?page=1.5'), 422, 'invalid_field', 'page');
  expectError(await admin.get('/api/v1/users?page=99999999999999999999999'), 422, 'invalid_field', 'page');
  expectList(await admin.get('/api/v1/users?per_page=200'), { perPage: 200 });
  expectList(await admin.get('/api/v1/users?per_page=1'), { perPage: 1 });
});

test('pagination walks the whole list without repeats', async () => {
  const all = expectList(await admin.get('/api/v1/users?per_page=200'), { perPage: 200 });
  assert.ok(all.total >= 2);
  const seen = [];
  for (let page = 1; page <= all.total; page++) {
    const p = expectList(await admin.get(`/api/v1/users?per_page=1&page=${page}`), { page, perPage: 1 });
    assert.equal(p.total, all.total);
    assert.equal(p.items.length, 1);
    seen.push(p.items[0].id);
  }
  assert.equal(new Set(seen).size, all.total, 'no repeats');
  const beyond = expectList(await admin.get(`/api/v1/users?per_page=1&page=${all.total + 1}`), { page: all.total + 1, perPage: 1 });
  assert.equal(beyond.items.length, 0);
  assert.equal(beyond.total, all.total);
});

test('create a user: 201, padded region, listed, can log in', async () => {
  const body = newUser({ region: fk.townships[1].code.replace(/000$/, ''), role: 'sampler', display_name: '采样员甲' });
  const res = await admin.post('/api/v1/users', body);
  const u = expectJson(res, 201);
  checkUser(u);
  assert.equal(u.username, body.username);
  assert.equal(u.display_name, '采样员甲');
  assert.equal(u.role, 'sampler');
  assert.equal(u.region, fk.townships[1].code, 'region stored and shown in the 12-digit form');
  assert.equal(u.region_name, fk.townships[1].name);
  assert.equal(u.disabled, false);
  assert.equal(u.locked_until, null);
  assert.ok(!JSON.stringify(u).includes(PASSWORD));
  const listed = expectJson(await admin.get(`/api/v1/users?q=${body.username}`));
  assert.deepEqual(listed.items.find((x) => x.id === u.id), u);
  const c = await fk.login(body.username, PASSWORD);
  assert.equal(c.login.user.role, 'sampler');
  assert.equal(c.login.user.region, fk.townships[1].code);
});

test('create a user: duplicate username → 409 conflict naming username', async () => {
  const body = newUser();
  expectJson(await admin.post('/api/v1/users', body), 201);
  expectError(await admin.post('/api/v1/users', { ...body, display_name: '又一个' }), 409, 'conflict', 'username');
  expectError(await admin.post('/api/v1/users', { ...newUser(), username: 't_officer' }), 409, 'conflict', 'username');
});

test('create a user: bad role, region, password and missing fields → 422 naming the field', async () => {
  expectError(await admin.post('/api/v1/users', newUser({ role: 'emperor' })), 422, 'invalid_field', 'role');
  expectError(await admin.post('/api/v1/users', newUser({ role: 42 })), 422, 'invalid_field', 'role');
  expectError(await admin.post('/api/v1/users', newUser({ region: '141102099000' })), 422, 'invalid_field', 'region');
  expectError(await admin.post('/api/v1/users', newUser({ region: 'xyz' })), 422, 'invalid_field', 'region');
  expectError(await admin.post('/api/v1/users', newUser({ region: '110105' })), 422, 'invalid_field', 'region');
  expectError(await admin.post('/api/v1/users', newUser({ password: 'short7!' })), 422, 'invalid_field', 'password');
  expectError(await admin.post('/api/v1/users', newUser({ password: '' })), 422);
  expectError(await admin.post('/api/v1/users', newUser({ username: '' })), 422, undefined, 'username');
  for (const field of ['username', 'password', 'role', 'region']) {
    const body = newUser();
    delete body[field];
    expectError(await admin.post('/api/v1/users', body), 422, 'missing_field', field);
  }
  expectError(await admin.post('/api/v1/users', newUser({ display_name: 7 })), 422, 'invalid_field', 'display_name');
});

test('a township officer may not see or manage users: 403 forbidden', async () => {
  expectError(await officer.get('/api/v1/users'), 403, 'forbidden');
  expectError(await officer.post('/api/v1/users', newUser({ region: fk.townships[0].code })), 403, 'forbidden');
  expectError(await officer.patch(`/api/v1/users/${fk.users.officer.id}`, { display_name: '自己改' }), 403, 'forbidden');
  expectError(await officer.get('/api/v1/tokens'), 403, 'forbidden');
  expectError(await officer.post('/api/v1/tokens', { username: 't_officer', name: 'x' }), 403, 'forbidden');
  expectError(await officer.delete('/api/v1/tokens/1'), 403, 'forbidden');
  expectError(await fk.get('/api/v1/users'), 401, 'unauthenticated');
});

test('patch a user: display_name, role, region, password, disabled', async () => {
  const created = expectJson(await admin.post('/api/v1/users', newUser()), 201);
  const path = `/api/v1/users/${created.id}`;

  const renamed = expectJson(await admin.patch(path, { display_name: '改名后' }));
  checkUser(renamed);
  assert.equal(renamed.display_name, '改名后');
  assert.equal(renamed.role, created.role, 'unchanged fields stay');
  assert.equal(renamed.region, created.region);

  const moved = expectJson(await admin.patch(path, { role: 'tracer', region: fk.townships[2].code }));
  assert.equal(moved.role, 'tracer');
  assert.equal(moved.region, fk.townships[2].code);
  assert.equal(moved.region_name, fk.townships[2].name);

  expectJson(await admin.patch(path, { password: 'Another@2022-pw' }));
  expectError(await fk.loginRaw(created.username, PASSWORD), 401, 'invalid_credentials', 'password');
  const c = await fk.login(created.username, 'Another@2022-pw');
  assert.equal(c.login.user.role, 'tracer');

  const disabled = expectJson(await admin.patch(path, { disabled: true }));
  assert.equal(disabled.disabled, true);
  const refused = await fk.loginRaw(created.username, 'Another@2022-pw');
  assert.ok(refused.status >= 400 && refused.status < 500, `a disabled user cannot log in (got ${refused.status})`);
  expectError(refused, refused.status);
  expectError(await c.get('/api/v1/session'), 401, 'unauthenticated'); // disabling ends their sessions

  const enabled = expectJson(await admin.patch(path, { disabled: false }));
  assert.equal(enabled.disabled, false);
  await fk.login(created.username, 'Another@2022-pw');
});

test('patch a user: bad values → 422, unknown id → 404 user_not_found', async () => {
  const created = expectJson(await admin.post('/api/v1/users', newUser()), 201);
  const path = `/api/v1/users/${created.id}`;
  expectError(await admin.patch(path, { role: 'emperor' }), 422, 'invalid_field', 'role');
  expectError(await admin.patch(path, { region: '141102099000' }), 422, 'invalid_field', 'region');
  expectError(await admin.patch(path, { password: 'short' }), 422, 'invalid_field', 'password');
  expectError(await admin.patch(path, { disabled: 'yes' }), 422, 'invalid_field', 'disabled');
  expectError(await admin.patch(path, { display_name: ['x'] }), 422, 'invalid_field', 'display_name');
  // nothing changed
  const after = expectJson(await admin.get(`/api/v1/users?q=${created.username}`)).items[0];
  assert.deepEqual(after, created);
  expectError(await admin.patch('/api/v1/users/99999999', { display_name: 'x' }), 404, 'user_not_found');
  expectError(await admin.patch('/api/v1/users/abc', { display_name: 'x' }), 404, 'user_not_found');
  expectError(await admin.request('PATCH', path, { body: '{oops', headers: { 'Content-Type': 'application/json' } }), 400, 'malformed_json', 'body');
});

test('tokens: create (shown once), list, use, revoke', async () => {
  const created = expectJson(await admin.post('/api/v1/tokens', { username: 't_officer', name: '乡镇接口' }), 201);
  assert.ok(Number.isInteger(created.id));
  assert.equal(created.name, '乡镇接口');
  assert.equal(typeof created.token, 'string');
  assert.ok(created.token.length >= 20, 'a long token');

  const bot = fk.bearer(created.token);
  const me = expectJson(await bot.get('/api/v1/session'));
  assert.equal(me.user.username, 't_officer');
  assert.equal(me.user.role, 'township_officer');
  expectJson(await bot.get(`/api/v1/regions/${fk.townships[0].code}`));

  const list = expectList(await admin.get('/api/v1/tokens'));
  const row = list.items.find((t) => t.id === created.id);
  assert.ok(row, 'the new token is listed');
  for (const k of TOKEN_KEYS) assert.ok(k in row, `key ${k} in ${JSON.stringify(row)}`);
  for (const k of Object.keys(row)) assert.ok(!/hash|secret|^token$/.test(k), `no secrets in the list: ${k}`);
  assert.equal(row.name, '乡镇接口');
  assert.equal(row.user_id, fk.users.officer.id);
  assert.equal(row.username, 't_officer');
  assert.match(row.created_at, RFC3339);
  assert.match(row.last_used_at ?? '', RFC3339, 'last_used_at set after use');
  assert.equal(row.revoked_at, null);
  assert.ok(!JSON.stringify(list).includes(created.token), 'the token is shown only once');

  assert.equal((await admin.delete(`/api/v1/tokens/${created.id}`)).status, 204);
  expectError(await bot.get('/api/v1/session'), 401, 'unauthenticated');
  const revoked = expectJson(await admin.get('/api/v1/tokens?per_page=200')).items.find((t) => t.id === created.id);
  assert.match(revoked.revoked_at ?? '', RFC3339, 'revoked_at set');
  expectError(await admin.delete(`/api/v1/tokens/${created.id}`), 404, 'token_not_found');
  expectError(await admin.delete('/api/v1/tokens/99999999'), 404, 'token_not_found');
  expectError(await admin.delete('/api/v1/tokens/abc'), 404, 'token_not_found');
});

test('tokens: bad input', async () => {
  expectError(await admin.post('/api/v1/tokens', { name: 'x' }), 422, 'missing_field', 'username');
  expectError(await admin.post('/api/v1/tokens', { username: 'nobody-here', name: 'x' }), 404, 'user_not_found', 'username');
  expectError(await admin.post('/api/v1/tokens', { username: 5 }), 422, 'invalid_field', 'username');
  expectError(await admin.get('/api/v1/tokens?per_page=0'), 422, 'invalid_field', 'per_page');
  expectError(await admin.get('/api/v1/tokens?page=abc'), 422, 'invalid_field', 'page');
});

test("a disabled user's bearer token stops working", async () => {
  const created = expectJson(await admin.post('/api/v1/users', newUser({ role: 'lab' })), 201);
  const token = expectJson(await admin.post('/api/v1/tokens', { username: created.username, name: 'lab-device' }), 201);
  const bot = fk.bearer(token.token);
  expectJson(await bot.get('/api/v1/session'));
  expectJson(await admin.patch(`/api/v1/users/${created.id}`, { disabled: true }));
  const res = await bot.get('/api/v1/session');
  assert.ok(res.status === 401 || res.status === 403, `a disabled user's token must not work (got ${res.status})`);
  expectError(res, res.status);
});

test('parallel requests: 60 at once from several clients all succeed', async () => {
  const token = expectJson(await admin.post('/api/v1/tokens', { username: 't_admin', name: 'parallel' }), 201);
  const bot = fk.bearer(token.token);
  const jobs = [];
  for (let i = 0; i < 20; i++) {
    jobs.push(admin.get(`/api/v1/users?per_page=${1 + (i % 5)}`).then((r) => [r, 'users']));
    jobs.push(bot.get(`/api/v1/regions/${fk.townships[i % fk.townships.length].code}`).then((r) => [r, 'regions']));
    jobs.push(officer.get('/api/v1/session').then((r) => [r, 'session']));
  }
  const results = await Promise.all(jobs);
  for (const [r, what] of results) assert.equal(r.status, 200, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
  const names = new Set(results.filter(([, w]) => w === 'regions').map(([r]) => r.json.name));
  assert.equal(names.size, Math.min(20, fk.townships.length), 'each answer belongs to its own request');
  assert.equal((await fk.get('/healthz')).status, 200);
});

// ---------- issue 9 item 3: passwords ----------

const CHINESE = /[\u4e00-\u9fff]/;

test('weak passwords are refused on create: 422 naming password, a Chinese message saying what is wrong, nothing written', async () => {
  const cases = [
    ['password', /至少需要 10 个字符/],
    ['aaaaaaaa', /至少需要 10 个字符/],
    ['abcdefgh1', /至少需要 10 个字符/],
    ['Demo@2022', /至少需要 10 个字符/],
    ['aaaaaaaaaaaa', /不同的字符太少/],
    ['abcdefghij1234', /过于简单或有规律/],
    ['qwertyuiop', /常见单词/],
    ['password12', /常见单词/],
    ['drowssap12', /倒写/],
    ['1234567890', /过于简单或有规律/],
  ];
  const seen = new Set();
  for (const [password, why] of cases) {
    const body = newUser({ password });
    const e = expectError(await admin.post('/api/v1/users', body), 422, 'invalid_field', 'password');
    assert.match(e.message, CHINESE, `${password}: ${e.message}`);
    assert.match(e.message, why, `${password}: ${e.message}`);
    seen.add(e.message);
    assert.equal(expectJson(await admin.get(`/api/v1/users?q=${body.username}`)).total, 0, `${password}: no user written`);
  }
  assert.ok(seen.size >= 4, `the messages say what is wrong, not one text for all: ${[...seen]}`);
  // Containing the username, in any case, is refused.
  const named = newUser();
  const e = expectError(await admin.post('/api/v1/users', { ...named, password: `X9!${named.username.toUpperCase()}#q` }), 422, 'invalid_field', 'password');
  assert.match(e.message, /用户名/);
  // 10 characters counted as characters, not bytes: 10 Chinese characters pass the length rule.
  expectJson(await admin.post('/api/v1/users', newUser({ password: '春眠不觉晓处处闻啼鸟' })), 201);
  // The limit stays 256 bytes.
  expectError(await admin.post('/api/v1/users', newUser({ password: `Aa1!${'x7Q#'.repeat(64)}` })), 422, 'invalid_field', 'password');
});

test('weak passwords are refused on an admin reset too, and the old password keeps working', async () => {
  const created = expectJson(await admin.post('/api/v1/users', newUser()), 201);
  for (const password of ['password', 'abcdefgh1', 'Demo@2022', 'qwertyuiop', `${created.username}-Zz9!`])
    expectError(await admin.patch(`/api/v1/users/${created.id}`, { password }), 422, 'invalid_field', 'password');
  await fk.login(created.username, PASSWORD);
});

test('an admin reset ends the sessions, and with revoke_tokens also the bearer tokens', async () => {
  const created = expectJson(await admin.post('/api/v1/users', newUser({ role: 'lab' })), 201);
  const path = `/api/v1/users/${created.id}`;
  const t1 = expectJson(await admin.post('/api/v1/tokens', { username: created.username, name: 'keep' }), 201);
  const session = await fk.login(created.username, PASSWORD);
  // Without revoke_tokens: sessions end, tokens stay.
  expectJson(await admin.patch(path, { password: 'Reset#2022-first' }));
  expectError(await session.get('/api/v1/session'), 401, 'unauthenticated');
  expectJson(await fk.bearer(t1.token).get('/api/v1/session'));
  // With it: the tokens go too, and the list says when.
  const t2 = expectJson(await admin.post('/api/v1/tokens', { username: created.username, name: 'second' }), 201);
  const again = await fk.login(created.username, 'Reset#2022-first');
  expectJson(await admin.patch(path, { password: 'Reset#2022-second', revoke_tokens: true }));
  expectError(await again.get('/api/v1/session'), 401, 'unauthenticated');
  expectError(await fk.bearer(t1.token).get('/api/v1/session'), 401, 'unauthenticated');
  expectError(await fk.bearer(t2.token).get('/api/v1/session'), 401, 'unauthenticated');
  const tokens = expectJson(await admin.get('/api/v1/tokens?per_page=200')).items.filter((t) => t.user_id === created.id);
  assert.equal(tokens.length, 2);
  for (const t of tokens) assert.match(t.revoked_at ?? '', RFC3339);
  expectError(await admin.patch(path, { revoke_tokens: 'yes' }), 422, 'invalid_field', 'revoke_tokens');
  await fk.login(created.username, 'Reset#2022-second');
});

test('fangkong user add checks the password too; --allow-weak-password skips the check', async () => {
  const add = (username, password, extra = []) =>
    fk.cli(['user', 'add', '--db', fk.db, '--username', username, '--role', 'inspector', '--region', '141102', ...extra], { input: `${password}\n` });
  const weak = await add('cli_weak', 'Demo@2022');
  assert.equal(weak.code, 2, weak.stderr);
  assert.match(weak.stderr, /password: 密码至少需要 10 个字符/);
  const dict = await add('cli_dict', 'qwertyuiop');
  assert.equal(dict.code, 2, dict.stderr);
  assert.match(dict.stderr, /password: .*常见单词/);
  const allowed = await add('cli_weak', 'Demo@2022', ['--allow-weak-password']);
  assert.equal(allowed.code, 0, allowed.stderr);
  await fk.login('cli_weak', 'Demo@2022');
  const strong = await add('cli_strong', 'Lishi#Gate-2022');
  assert.equal(strong.code, 0, strong.stderr);
});

test('fangkong user passwd: the rule, then the sessions and login locks end, and with --revoke-tokens the tokens', async () => {
  const created = expectJson(await admin.post('/api/v1/users', newUser({ role: 'lab' })), 201);
  const passwd = (password, extra = [], username = created.username) =>
    fk.cli(['user', 'passwd', '--db', fk.db, '--username', username, ...extra], { input: `${password}\n` });
  const weak = await passwd('Demo@2022');
  assert.equal(weak.code, 2, weak.stderr);
  assert.match(weak.stderr, /password: 密码至少需要 10 个字符/);
  const nobody = await passwd('Lishi#Gate-2022', [], 'no_such_user');
  assert.equal(nobody.code, 2, nobody.stderr);
  assert.match(nobody.stderr, /username: 用户不存在/);

  const token = expectJson(await admin.post('/api/v1/tokens', { username: created.username, name: 'cli-reset' }), 201);
  const session = await fk.login(created.username, PASSWORD);
  for (let i = 0; i < 5; i++)
    expectError(await fk.loginRaw(created.username, 'wrong-password-x', { localAddress: '127.0.0.9' }), 401, 'invalid_credentials');
  expectError(await fk.loginRaw(created.username, PASSWORD, { localAddress: '127.0.0.9' }), 423, 'account_locked');
  const done = await passwd('Lishi#Gate-2022', ['--revoke-tokens']);
  assert.equal(done.code, 0, done.stderr);
  expectError(await session.get('/api/v1/session'), 401, 'unauthenticated');
  expectError(await fk.bearer(token.token).get('/api/v1/session'), 401, 'unauthenticated');
  expectError(await fk.loginRaw(created.username, PASSWORD), 401, 'invalid_credentials');
  expectJson(await fk.loginRaw(created.username, 'Lishi#Gate-2022', { localAddress: '127.0.0.9' }));
});

// Time-dependent rules with a controllable clock: the server is restarted on
// the same store with FANGKONG_NOW later, instead of sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, runCommand, PASSWORD, Server } from './lib/server.js';

const fk = useServer({
  now: '2022-03-02T08:00:00+08:00',
  users: [{ username: 'clock_user', role: 'community_worker', displayName: '时钟测试' }],
});

// The restarted server listens on a new port; clients keep their cookies.
async function restartAt(now, ...clients) {
  await fk.stopServer();
  fk.options.now = now;
  await fk.serve();
  for (const c of clients) c.base = fk.base;
}

test('the clock starts at FANGKONG_NOW: audit times are from 2022', async () => {
  const admin = await fk.login(fk.users.admin);
  const audit = expectJson(await admin.get('/api/v1/audit?action=login&per_page=1'));
  assert.ok(audit.items[0].at.startsWith('2022-03-02T08:0'), audit.items[0].at);
});

test('sessions expire after --session-ttl idle; lockout ends after --lockout-duration', async () => {
  const client = await fk.login(fk.users.clock_user);
  expectJson(await client.get('/api/v1/session'));

  // Lock the admin-independent account: five failures, then even the right password is refused.
  for (let i = 0; i < 5; i++)
    expectError(await fk.loginRaw('clock_user', 'wrong-password'), 401, 'invalid_credentials');
  expectError(await fk.loginRaw('clock_user', PASSWORD), 423, 'account_locked', 'username');

  // 11 hours later (default TTL 12 h idle): the session still works, the lock is over.
  await restartAt('2022-03-02T19:00:00+08:00', client);
  expectJson(await client.get('/api/v1/session'));
  const again = await fk.login(fk.users.clock_user);
  expectJson(await again.get('/api/v1/session'));

  // 12 h 30 min after that use: both sessions have expired.
  await restartAt('2022-03-03T07:31:00+08:00', client, again);
  expectError(await client.get('/api/v1/session'), 401, 'unauthenticated');
  expectError(await again.get('/api/v1/session'), 401, 'unauthenticated');
});

test('a restart fails the jobs a dead process left running, not the ones still reporting', async () => {
  const admin = await fk.login(fk.users.admin);
  await fk.stopServer();
  // 2022-03-03T07:31+08:00 is where the previous test left the clock.
  const now = Date.parse('2022-03-03T07:31:00+08:00') / 1000;
  const sql =
    'INSERT INTO jobs(kind, state, user_id, region_prefix, created_at, updated_at) VALUES ' +
    `('import_persons', 'running', ${fk.users.admin.id}, '141102', ${now - 7200}, ${now - 3600}), ` +
    `('import_persons', 'running', ${fk.users.admin.id}, '141102', ${now - 120}, ${now - 60}) RETURNING id;`;
  const r = fk.db.startsWith('postgres')
    ? await runCommand('psql', ['-q', '-X', '-tA', '-v', 'ON_ERROR_STOP=1', fk.db, '-c', sql])
    : await runCommand('sqlite3', [fk.db, sql]);
  assert.equal(r.code, 0, r.stderr);
  const [staleId, freshId] = r.stdout.trim().split(/\s+/).map(Number);
  fk.options.now = '2022-03-03T07:31:00+08:00';
  await fk.serve();
  admin.base = fk.base;
  const stale = expectJson(await admin.get(`/api/v1/jobs/${staleId}`));
  const fresh = expectJson(await admin.get(`/api/v1/jobs/${freshId}`));
  assert.equal(stale.state, 'failed');
  assert.match(stale.message, /服务重启/);
  assert.equal(fresh.state, 'running', 'a job another server is still running is left alone');
  assert.match(fk.log(), /"event":"jobs_recovered".*"failed":1/);
});

test('a locked (username, address) waits --lockout-delay (60 s), then each further failure doubles the wait', async () => {
  // The previous tests left the clock a little after 2022-03-03T07:31+08:00.
  const from = { localAddress: '127.0.0.5' };
  const at = (hhmmss) => restartAt(`2022-03-03T${hhmmss}+08:00`);
  const retryAfter = (res) => Number(res.headers['retry-after']);
  for (let i = 0; i < 5; i++)
    expectError(await fk.loginRaw('clock_user', 'wrong-password', from), 401, 'invalid_credentials');
  const first = await fk.loginRaw('clock_user', PASSWORD, from);
  expectError(first, 423, 'account_locked', 'username');
  assert.ok(retryAfter(first) > 50 && retryAfter(first) <= 60, `first lock ${retryAfter(first)} s`);
  // At 07:33 (the lock began before 07:32) one more try is admitted; it
  // fails, and the lock is now 120 s: still on 70 s later.
  await at('07:33:00');
  expectError(await fk.loginRaw('clock_user', 'wrong-password', from), 401, 'invalid_credentials');
  const second = await fk.loginRaw('clock_user', PASSWORD, from);
  expectError(second, 423, 'account_locked', 'username');
  assert.ok(retryAfter(second) > 110 && retryAfter(second) <= 120, `second lock ${retryAfter(second)} s`);
  // Past the 120 s the right password gets in and clears the count.
  await at('07:35:30');
  expectJson(await fk.loginRaw('clock_user', PASSWORD, from));
  for (let i = 0; i < 5; i++)
    expectError(await fk.loginRaw('clock_user', 'wrong-password', from), 401, 'invalid_credentials');
});

test('FANGKONG_CLOCK=frozen: time stands still until POST /api/v1/test/clock moves it (this machine only)', async () => {
  // Without the frozen clock there is no such route.
  expectError(await fk.request('POST', '/api/v1/test/clock', { body: { advance_seconds: 60 } }), 404, 'not_found');
  const frozen = new Server({ now: '2022-03-02T08:00:00+08:00', clock: 'frozen', people: 0 });
  await frozen.start();
  try {
    await new Promise((r) => setTimeout(r, 1100));
    let admin = await frozen.login(frozen.users.admin);
    const lastLogin = async () => expectJson(await admin.get('/api/v1/audit?action=login&per_page=1')).items[0].at;
    assert.equal(await lastLogin(), '2022-03-02T08:00:00+08:00', 'a second later, still 08:00:00');
    assert.equal(await frozen.advanceClock(90), '2022-03-02T08:01:30+08:00');
    assert.equal(await frozen.setClock('2022-03-05T10:00:00+08:00'), '2022-03-05T10:00:00+08:00');
    admin = await frozen.login(frozen.users.admin); // the first session has expired
    assert.equal(await lastLogin(), '2022-03-05T10:00:00+08:00');
    const move = (body, opts = {}) => frozen.request('POST', '/api/v1/test/clock', { body, ...opts });
    expectError(await move({ advance_seconds: -1 }), 422, 'invalid_field', 'advance_seconds');
    expectError(await move({ now: 'tomorrow' }), 422, 'invalid_field', 'now');
    expectError(await move({}), 422, 'missing_field', 'now');
    expectError(await move({ advance_seconds: 1 }, { localAddress: '127.0.0.5' }), 403, 'forbidden');
    // Commands run at the frozen instant too.
    const r = await frozen.cliOk(['keys', 'issue', '--db', frozen.db, '--type', 'card', '--id', '1', '--expires', '2022-03-09T08:00:00+08:00']);
    const v = expectJson(await admin.post('/api/v1/scans/verify', { code: r.stdout.trim() }));
    assert.equal(v.issued_at, '2022-03-05T10:00:00+08:00');
  } finally {
    await frozen.stop();
  }
});

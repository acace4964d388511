// Time-dependent rules with a controllable clock: the server is restarted on
// the same store with FANGKONG_NOW later, instead of sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, PASSWORD } from './lib/server.js';

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

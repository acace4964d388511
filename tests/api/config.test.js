// A JSON config file is applied, and the environment and flags override it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useServer, expectError, expectJson, sessionCookie } from './lib/server.js';

const dir = mkdtempSync(join(tmpdir(), 'fk-config-'));
const file = join(dir, 'fangkong.json');
writeFileSync(file, JSON.stringify({ 'max-body': 4096, 'lockout-attempts': 2, threads: 2, 'trusted-proxies': '10.9.9.9, 127.0.0.1', 'secure-cookies': true }));

// The flag sets lockout-attempts to 3, overriding the file's 2.
const fk = useServer({ serveArgs: ['--config', file, '--lockout-attempts', '3'] });

test('max-body from the config file: 5 KiB is refused with 413, 3 KiB is parsed', async () => {
  const admin = await fk.login(fk.users.admin);
  const big = { username: 'x'.repeat(5000), password: 'y' };
  expectError(await fk.request('POST', '/api/v1/session', { body: big }), 413, 'body_too_large', 'body');
  const small = { username: 'x'.repeat(3000), password: 'y' };
  const res = await fk.request('POST', '/api/v1/session', { body: small });
  assert.equal(res.status, 422, 'a 3 KiB body is read (then refused as too long a username)');
  expectJson(await admin.get('/api/v1/session'));
});

test('the flag overrides the file: the third failure locks, not the second', async () => {
  const admin = await fk.login(fk.users.admin);
  const created = await admin.post('/api/v1/users', {
    username: 'cfg_user', password: 'Passw0rd-cfg', role: 'inspector', region: '141102',
  });
  assert.equal(created.status, 201);
  for (let i = 0; i < 2; i++) expectError(await fk.loginRaw('cfg_user', 'bad-password'), 401, 'invalid_credentials');
  expectJson(await fk.loginRaw('cfg_user', 'Passw0rd-cfg'));
  for (let i = 0; i < 3; i++) expectError(await fk.loginRaw('cfg_user', 'bad-password'), 401, 'invalid_credentials');
  expectError(await fk.loginRaw('cfg_user', 'Passw0rd-cfg'), 423, 'account_locked', 'username');
});

test('trusted-proxies: behind a listed proxy the X-Forwarded-For client counts (audit, /metrics), a spoofed left part does not', async () => {
  const res = await fk.request('POST', '/api/v1/session', {
    body: { username: fk.users.admin.username, password: fk.users.admin.password },
    headers: { 'X-Forwarded-For': '1.2.3.4, 203.0.113.9' },
  });
  expectJson(res);
  const admin = await fk.login(fk.users.admin);
  const audit = expectJson(await admin.get('/api/v1/audit?action=login&per_page=2'));
  assert.deepEqual(audit.items.map((e) => e.ip), ['127.0.0.1', '203.0.113.9']);
  // /metrics is for the machine itself: a client forwarded by the proxy is not local.
  expectError(await fk.request('GET', '/metrics', { headers: { 'X-Forwarded-For': '203.0.113.9' } }), 403, 'forbidden');
  assert.equal((await fk.request('GET', '/metrics')).status, 200);
  // A malformed header leaves the proxy's own address.
  assert.equal((await fk.request('GET', '/metrics', { headers: { 'X-Forwarded-For': 'nonsense' } })).status, 200);
});

test('a switch from the config file: "secure-cookies": true marks the session cookie Secure', async () => {
  const res = await fk.loginRaw(fk.users.admin.username, fk.users.admin.password);
  expectJson(res);
  assert.ok(sessionCookie(res).attrs.includes('Secure'), sessionCookie(res).line);
});

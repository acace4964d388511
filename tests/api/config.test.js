// A JSON config file is applied, and the environment and flags override it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useServer, expectError, expectJson } from './lib/server.js';

const dir = mkdtempSync(join(tmpdir(), 'fk-config-'));
const file = join(dir, 'fangkong.json');
writeFileSync(file, JSON.stringify({ 'max-body': 4096, 'lockout-attempts': 2, threads: 2 }));

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

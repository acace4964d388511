// Signed codes: the public keys and revocation list, verification of scanned
// codes with every reason, revocation (API and command line), rotation, and
// QR images. Codes are issued with `fangkong keys issue` until the pass
// modules issue their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, Client, NOW } from './lib/server.js';

const fk = useServer({
  now: true,
  clock: 'frozen', // issued_at is compared exactly with NOW
  users: [
    { username: 'c_gate', role: 'checkpoint_staff', displayName: '卡口人员' },
    { username: 'c_resident', role: 'resident', displayName: '居民' },
  ],
});

const EXPIRES = '2022-03-09T08:00:00+08:00';

async function issue(type, id, expires = EXPIRES, now = NOW) {
  const r = await fk.cliOk(['keys', 'issue', '--db', fk.db, '--type', type, '--id', String(id), '--expires', expires], {
    env: { ...fk.env, FANGKONG_NOW: now },
  });
  return r.stdout.trim();
}

async function verify(client, code) {
  return expectJson(await client.post('/api/v1/scans/verify', { code }));
}

test('GET /api/v1/keys is public and lists the active Ed25519 key made by serve', async () => {
  const anon = new Client(fk.base);
  const body = expectJson(await anon.get('/api/v1/keys'));
  assert.equal(body.keys.length, 1);
  const [key] = body.keys;
  assert.match(key.key_id, /^[0-9a-f]{8}$/);
  assert.equal(key.state, 'active');
  assert.equal(key.algorithm, 'ed25519');
  assert.equal(Buffer.from(key.public_key, 'base64').length, 32);
  assert.equal(key.retired_at, null);
  assert.equal(body.max_validity_seconds, 31 * 86400);
  // keys init on an existing key says so and changes nothing.
  const r = await fk.cliOk(['keys', 'init', '--db', fk.db]);
  assert.match(r.stdout, /exists/);
});

test('verify: a valid code of each type, with its id, key and times', async () => {
  const gate = await fk.login(fk.users.c_gate);
  const keys = expectJson(await gate.get('/api/v1/keys')).keys;
  for (const [type, prefix] of [['vehicle_pass', 'FKV:'], ['card', 'FKC:'], ['personal', 'FKP:']]) {
    const code = await issue(type, 4242);
    assert.ok(code.startsWith(prefix), code);
    assert.match(code, /^[0-9A-Z $%*+\-./:]+$/);
    assert.ok(code.length <= 140, `${code.length}`);
    const v = await verify(gate, code);
    assert.deepEqual(v, {
      valid: true, type, id: 4242, key_id: keys[0].key_id,
      issued_at: NOW, expires_at: EXPIRES,
    });
    // Verified again: the same answer (served from the cache).
    assert.deepEqual(await verify(gate, code), v);
  }
});

test('verify: malformed, bad signature, unknown key, expired, over-long', async () => {
  const gate = await fk.login(fk.users.c_gate);
  const code = await issue('card', 7);
  const reason = async (c) => (await verify(gate, c)).reason;
  assert.equal(await reason('hello'), 'malformed');
  assert.equal(await reason(''), 'malformed');
  assert.equal(await reason('FKX:' + code.slice(4)), 'malformed');
  assert.equal(await reason('FKV:' + code.slice(4)), 'malformed');
  assert.equal(await reason(code.slice(0, -3)), 'malformed');
  assert.equal(await reason(code + '000'), 'malformed');
  assert.equal(await reason(code + '0'.repeat(600)), 'malformed');
  assert.equal(await reason(code.toLowerCase()), 'malformed');
  // A character of the signature changed: still base45, the signature fails.
  const last = code.length - 6;
  const swapped = code.slice(0, last) + (code[last] === '0' ? '1' : '0') + code.slice(last + 1);
  const r = await reason(swapped);
  assert.ok(['bad_signature', 'malformed'].includes(r), r);
  assert.equal((await verify(gate, swapped)).valid, false);
  // Expired: issued in February, expired before the server's now.
  const old = await issue('personal', 8, '2022-02-25T08:00:00+08:00', '2022-02-20T08:00:00+08:00');
  const v = await verify(gate, old);
  assert.equal(v.valid, false);
  assert.equal(v.reason, 'expired');
  assert.equal(v.id, 8);
  // Unknown key: a code from another district's store.
  const other = await fk.cli(['keys', 'issue', '--db', `${fk.dir}/other.db`, '--key', `${fk.dir}/other.key`,
    '--type', 'card', '--id', '7', '--expires', EXPIRES]);
  assert.equal(other.code, 1, 'no key in a fresh store');
  await fk.cliOk(['keys', 'init', '--db', `${fk.dir}/other.db`, '--key', `${fk.dir}/other.key`]);
  const foreign = (await fk.cliOk(['keys', 'issue', '--db', `${fk.dir}/other.db`, '--key', `${fk.dir}/other.key`,
    '--type', 'card', '--id', '7', '--expires', EXPIRES])).stdout.trim();
  assert.equal(await reason(foreign), 'unknown_key');
});

test('verify: 401 without login, residents only venue codes, 422 naming code', async () => {
  const anon = new Client(fk.base);
  expectError(await anon.post('/api/v1/scans/verify', { code: 'x' }), 401, 'unauthenticated');
  // Residents scan venue codes to check in (issue 5): anything else that is
  // genuine is refused, so that a resident cannot look behind others' codes.
  const resident = await fk.login(fk.users.c_resident);
  assert.equal((await verify(resident, 'x')).reason, 'malformed');
  expectError(await resident.post('/api/v1/scans/verify', { code: await issue('card', 777) }), 422, 'not_venue_code', 'code');
  const gate = await fk.login(fk.users.c_gate);
  expectError(await gate.post('/api/v1/scans/verify', {}), 422, 'missing_field', 'code');
  expectError(await gate.post('/api/v1/scans/verify', { code: 42 }), 422, 'invalid_field', 'code');
  expectError(await gate.post('/api/v1/scans/verify', { code: null }), 422, undefined, 'code');
  const bad = await gate.post('/api/v1/scans/verify', 'not json', { headers: { 'Content-Type': 'application/json' } });
  expectError(bad, 422, 'missing_field', 'code');
  expectError(await gate.post('/api/v1/scans/verify', ['FKC:'] ), 422, 'missing_field', 'code');
  // An embedded NUL is malformed, not a crash.
  assert.equal((await verify(gate, 'FKC:\u0000AAA')).reason, 'malformed');
});

test('revocation: API and command line, public list, re-issue after it is valid', async () => {
  const admin = await fk.login(fk.users.admin);
  const gate = await fk.login(fk.users.c_gate);
  const code = await issue('card', 501);
  assert.equal((await verify(gate, code)).valid, true); // now cached
  expectError(await gate.post('/api/v1/revocations', { type: 'card', id: 501, reason: '丢失' }), 403);
  expectError(await admin.post('/api/v1/revocations', { type: 'bus', id: 501, reason: '丢失' }), 422, 'invalid_field', 'type');
  expectError(await admin.post('/api/v1/revocations', { type: 'card', id: 0, reason: '丢失' }), 422, undefined, 'id');
  expectError(await admin.post('/api/v1/revocations', { type: 'card', id: 501 }), 422, undefined, 'reason');
  const rev = expectJson(await admin.post('/api/v1/revocations', { type: 'card', id: 501, reason: '丢失' }), 201);
  assert.equal(rev.id, 501);
  const v = await verify(gate, code);
  assert.equal(v.valid, false);
  assert.equal(v.reason, 'revoked');
  assert.equal(v.id, 501);

  // Revoked from the command line (another process): seen once the server re-reads the
  // store (every FK_CODE_REFRESH_SECONDS = 2 s of its monotonic clock, which FANGKONG_NOW
  // does not move). Poll instead of sleeping a fixed time, so a loaded machine cannot fail it.
  // Issued an hour before the revocation: each command starts its clock at NOW, so a code
  // signed by a slow-starting process could otherwise carry a later second than the revocation.
  const pass = await issue('vehicle_pass', 502, EXPIRES, '2022-03-02T07:00:00+08:00');
  assert.equal((await verify(gate, pass)).valid, true);
  await fk.cliOk(['keys', 'revoke', '--db', fk.db, '--type', 'vehicle_pass', '--id', '502', '--reason', '作废']);
  let seen = null;
  for (const deadline = Date.now() + 20000; Date.now() < deadline; ) {
    seen = (await verify(gate, pass)).reason;
    if (seen === 'revoked') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(seen, 'revoked', 'a revocation written by another process is seen within the refresh interval');

  const anon = new Client(fk.base);
  const list = expectJson(await anon.get('/api/v1/revocations'));
  assert.equal(list.truncated, false);
  assert.ok(list.revocations.some((x) => x.type === 'card' && x.id === 501));
  assert.ok(list.revocations.some((x) => x.type === 'vehicle_pass' && x.id === 502));
  for (const x of list.revocations) assert.deepEqual(Object.keys(x).sort(), ['id', 'revoked_at', 'type']);
  const later = expectJson(await anon.get('/api/v1/revocations?since=2022-03-03T00:00:00%2B08:00'));
  assert.equal(later.revocations.length, 0);
  expectError(await anon.get('/api/v1/revocations?since=yesterday'), 422, undefined, 'since');

  // A card re-issued a second after its revocation is valid.
  const again = await issue('card', 501, EXPIRES, '2022-03-02T08:30:00+08:00');
  assert.equal((await verify(gate, again)).valid, true);
  const audit = expectJson(await admin.get('/api/v1/audit?action=code.revoke&per_page=5'));
  assert.ok(audit.items.length >= 1);
});

test('QR images of valid codes: SVG and PNG; forged codes are refused', async () => {
  const gate = await fk.login(fk.users.c_gate);
  const code = await issue('personal', 900);
  const svg = await gate.get(`/api/v1/codes/qr.svg?code=${encodeURIComponent(code)}`);
  assert.equal(svg.status, 200);
  assert.match(svg.headers['content-type'], /^image\/svg\+xml/);
  assert.match(svg.text, /^<\?xml[^]*<svg [^]*<path [^]*<\/svg>\s*$/);
  const png = await gate.get(`/api/v1/codes/qr.png?code=${encodeURIComponent(code)}&scale=4`);
  assert.equal(png.status, 200);
  assert.equal(png.headers['content-type'], 'image/png');
  expectError(await gate.get(`/api/v1/codes/qr.png?code=${encodeURIComponent(code)}&scale=99`), 422, undefined, 'scale');
  const forged = code.slice(0, 10) + (code[10] === 'A' ? 'B' : 'A') + code.slice(11);
  expectError(await gate.get(`/api/v1/codes/qr.svg?code=${encodeURIComponent(forged)}`), 422, 'invalid_code', 'code');
  expectError(await gate.get('/api/v1/codes/qr.svg'), 422, 'missing_field', 'code');
  const anon = new Client(fk.base);
  expectError(await anon.get(`/api/v1/codes/qr.svg?code=${encodeURIComponent(code)}`), 401);
});

test('rotation: the old key keeps verifying and both keys are published', async () => {
  const gate = await fk.login(fk.users.c_gate);
  const before = await issue('card', 601);
  const r = await fk.cliOk(['keys', 'rotate', '--db', fk.db]);
  const newId = /new active key ([0-9a-f]{8})/.exec(r.stdout)[1];
  const after = await issue('card', 602);
  const anon = new Client(fk.base);
  // The server re-reads keys when it meets an unknown key id (at most once a
  // second; the forged code of the previous test may just have done so).
  await new Promise((r) => setTimeout(r, 1100));
  const v = await verify(gate, after);
  assert.equal(v.valid, true, JSON.stringify(v));
  assert.equal(v.key_id, newId);
  assert.equal((await verify(gate, before)).valid, true);
  const keys = expectJson(await anon.get('/api/v1/keys')).keys;
  assert.equal(keys.length, 2);
  assert.equal(keys[0].key_id, newId);
  assert.equal(keys[0].state, 'active');
  assert.equal(keys[1].state, 'retired');
  assert.ok(keys[1].retired_at);
});

// The command line: `fangkong id check`, and init/user/token exit codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fangkong, runCommand, BIN, PASSWORD } from './lib/server.js';

let dir;
before(() => {
  if (!existsSync(BIN)) throw new Error(`no fangkong binary at ${BIN} (build it, or set FK_BIN)`);
  dir = mkdtempSync(join(tmpdir(), 'fk-cli-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const parse = (r) => {
  assert.ok(r.stdout.trim().length > 0, `output: ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
};

test('id check: a valid number prints valid:true with region, birth date and sex; exit 0', async () => {
  const r = await fangkong(['id', 'check', '11010519491231002X']);
  assert.equal(r.code, 0, r.stderr);
  const out = parse(r);
  assert.equal(out.valid, true);
  assert.equal(out.region, '110105');
  assert.equal(out.birth_date, '1949-12-31');
  assert.equal(out.sex, 'female');
});

test('id check: a lower-case x check digit is accepted', async () => {
  const r = await fangkong(['id', 'check', '11010519491231002x']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(parse(r).valid, true);
});

test('id check: male from an odd sequence digit', async () => {
  // 141102 200001011 + check: computed below so the test is self-checking
  const body = '14110220000101001';
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, d, i) => s + Number(d) * w[i], 0);
  const check = '10X98765432'[sum % 11];
  const r = await fangkong(['id', 'check', body + check]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = parse(r);
  assert.equal(out.valid, true);
  assert.equal(out.region, '141102');
  assert.equal(out.birth_date, '2000-01-01');
  assert.equal(out.sex, 'male');
});

test('id check: a bad check digit prints valid:false with a reason; exit 2', async () => {
  const r = await fangkong(['id', 'check', '110105194912310021']);
  assert.equal(r.code, 2);
  const out = parse(r);
  assert.equal(out.valid, false);
  assert.equal(typeof out.reason, 'string');
  assert.ok(out.reason.length > 0);
});

test('id check: malformed numbers and impossible dates are invalid; exit 2', async () => {
  for (const n of ['12345', '1101051949123100', 'ABCDEFGHIJKLMNOPQR', '110105194902300020', '1101051949123100211']) {
    const r = await fangkong(['id', 'check', n]);
    assert.equal(r.code, 2, `${n}: ${r.stdout}${r.stderr}`);
    assert.equal(parse(r).valid, false, n);
  }
});

test('id check without a number is a usage error (64)', async () => {
  const r = await fangkong(['id', 'check']);
  assert.equal(r.code, 64);
});

test('init is idempotent; user add and token create report bad input with a non-zero exit', async () => {
  const db = join(dir, 'cli.db');
  const env = { ...process.env, FANGKONG_KEY_FILE: join(dir, 'cli.key') };
  const init1 = await fangkong(['init', '--db', db], { env, cwd: dir });
  assert.equal(init1.code, 0, init1.stderr);
  const init2 = await fangkong(['init', '--db', db], { env, cwd: dir });
  assert.equal(init2.code, 0, `a second init migrates nothing and succeeds: ${init2.stderr}`);
  assert.ok(existsSync(join(dir, 'cli.key')), 'the PII key file was created where FANGKONG_KEY_FILE says');

  const noArgs = await fangkong(['user', 'add', '--db', db], { env, cwd: dir, input: `${PASSWORD}\n` });
  assert.equal(noArgs.code, 64, 'missing --username/--role/--region is a usage error');
  const unknownCommand = await fangkong(['frobnicate'], { env, cwd: dir });
  assert.equal(unknownCommand.code, 64);
  const badToken = await fangkong(['token', 'create', '--db', db, '--username', 'nobody'], { env, cwd: dir });
  assert.notEqual(badToken.code, 0, 'a token for an unknown user fails');
  assert.equal(badToken.stdout.trim(), '', 'and prints no token');
});

test('serve --help lists every option with its flag and environment variable', async () => {
  const r = await fangkong(['serve', '--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const [flag, env] of [
    ['--db', 'FANGKONG_DB'], ['--key', 'FANGKONG_KEY_FILE'], ['--listen', 'FANGKONG_LISTEN'],
    ['--web', 'FANGKONG_WEB'], ['--threads', 'FANGKONG_THREADS'], ['--max-body', 'FANGKONG_MAX_BODY'],
    ['--conn-timeout', 'FANGKONG_CONN_TIMEOUT'], ['--session-ttl', 'FANGKONG_SESSION_TTL'],
    ['--lockout-attempts', 'FANGKONG_LOCKOUT_ATTEMPTS'], ['--log-level', 'FANGKONG_LOG_LEVEL'],
  ]) {
    assert.ok(r.stdout.includes(flag), `${flag} in help`);
    assert.ok(r.stdout.includes(env), `${env} in help`);
  }
  assert.ok(r.stdout.includes('--config'), '--config in help');
  assert.ok(r.stdout.includes('FANGKONG_NOW'), 'FANGKONG_NOW in help');
});

test('serve refuses bad configuration with a message and exit 64, before touching the store', async () => {
  const { writeFileSync } = await import('node:fs');
  const cases = [
    [['serve', '--threads', 'many']],
    [['serve', '--max-body', '10']],
    [['serve', '--no-such-option', '1']],
    [['serve', '--listen']],
  ];
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"threads": 4, "colour": "red"}');
  cases.push([['serve', '--config', bad]]);
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"threads": ');
  cases.push([['serve', '--config', broken]]);
  for (const [args] of cases) {
    const r = await fangkong(args, { env: { ...process.env, FANGKONG_DB: join(dir, 'never.db') } });
    assert.equal(r.code, 64, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
    assert.ok(r.stderr.length > 0, 'a message on stderr');
  }
  assert.ok(!existsSync(join(dir, 'never.db')), 'no store was created');
  const env = { ...process.env, FANGKONG_NOW: 'yesterday' };
  const r = await fangkong(['serve', '--db', join(dir, 'never.db')], { env });
  assert.equal(r.code, 64, 'a malformed FANGKONG_NOW is refused');
});

test('user add stores the interactive argon2id cost; --fast-password-hash (test suites: user add, demo) the minimum', async () => {
  const db = join(dir, 'hash.db');
  const env = { ...process.env, FANGKONG_KEY_FILE: join(dir, 'hash.key') };
  const demo = await fangkong(['demo', '--db', db, '--people', '0', '--allow-weak-password', '--fast-password-hash'], { env, cwd: dir });
  assert.equal(demo.code, 0, demo.stderr);
  const add = (username, extra) =>
    fangkong(['user', 'add', '--db', db, '--username', username, '--role', 'community_worker', '--region', '141102', ...extra], {
      env, cwd: dir, input: `${PASSWORD}\n`,
    });
  for (const [name, extra] of [['real_cost', []], ['fast_cost', ['--fast-password-hash']]]) {
    const r = await add(name, extra);
    assert.equal(r.code, 0, r.stderr);
  }
  const hashOf = async (username) => {
    const r = await runCommand('sqlite3', [db, `SELECT password_hash FROM users WHERE username = '${username}'`]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  // libsodium's crypto_pwhash_MEMLIMIT_INTERACTIVE is 64 MiB, OPSLIMIT 2; the minimum is 8 KiB, 1.
  assert.match(await hashOf('real_cost'), /^\$argon2id\$v=19\$m=65536,t=2,p=1\$/);
  assert.match(await hashOf('fast_cost'), /^\$argon2id\$v=19\$m=8,t=1,p=1\$/);
  assert.match(await hashOf('district_admin'), /^\$argon2id\$v=19\$m=8,t=1,p=1\$/, 'the demo logins too');
});

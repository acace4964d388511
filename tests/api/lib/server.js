// Starts a real fangkong server for one test file and talks to it.
//
//   import { useServer } from './lib/server.js';
//   const fk = useServer();            // registers before()/after() hooks
//   test('...', async () => { const admin = await fk.login(fk.users.admin); ... });
//
// Environment:
//   FK_BIN                 the binary (default <repo>/build/fangkong)
//   FK_TEST_DB_KIND        sqlite (default: a file in a temp dir) or pg
//   FK_TEST_PG_ADMIN_URL   for pg: URL of the throwaway cluster's `postgres`
//                          database; every test file gets a fresh database
//   FK_TEST_KEEP=1         keep the temp dir (db, logs) for inspection
//
// Setup per file: `fangkong init`, `fangkong demo --people 300 --seed 7` (the
// Lishi demo district, code 141102), our own users via `fangkong user add`,
// then `fangkong serve` on a free loopback port. after() stops it with SIGTERM
// and asserts a clean exit (code 0).
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const WEB_DIST = join(REPO, 'web/dist');
export const BIN = resolve(REPO, process.env.FK_BIN || 'build/fangkong');
export const DB_KIND = process.env.FK_TEST_DB_KIND || 'sqlite';
export const PASSWORD = 'Test@2022-pass';
export const NOW = '2022-03-02T08:00:00+08:00';
export const DISTRICT = '141102000000';
export const DISTRICT_SHORT = '141102';

// ---------- processes ----------

/** Runs a command; resolves {code, signal, stdout, stderr}. */
export function runCommand(cmd, args, { input, env, cwd, timeoutMs = 120000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: env || process.env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the command may exit without reading stdin
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Runs `fangkong ARGS`; resolves {code, signal, stdout, stderr}. */
export function fangkong(args, opts = {}) {
  return runCommand(BIN, args, opts);
}

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePromise(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- HTTP ----------

/**
 * One HTTP request with node:http (no cookie jar, no redirects, no keep-alive).
 * body: an object/array (sent as JSON), a string or a Buffer (sent as is).
 * Resolves {status, headers, text, json} where json is the parsed body or
 * undefined. A server that answers before reading the whole body (413) is fine.
 * localAddress: the client's source address, e.g. '127.0.0.2' (Linux routes
 * all of 127/8 to lo), for rules that key on the client address.
 */
export function httpRequest(base, method, path, { body, headers = {}, timeoutMs = 30000, localAddress } = {}) {
  const url = new URL(path, base);
  let payload = null;
  const hdrs = { ...headers };
  if (body !== undefined && body !== null) {
    if (Buffer.isBuffer(body) || typeof body === 'string') payload = Buffer.from(body);
    else {
      payload = Buffer.from(JSON.stringify(body));
      if (!Object.keys(hdrs).some((k) => k.toLowerCase() === 'content-type'))
        hdrs['Content-Type'] = 'application/json';
    }
    hdrs['Content-Length'] = String(payload.length);
  }
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const req = http.request(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers: hdrs, agent: false, localAddress },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', (e) => {
          if (!settled) {
            settled = true;
            reject(e);
          }
        });
        res.on('end', () => {
          const buffer = Buffer.concat(chunks);
          const text = buffer.toString('utf8');
          let json;
          if (/json/.test(res.headers['content-type'] || '') && text.length > 0) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          settled = true;
          resolvePromise({ status: res.statusCode, headers: res.headers, text, json, buffer });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', (e) => {
      // EPIPE/ECONNRESET after the server answered early are not errors for us.
      if (!settled && !(e.code === 'EPIPE' || e.code === 'ECONNRESET') ) {
        settled = true;
        reject(e);
      } else if (!settled) {
        // wait a moment for the response that may already be on its way
        setTimeout(() => {
          if (!settled) {
            settled = true;
            reject(e);
          }
        }, 2000);
      }
    });
    if (payload) req.end(payload);
    else req.end();
  });
}

/** Asserts the documented error shape {"error":{"code","message","field"}}. */
export function expectError(res, status, code, field) {
  const where = `${res.status} ${res.text.slice(0, 300)}`;
  assert.equal(res.status, status, `status: ${where}`);
  assert.match(res.headers['content-type'] || '', /^application\/json/, `content-type: ${where}`);
  assert.ok(res.json && typeof res.json === 'object', `JSON body: ${where}`);
  const e = res.json.error;
  assert.ok(e && typeof e === 'object', `error object: ${where}`);
  if (code !== undefined) assert.equal(e.code, code, `error.code: ${where}`);
  else assert.match(String(e.code), /^[a-z][a-z0-9_]*$/, `error.code is snake_case: ${where}`);
  assert.equal(typeof e.message, 'string', `error.message: ${where}`);
  assert.ok(e.message.length > 0, `error.message empty: ${where}`);
  assert.ok('field' in e, `error.field present (name or null): ${where}`);
  if (field !== undefined) assert.equal(e.field, field, `error.field: ${where}`);
  else assert.ok(e.field === null || typeof e.field === 'string', `error.field type: ${where}`);
  return e;
}

/** Asserts a 2xx JSON answer and returns its body. */
export function expectJson(res, status = 200) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.match(res.headers['content-type'] || '', /^application\/json/, 'content-type');
  assert.ok(res.json !== undefined, `JSON body: ${res.text.slice(0, 200)}`);
  return res.json;
}

/** Asserts the documented list shape and returns the body. */
export function expectList(res, { page = 1, perPage = 20 } = {}) {
  const body = expectJson(res, 200);
  assert.ok(Array.isArray(body.items), 'items is an array');
  assert.equal(typeof body.total, 'number', 'total is a number');
  assert.equal(body.page, page, 'page');
  assert.equal(body.per_page, perPage, 'per_page');
  assert.ok(body.items.length <= perPage, 'no more items than per_page');
  assert.ok(body.total >= body.items.length, 'total >= items on the page');
  return body;
}

export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/;

/**
 * A logged-in browser-like client: keeps the fk_session cookie, sends
 * X-CSRF-Token on mutating requests (unless {csrf:false} or {csrf:'value'}).
 */
export class Client {
  constructor(base, { cookie = null, csrf = null, bearer = null, login = null } = {}) {
    this.base = base;
    this.cookie = cookie; // "fk_session=..."
    this.csrf = csrf;
    this.bearer = bearer;
    this.login = login; // the login answer body
  }

  request(method, path, { body, headers = {}, csrf } = {}) {
    const h = { ...headers };
    if (this.cookie) h.Cookie = this.cookie;
    if (this.bearer) h.Authorization = `Bearer ${this.bearer}`;
    const mutating = !['GET', 'HEAD', 'OPTIONS'].includes(method);
    const token = csrf === undefined ? this.csrf : csrf;
    if (mutating && token) h['X-CSRF-Token'] = token;
    return httpRequest(this.base, method, path, { body, headers: h });
  }
  get(path, opts) {
    return this.request('GET', path, opts);
  }
  post(path, body, opts = {}) {
    return this.request('POST', path, { ...opts, body });
  }
  patch(path, body, opts = {}) {
    return this.request('PATCH', path, { ...opts, body });
  }
  delete(path, opts) {
    return this.request('DELETE', path, opts);
  }
}

/** Parses the fk_session cookie from a Set-Cookie header list. */
export function sessionCookie(res) {
  const list = res.headers['set-cookie'] || [];
  for (const line of list) {
    const m = /^fk_session=([^;]*)/.exec(line);
    if (m) return { line, value: m[1], attrs: line.split(';').slice(1).map((s) => s.trim()) };
  }
  return null;
}

// ---------- the server ----------

/**
 * Registers before()/after() hooks that start and stop a server; returns the
 * handle, filled in by before(). `setup(fk)` runs in the same hook once the
 * server is up. Options:
 *   now: true | 'RFC 3339'   set FANGKONG_NOW (true = 2022-03-02T08:00:00+08:00)
 *   clock: 'frozen'          with `now`: FANGKONG_CLOCK=frozen for the server and
 *                            every command, so time stands still at `now` (a
 *                            slow start cannot move an instant a test compares
 *                            exactly); fk.setClock()/fk.advanceClock() move it
 *   serveArgs: [...]         extra flags for `fangkong serve`
 *   web: path | null         --web (default <repo>/web/dist)
 *   people, seed             demo size (300, 7)
 *   users: [{username, role, region?, displayName?, password?}]  extra users
 *          made before the server starts (region defaults to the district)
 */
export function useServer(options = {}, setup = null) {
  const fk = new Server(options);
  // One hook: node 20 runs several root-level before() hooks concurrently, so
  // per-file setup that needs the server goes in `setup`, not its own before().
  before(async () => {
    await fk.start();
    if (setup) await setup(fk);
  });
  after(async () => {
    await fk.stop();
  });
  return fk;
}

export class Server {
  constructor(options = {}) {
    this.options = options;
    this.users = {};
    this.proc = null;
    this.exit = null;
  }

  /** Environment for every fangkong command of this server. */
  get env() {
    const env = { ...process.env, FANGKONG_KEY_FILE: join(this.dir, 'fangkong.key') };
    for (const k of Object.keys(env)) if (k.startsWith('FANGKONG_') && k !== 'FANGKONG_KEY_FILE') delete env[k];
    const now = this.options.now === true ? NOW : this.options.now;
    if (now) env.FANGKONG_NOW = now;
    if (now && this.options.clock === 'frozen') env.FANGKONG_CLOCK = 'frozen';
    return env;
  }

  /** With clock: 'frozen': sets the server's clock to `now` (RFC 3339), where
   *  it stays; later commands run at it too. Resolves the server's new time. */
  async setClock(now) {
    return this.moveClock({ now }, now);
  }

  /** With clock: 'frozen': moves the server's clock on by `seconds`. */
  async advanceClock(seconds) {
    return this.moveClock({ advance_seconds: seconds });
  }

  async moveClock(body, now) {
    const res = await this.request('POST', '/api/v1/test/clock', { body });
    const at = expectJson(res).now;
    this.options.now = now ?? at;
    return at;
  }

  /** Runs `fangkong ARGS` with this server's environment, in its temp dir. */
  cli(args, opts = {}) {
    return fangkong(args, { env: this.env, cwd: this.dir, ...opts });
  }

  async cliOk(args, opts = {}) {
    const r = await this.cli(args, opts);
    if (r.code !== 0)
      throw new Error(`fangkong ${args.join(' ')} exited ${r.code ?? r.signal}\n${r.stderr}${r.stdout}`);
    return r;
  }

  async start() {
    if (!existsSync(BIN)) throw new Error(`no fangkong binary at ${BIN} (build it, or set FK_BIN)`);
    this.dir = mkdtempSync(join(tmpdir(), 'fk-api-'));
    if (DB_KIND === 'pg') {
      const admin = process.env.FK_TEST_PG_ADMIN_URL;
      if (!admin) throw new Error('FK_TEST_DB_KIND=pg needs FK_TEST_PG_ADMIN_URL');
      this.pgAdmin = admin;
      this.pgName = `fk_${randomBytes(6).toString('hex')}`;
      const r = await runCommand('psql', ['-q', '-X', '-v', 'ON_ERROR_STOP=1', admin, '-c', `CREATE DATABASE ${this.pgName}`]);
      if (r.code !== 0) throw new Error(`psql CREATE DATABASE failed: ${r.stderr}`);
      const u = new URL(admin);
      u.pathname = `/${this.pgName}`;
      this.db = u.toString();
    } else if (DB_KIND === 'sqlite') {
      this.db = join(this.dir, 'fangkong.db');
    } else {
      throw new Error(`FK_TEST_DB_KIND must be sqlite or pg, not ${DB_KIND}`);
    }

    await this.cliOk(['init', '--db', this.db]);
    const demo = await this.cliOk([
      'demo', '--db', this.db,
      '--people', String(this.options.people ?? 300),
      '--seed', String(this.options.seed ?? 7),
      '--allow-weak-password', // the demo's shared Demo@2022 fails the password rule
      // Hundreds of logins per file: the minimum argon2id cost keeps each one
      // about 1 ms instead of 0.1-0.2 s (tests that time a login make their
      // own user with realHash).
      '--fast-password-hash',
    ]);
    this.demoOutput = demo.stdout;

    // Our own users (the demo's logins are its business).
    await this.addUser({ key: 'admin', username: 't_admin', role: 'district_admin', region: DISTRICT_SHORT, displayName: '测试区管理员' });
    for (const u of this.options.users || []) await this.addUser({ region: DISTRICT_SHORT, ...u });

    await this.serve();

    // Discover the demo's townships and give one of them an officer.
    const admin = await this.login(this.users.admin);
    const district = expectJson(await admin.get(`/api/v1/regions/${DISTRICT_SHORT}`));
    this.district = district;
    this.townships = district.children || [];
    if (this.townships.length < 2) throw new Error(`the demo district has ${this.townships.length} townships`);
    await this.addUser({ key: 'officer', username: 't_officer', role: 'township_officer', region: this.townships[0].code, displayName: '测试乡镇干部' });
    await admin.delete('/api/v1/session');
  }

  /** `fangkong user add`; remembers the user under fk.users[key ?? username].
   *  The hash has libsodium's minimum argon2id cost unless `realHash`. */
  async addUser({ key, username, role, region, displayName, password = PASSWORD, realHash = false }) {
    const args = ['user', 'add', '--db', this.db, '--username', username, '--role', role, '--region', region];
    if (displayName) args.push('--display-name', displayName);
    if (!realHash) args.push('--fast-password-hash');
    const r = await this.cliOk(args, { input: `${password}\n` });
    const user = { username, password, role, region, displayName, id: Number(r.stdout.trim()) };
    this.users[key ?? username] = user;
    return user;
  }

  /** `fangkong token create`; resolves the bearer token. */
  async createToken(username, name) {
    const args = ['token', 'create', '--db', this.db, '--username', username];
    if (name) args.push('--name', name);
    const r = await this.cliOk(args);
    const token = r.stdout.trim().split('\n').pop().trim();
    assert.ok(token.length >= 16, `token printed: ${r.stdout}`);
    return token;
  }

  async serve() {
    // --web only when the built UI exists (tests that need it skip otherwise).
    const web = this.options.web === undefined ? (existsSync(WEB_DIST) ? WEB_DIST : null) : this.options.web;
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      this.base = `http://127.0.0.1:${this.port}`;
      this.logFile = join(this.dir, `server-${attempt}.log`);
      const args = ['serve', '--db', this.db, '--listen', `127.0.0.1:${this.port}`];
      if (web) args.push('--web', web);
      args.push(...(this.options.serveArgs || []));
      const fd = openSync(this.logFile, 'w');
      const proc = spawn(BIN, args, { env: this.env, cwd: this.dir, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      this.proc = proc;
      this.exit = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
      let exited = null;
      this.exit.then((e) => (exited = e));
      const deadline = Date.now() + 20000;
      while (Date.now() < deadline && !exited) {
        try {
          const res = await httpRequest(this.base, 'GET', '/healthz', { timeoutMs: 1000 });
          if (res.status === 200) return;
        } catch {
          /* not yet */
        }
        await sleep(50);
      }
      const log = this.log();
      if (exited && attempt < 3 && /address|in use|bind/i.test(log)) continue; // lost the port race
      if (!exited) proc.kill('SIGKILL');
      this.proc = null;
      throw new Error(`fangkong serve did not become healthy (${exited ? `exited ${exited.code ?? exited.signal}` : 'timeout'})\n${log}`);
    }
  }

  log() {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops the server with SIGTERM; asserts a clean exit 0. */
  async stopServer() {
    if (!this.proc) return;
    const proc = this.proc;
    this.proc = null;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
    const { code, signal } = await this.exit;
    clearTimeout(timer);
    assert.equal(signal, null, `the server died of ${signal} on SIGTERM\n${this.log().slice(-3000)}`);
    assert.equal(code, 0, `the server exited ${code} on SIGTERM\n${this.log().slice(-3000)}`);
  }

  async stop() {
    let failure = null;
    try {
      await this.stopServer();
    } catch (e) {
      failure = e;
    }
    if (this.pgName) {
      await runCommand('psql', ['-q', '-X', this.pgAdmin, '-c', `DROP DATABASE IF EXISTS ${this.pgName} WITH (FORCE)`]).catch(() => {});
    }
    if (this.dir && !process.env.FK_TEST_KEEP && !failure) rmSync(this.dir, { recursive: true, force: true });
    else if (this.dir) console.error(`fangkong test dir kept: ${this.dir}`);
    if (failure) throw failure;
  }

  // ----- requests -----

  request(method, path, opts) {
    return httpRequest(this.base, method, path, opts);
  }
  get(path, opts) {
    return this.request('GET', path, opts);
  }

  /** POST /api/v1/session; resolves the raw response. opts: {localAddress, headers}. */
  loginRaw(username, password, opts = {}) {
    return this.request('POST', '/api/v1/session', { ...opts, body: { username, password } });
  }

  /** Logs in (a user object or username+password); resolves a Client. */
  async login(user, password) {
    const username = typeof user === 'string' ? user : user.username;
    const pw = password ?? (typeof user === 'string' ? PASSWORD : user.password);
    const res = await this.loginRaw(username, pw);
    const body = expectJson(res, 200);
    const cookie = sessionCookie(res);
    assert.ok(cookie, `login sets fk_session: ${JSON.stringify(res.headers['set-cookie'])}`);
    assert.equal(typeof body.csrf_token, 'string');
    return new Client(this.base, { cookie: `fk_session=${cookie.value}`, csrf: body.csrf_token, login: body });
  }

  /** A client that authenticates with a bearer token. */
  bearer(token) {
    return new Client(this.base, { bearer: token });
  }

  /** A client with no credentials. */
  anonymous() {
    return new Client(this.base);
  }
}

// Protocol errors and connection floods, over raw sockets: each bad request
// gets exactly one well-formed HTTP/1.1 reply within a bounded time (JSON
// wherever the server can intercept it), slow senders are answered 408 and
// dropped, one address cannot take every connection, the trusted proxies are
// exempt, libmicrohttpd's own messages reach the log as aggregated JSON lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { useServer, expectJson, httpRequest } from './lib/server.js';

// Small limits so that a flood of a hundred sockets shows what 4,200 did:
// 64 connections in all (16 per worker thread), 16 per address.
const fk = useServer({
  people: 20,
  serveArgs: [
    '--conn-limit', '64', '--per-ip-conn-limit', '16', '--trusted-proxies', '127.0.0.3',
    '--header-timeout', '2', '--body-min-rate', '100',
  ],
});
const started = Date.now();

/**
 * Sends `data` on a fresh socket (from `localAddress`) and collects what comes
 * back until the server closes or `timeoutMs` pass. `trickle` (ms) then sends
 * one more byte that often, like a slowloris; `later` [ms, data] sends the
 * rest of a request after a pause. Resolves {buffer, ms, closed}.
 */
function raw(data, { localAddress = '127.0.0.1', timeoutMs = 5000, trickle = 0, later = null } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const chunks = [];
    const socket = net.connect({ host: '127.0.0.1', port: fk.port, localAddress });
    let timer = null;
    let drip = null;
    const done = (closed) => {
      clearTimeout(timer);
      clearInterval(drip);
      socket.destroy();
      resolve({ buffer: Buffer.concat(chunks), ms: Date.now() - t0, closed });
    };
    socket.on('connect', () => {
      socket.write(data);
      if (trickle) drip = setInterval(() => socket.write('a'), trickle);
      if (later) setTimeout(() => socket.writable && socket.write(later[1]), later[0]);
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => done(true));
    socket.on('error', () => done(true)); // a reset after the reply still counts as closed
    timer = setTimeout(() => done(false), timeoutMs);
  });
}

/**
 * Parses exactly one HTTP/1.1 response out of `buffer`: one status line, the
 * headers, a body of Content-Length bytes and nothing after it.
 */
function oneResponse(buffer) {
  const text = buffer.toString('latin1');
  const where = JSON.stringify(text.slice(0, 400));
  const end = text.indexOf('\r\n\r\n');
  assert.ok(end > 0, `a complete head: ${where}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.1 (\d{3}) [^\r\n]+$/.exec(statusLine);
  assert.ok(m, `an HTTP/1.1 status line: ${where}`);
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    assert.ok(colon > 0, `a header line "${line}": ${where}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    assert.ok(!(name in headers) || name === 'set-cookie', `header ${name} only once: ${where}`);
    headers[name] = line.slice(colon + 1).trim();
  }
  assert.match(headers['content-length'] || '', /^\d+$/, `a Content-Length: ${where}`);
  const body = buffer.subarray(end + 4);
  assert.equal(body.length, Number(headers['content-length']), `the body is Content-Length long and nothing follows: ${where}`);
  assert.ok(!/HTTP\/1\.[01] \d{3}/.test(body.toString('latin1')), `no second status line: ${where}`);
  return { status: Number(m[1]), headers, body: body.toString('utf8') };
}

/** One response, JSON, with the documented error shape. */
function jsonError(res, status, code, field) {
  const r = oneResponse(res.buffer);
  assert.equal(r.status, status, `status: ${r.status} ${r.body}`);
  assert.match(r.headers['content-type'] || '', /^application\/json/, 'JSON content type');
  const e = JSON.parse(r.body).error;
  assert.equal(e.code, code);
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length > 0);
  assert.equal(e.field, field);
  return r;
}

const post = (headers) => `POST /api/v1/session HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;

test('Content-Length: 99999999999999999999 (past 64 bits) → one JSON 413, not the status line twice and HTML', async () => {
  const res = await raw(post('Content-Length: 99999999999999999999\r\n'));
  assert.ok(res.closed && res.ms < 3000, `answered and closed at once (${res.ms} ms)`);
  jsonError(res, 413, 'body_too_large', 'body');
  jsonError(await raw(post('Content-Length: 18446744073709551616\r\n')), 413, 'body_too_large', 'body');
});

test('Content-Length: 18446744073709551615 (fits 64 bits, not 63) → JSON 413 before the body', async () => {
  const res = await raw(post('Content-Length: 18446744073709551615\r\n'));
  assert.ok(res.ms < 3000, `${res.ms} ms`);
  jsonError(res, 413, 'body_too_large', 'body');
});

test('Content-Length: -1 and other malformed lengths → one JSON 400 naming Content-Length', async () => {
  for (const value of ['-1', '12abc', '1 2', '+5']) {
    const res = await raw(post(`Content-Length: ${value}\r\n`));
    assert.ok(res.closed && res.ms < 3000, `${value}: answered and closed at once (${res.ms} ms)`);
    jsonError(res, 400, 'bad_content_length', 'Content-Length');
  }
});

test('a declared 2 MiB body with 2 bytes sent → JSON 413 at once, before reading the body', async () => {
  const res = await raw(`${post('Content-Type: application/json\r\nContent-Length: 2097152\r\n')}{}`);
  assert.ok(res.ms < 3000, `answered within 3 s (${res.ms} ms)`);
  const r = jsonError(res, 413, 'body_too_large', 'body');
  assert.equal(r.headers['connection'], 'close', 'the unread body closes the connection');
  assert.equal(r.headers['x-content-type-options'], 'nosniff', 'the security headers');
});

// libmicrohttpd 0.9.75 answers these itself (its access handler is never
// called) with a small HTML page that no option replaces: the reply is one
// well-formed response with the right status, and the server goes on.
for (const [name, request, status] of [
  ['a URI of 70,000 bytes → 414', `GET /${'a'.repeat(70000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
  ['a header of 70,000 bytes → 431', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70000)}\r\n\r\n`, 431],
  ['an HTTP/0.9 request line → 400', 'GET /healthz\r\n\r\n', 400],
  ['HTTP/2.0 in the request line → 505', 'GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n', 505],
  ['a malformed chunk size → 400', `${post('Transfer-Encoding: chunked\r\n')}zz\r\n\r\n`, 400],
]) {
  test(`${name}: one well-formed response, then the connection closes`, async () => {
    const res = await raw(request);
    assert.ok(res.closed && res.ms < 3000, `answered and closed (${res.ms} ms)`);
    assert.equal(oneResponse(res.buffer).status, status);
  });
}

test('a slow sender is answered 408 and dropped: headers within --header-timeout, bodies at --body-min-rate; a silent one is closed', async () => {
  const [head, body, ok, idle, kept] = await Promise.all([
    // a byte every 300 ms keeps an idle timeout (--conn-timeout) from ever firing
    raw('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', { trickle: 300, timeoutMs: 8000 }),
    raw(`${post('Content-Type: application/json\r\nContent-Length: 1000\r\n')}{"a":"`, { trickle: 300, timeoutMs: 8000 }),
    // a request that keeps to the limits is not hurt: its head in two parts, in time
    raw('GET /healthz HTTP/1.1\r\nHost: x\r\n', { later: [1000, 'Connection: close\r\n\r\n'] }),
    // a connection that sends nothing (a browser's preconnect) is closed quietly
    raw('', { timeoutMs: 8000 }),
    // and so is a kept-alive one after its reply: one 200, no 408 after it
    raw('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 8000 }),
  ]);
  for (const [res, field] of [[head, 'headers'], [body, 'body']]) {
    assert.ok(res.closed, `${field}: closed by the server (${res.ms} ms)`);
    assert.ok(res.ms >= 1900 && res.ms < 6000, `${field}: after 2–3 s (${res.ms} ms)`);
    jsonError(res, 408, 'request_timeout', field);
  }
  assert.equal(oneResponse(ok.buffer).status, 200);
  assert.ok(idle.closed && idle.ms >= 1900 && idle.ms < 6000, `the idle one closed after 2–3 s (${idle.ms} ms)`);
  assert.equal(idle.buffer.length, 0, 'without a reply');
  assert.ok(kept.closed && kept.ms >= 1900 && kept.ms < 6000, `the kept-alive one closed after 2–3 s (${kept.ms} ms)`);
  assert.equal(oneResponse(kept.buffer).status, 200);
});

/** The server log as parsed lines; a plain-text line fails the test. */
function logLines() {
  return fk.log().split('\n').filter((l) => l.length > 0).map((l) => {
    try {
      return JSON.parse(l);
    } catch {
      assert.fail(`a plain-text line in the server log: ${l}`);
    }
    return null;
  });
}

/** Opens `n` idle sockets from `localAddress`; resolves them once connected. */
async function idleSockets(n, localAddress) {
  const sockets = await Promise.all(
    Array.from({ length: n }, () => new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: fk.port, localAddress });
      s.on('error', () => {});
      s.on('connect', () => resolve(s));
      s.on('close', () => resolve(s));
    })),
  );
  return sockets;
}

/** How many of the sockets the server still keeps open. */
const stillOpen = (sockets) => sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;

/** Waits (up to 3 s) until the server has closed all but `n` of the sockets. */
async function openSettlesAt(sockets, n) {
  const deadline = Date.now() + 3000;
  while (stillOpen(sockets) > n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return stillOpen(sockets);
}

test('a flood of idle sockets from one address: the others still get /healthz at once; the limit is per address', async () => {
  const flood = await idleSockets(100, '127.0.0.4');
  try {
    assert.equal(await openSettlesAt(flood, 16), 16, 'the server keeps --per-ip-conn-limit (16) of them');
    const t0 = Date.now();
    expectJson(await httpRequest(fk.base, 'GET', '/healthz', { timeoutMs: 3000 }));
    const fromTwo = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { localAddress: '127.0.0.2', timeoutMs: 3000 });
    assert.equal(oneResponse(fromTwo.buffer).status, 200, '127.0.0.2 is served');
    assert.ok(Date.now() - t0 < 3000, `within 3 s (${Date.now() - t0} ms)`);
    // The operator sees it: one line a second with the count and an address.
    const deadline = Date.now() + 3000;
    let refused = [];
    while (refused.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      refused = logLines().filter((l) => l.event === 'per_ip_conn_limit');
    }
    assert.ok(refused.length >= 1 && refused.length <= 3, `per_ip_conn_limit lines: ${refused.length}`);
    assert.equal(refused[0].ip, '127.0.0.4');
    const count = refused.reduce((n, l) => n + l.refused, 0);
    assert.ok(count > 0 && count <= 84, `refused connections counted: ${count} of the 84 closed`);
  } finally {
    for (const s of flood) s.destroy();
  }
});

test('the trusted proxies are exempt from the per-address limit', async () => {
  const proxy = await idleSockets(30, '127.0.0.3');
  try {
    // Half a second lets the server accept (or refuse) them all, well before
    // --header-timeout would drop them.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(stillOpen(proxy), 30, 'all 30 connections of the proxy are kept');
    const answers = await Promise.all(
      proxy.map((s) => new Promise((resolve) => {
        const chunks = [];
        s.on('data', (c) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks)));
        s.end('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      })),
    );
    for (const a of answers) assert.equal(oneResponse(a).status, 200);
  } finally {
    for (const s of proxy) s.destroy();
  }
});

test('200 malformed requests in a burst: libmicrohttpd\'s messages fold into a few JSON lines', async () => {
  const mhdLines = () => logLines().filter((l) => l.event === 'mhd');
  const before = mhdLines().length;
  for (let i = 0; i < 20; i++) { // ten at a time: within this server's small limits
    const burst = await Promise.all(Array.from({ length: 10 }, () => raw('GET /healthz\r\n\r\n')));
    for (const res of burst) assert.equal(oneResponse(res.buffer).status, 400);
  }
  // The last folded messages are summed up within a second of the burst.
  const deadline = Date.now() + 3000;
  let lines = [];
  let messages = 0;
  for (;;) {
    lines = mhdLines().slice(before);
    messages = lines.reduce((n, l) => n + 1 + (l.repeated || 0), 0);
    if (messages >= 200 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(messages >= 200, `every message is counted: ${messages}`);
  assert.ok(lines.length <= 6, `in a few lines, not one each: ${lines.length}`);
  for (const l of lines) assert.equal(typeof l.msg, 'string');
});

test('after all that the server serves, and its log is JSON lines only, at most two "mhd" lines a second', async () => {
  expectJson(await fk.get('/healthz'));
  const mhd = logLines().filter((l) => l.event === 'mhd').length;
  assert.ok(mhd >= 1, 'libmicrohttpd messages are logged (as event "mhd")');
  const seconds = (Date.now() - started) / 1000;
  assert.ok(mhd <= 2 * seconds + 2, `at most two "mhd" lines a second: ${mhd} in ${seconds.toFixed(1)} s`);
});

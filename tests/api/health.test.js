// /healthz, /metrics, the OpenAPI document, security headers, 404/405 and
// the web UI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { useServer, expectError, expectJson, REPO, WEB_DIST } from './lib/server.js';

const fk = useServer();

/** [method, path] of every endpoint in docs/api.md's table. */
function documentedEndpoints() {
  const text = readFileSync(join(REPO, 'docs/api.md'), 'utf8');
  const out = [];
  for (const m of text.matchAll(/^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*`([^`]+)`/gm))
    out.push([m[1], m[2].replace(/\?.*$/, '')]);
  return out;
}

/** Sums the fangkong_http_requests_total samples matching a label filter. */
function requestCount(metrics, filter = () => true) {
  let sum = 0;
  for (const line of metrics.split('\n')) {
    const m = /^fangkong_http_requests_total\{([^}]*)\}\s+([0-9.eE+-]+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (filter(labels)) sum += Number(m[2]);
  }
  return sum;
}

test('GET /healthz answers {"status":"ok"}', async () => {
  const res = await fk.get('/healthz');
  assert.deepEqual(expectJson(res), { status: 'ok' });
});

test('/metrics: request counter with route/method/status labels, a duration histogram, and it counts', async () => {
  const first = await fk.get('/metrics');
  assert.equal(first.status, 200);
  assert.match(first.headers['content-type'] || '', /^text\/plain/);
  const text = first.text;
  assert.match(text, /^# TYPE fangkong_http_requests_total counter$/m);
  assert.match(text, /^# TYPE fangkong_http_request_duration_seconds histogram$/m);
  assert.match(text, /^fangkong_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} \d+/m);
  assert.match(text, /^fangkong_http_request_duration_seconds_sum(\{[^}]*\})? [0-9.eE+-]+$/m);
  assert.match(text, /^fangkong_http_request_duration_seconds_count(\{[^}]*\})? \d+$/m);
  const sample = text.split('\n').find((l) => l.startsWith('fangkong_http_requests_total{'));
  assert.ok(sample, 'at least one request counted (the healthz polls before the tests)');
  for (const label of ['route', 'method', 'status']) assert.match(sample, new RegExp(`\\b${label}="`), `label ${label} in ${sample}`);

  const isHealthOk = (l) => /healthz/.test(l.route) && l.method === 'GET' && l.status === '200';
  const totalBefore = requestCount(text);
  const healthBefore = requestCount(text, isHealthOk);
  const notFoundBefore = requestCount(text, (l) => l.status === '404');
  for (let i = 0; i < 3; i++) assert.equal((await fk.get('/healthz')).status, 200);
  assert.equal((await fk.get('/api/v1/no-such-thing')).status, 404);

  const after = (await fk.get('/metrics')).text;
  assert.ok(requestCount(after, isHealthOk) >= healthBefore + 3, 'GET /healthz 200 counted three more times');
  assert.ok(requestCount(after, (l) => l.status === '404') >= notFoundBefore + 1, 'the 404 counted');
  assert.ok(requestCount(after) >= totalBefore + 5, 'the total grows (3 healthz, 1 404, 1 metrics)');
  // Unknown paths must not become labels one by one (cardinality).
  assert.ok(!after.includes('no-such-thing'), 'unknown paths are not used as route labels');
});

test('GET /api/v1/openapi.json is OpenAPI 3 and lists every documented endpoint', async () => {
  const doc = expectJson(await fk.get('/api/v1/openapi.json'));
  assert.equal(typeof doc.openapi, 'string');
  assert.ok(doc.openapi.startsWith('3.'), `openapi ${doc.openapi}`);
  assert.equal(typeof doc.info?.title, 'string');
  assert.equal(typeof doc.info?.version, 'string');
  assert.ok(doc.paths && typeof doc.paths === 'object');
  const endpoints = documentedEndpoints();
  assert.ok(endpoints.length >= 14, `parsed ${endpoints.length} endpoints from docs/api.md`);
  const missing = endpoints.filter(([method, path]) => !doc.paths[path]?.[method.toLowerCase()]);
  assert.deepEqual(missing, [], 'documented endpoints missing from openapi.json');
  for (const [method, path] of endpoints) {
    const op = doc.paths[path][method.toLowerCase()];
    assert.ok(op.responses && Object.keys(op.responses).length > 0, `${method} ${path} has responses`);
    for (const name of path.matchAll(/\{(\w+)\}/g)) {
      const param = (op.parameters || doc.paths[path].parameters || []).find((p) => p.name === name[1] && p.in === 'path');
      assert.ok(param, `${method} ${path} declares the path parameter ${name[1]}`);
    }
  }
});

test('security headers on JSON answers, errors and /healthz', async () => {
  for (const path of ['/healthz', '/api/v1/openapi.json', '/api/v1/session', '/api/v1/nope']) {
    const res = await fk.get(path);
    const csp = res.headers['content-security-policy'];
    assert.ok(csp, `${path}: Content-Security-Policy present`);
    assert.match(csp, /frame-ancestors 'none'/, `${path}: CSP frame-ancestors 'none'`);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', `${path}: X-Content-Type-Options`);
    assert.ok(res.headers['referrer-policy'], `${path}: Referrer-Policy present`);
  }
});

test('unknown API route → 404 not_found naming path', async () => {
  expectError(await fk.get('/api/v1/no-such-thing'), 404, 'not_found', 'path');
  expectError(await fk.request('POST', '/api/v1/no-such-thing', { body: {} }), 404, 'not_found', 'path');
  expectError(await fk.get('/api/v2/session'), 404, 'not_found', 'path');
});

test('known path, other method → 405 method_not_allowed', async () => {
  expectError(await fk.request('DELETE', '/healthz'), 405, 'method_not_allowed');
  expectError(await fk.request('PUT', '/api/v1/session', { body: {} }), 405, 'method_not_allowed');
  expectError(await fk.request('POST', '/api/v1/regions/141102'), 405, 'method_not_allowed');
  expectError(await fk.request('DELETE', '/api/v1/users'), 405, 'method_not_allowed');
});

test('405 carries an Allow header naming the methods (RFC 9110 §15.5.6)', async () => {
  const res = await fk.request('DELETE', '/healthz');
  assert.equal(res.status, 405);
  assert.match(res.headers.allow || '', /\bGET\b/);
  const users = await fk.request('PUT', '/api/v1/users', { body: {} });
  assert.equal(users.status, 405);
  assert.match(users.headers.allow || '', /\bGET\b/);
  assert.match(users.headers.allow || '', /\bPOST\b/);
});

test('the web UI is served at / as text/html', { skip: !existsSync(join(WEB_DIST, 'index.html')) && 'web/dist is not built' }, async () => {
  const res = await fk.get('/');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'] || '', /^text\/html/);
  assert.match(res.text, /<html|<!doctype html/i);
  assert.match(res.headers['content-security-policy'] || '', /frame-ancestors 'none'/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
});

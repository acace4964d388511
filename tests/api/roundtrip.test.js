// Export round trip (issue 3 tests): the persons ledger a district exports
// with full numbers imports into an empty store and gives back the same
// persons; and the ledger re-imported into the store it came from adds nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { useServer, Server, expectJson } from './lib/server.js';
import { readXlsxRows } from './fixtures/xlsx.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
// The columns that describe a person (序号 and 登记时间 belong to the store,
// 类别 is not part of the import template).
const KEEP = ['姓名', '性别', '出生日期', '身份证号', '手机号', '区划代码', '所属区划', '地址'];

let source, target; // district admins of the two stores
const empty = new Server({ now: true, people: 0 });
const fk = useServer({ now: true, people: 300 }, async () => {
  await empty.start();
  source = await fk.login(fk.users.admin);
  target = await empty.login(empty.users.admin);
});
after(async () => {
  await empty.stop();
});

/** GET as bytes (the shared client decodes bodies as UTF-8 text). */
function rawGet(client, path) {
  const url = new URL(path, client.base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET', headers: { Cookie: client.cookie }, agent: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Parses the ledger CSV (RFC 4180 quoting, optional BOM) into rows of cells. */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  const s = text.replace(/^\ufeff/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

/** The persons of a ledger (rows of cells with a header row), keyed by ID number, sorted. */
function persons(rows) {
  const header = rows[0];
  const at = KEEP.map((h) => header.indexOf(h));
  at.forEach((i, k) => assert.ok(i >= 0, `the ledger has a ${KEEP[k]} column: ${header}`));
  return rows
    .slice(1)
    .filter((r) => r.some((c) => c !== '' && c != null))
    .map((r) => at.map((i) => (r[i] == null ? '' : String(r[i]))))
    .sort((a, b) => (a[3] < b[3] ? -1 : a[3] > b[3] ? 1 : 0));
}

async function ledger(client, format) {
  const res = await rawGet(client, `/api/v1/persons/export?format=${format}&unmasked=1`);
  assert.equal(res.status, 200, res.body.toString('utf8').slice(0, 300));
  return format === 'csv' ? parseCsv(res.body.toString('utf8')) : readXlsxRows(res.body);
}

async function importFile(client, body, type) {
  const res = await client.post('/api/v1/imports/persons', body, { headers: { 'Content-Type': type } });
  const { job_id: id } = expectJson(res, 202);
  const deadline = Date.now() + 60000;
  for (;;) {
    const job = expectJson(await client.get(`/api/v1/jobs/${id}`));
    if (job.state === 'done' || job.state === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the empty store starts with regions and no persons', async () => {
  const list = expectJson(await target.get('/api/v1/persons?per_page=1'));
  assert.equal(list.total, 0);
  const district = expectJson(await target.get(`/api/v1/regions/${fk.district.code}`));
  assert.deepEqual(district.children.map((c) => c.code), fk.townships.map((c) => c.code));
});

test('export (CSV, full numbers) → import into an empty store → the same persons', async () => {
  const exported = await ledger(source, 'csv');
  const want = persons(exported);
  const total = expectJson(await source.get('/api/v1/persons?per_page=1')).total;
  assert.equal(want.length, total, 'the ledger holds every person');
  assert.ok(want.length >= 250, `a real district sample: ${want.length}`);
  assert.ok(want.every((p) => /^\d{17}[\dX]$/.test(p[3])), 'full ID numbers in an unmasked ledger');

  const body = Buffer.from(exported.map((r) => r.map((c) => (/[",\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n'), 'utf8');
  const job = await importFile(target, body, 'text/csv');
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.rejected, 0, job.message);
  assert.equal(job.imported, want.length);

  const got = persons(await ledger(target, 'csv'));
  assert.deepEqual(got, want);
});

test('the XLSX ledger re-imported where it came from adds nothing', async () => {
  const res = await rawGet(source, '/api/v1/persons/export?format=xlsx&unmasked=1');
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], XLSX);
  const before = expectJson(await source.get('/api/v1/persons?per_page=1')).total;
  const job = await importFile(source, res.body, XLSX);
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.imported, 0);
  assert.equal(job.rejected, 0, job.message);
  assert.equal(job.skipped, before);
  assert.equal(expectJson(await source.get('/api/v1/persons?per_page=1')).total, before);
});

// Venues (场所) and place codes (场所码): create with a 422 per field, a
// signed FKS: code valid 30 days (re-issue, 1..31 days, the expiring-poster
// list), detail, edit and status, list filters and pagination, QR images,
// the ledger, the category table, the import job (Chinese and English
// headers, per-row errors, nothing half-written), and jurisdiction on every
// endpoint: an officer of another township gets 404 and sees nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, expectList, RFC3339 } from './lib/server.js';

const NOW = '2022-03-02T08:00:00+08:00';
const NOW_S = Date.parse(NOW) / 1000;
let T0, T1, COM; // townships and a community of T0
const fk = useServer({ now: NOW }, async (fk) => {
  const admin = await fk.login(fk.users.admin);
  T0 = fk.townships[0].code;
  T1 = fk.townships[1].code;
  COM = expectJson(await admin.get(`/api/v1/regions/${T0}`)).children[0].code;
  await fk.addUser({ key: 'officer1', username: 'v_officer1', role: 'township_officer', region: T1, displayName: '乙镇干部' });
  await fk.addUser({ key: 'worker', username: 'v_worker', role: 'community_worker', region: COM, displayName: '社区网格员' });
  await fk.addUser({ key: 'staff0', username: 'v_staff0', role: 'checkpoint_staff', region: T0, displayName: '甲镇场所工作人员' });
  await fk.addUser({ key: 'sampler', username: 'v_sampler', role: 'sampler', region: '141102', displayName: '采样员' });
});

const base = (over = {}) => ({
  name: '滨河超市',
  category: 'supermarket',
  region: COM,
  address: '滨河路 1 号',
  contact_name: '王经理',
  contact_phone: '13912345678',
  ...over,
});

let venue; // created by the officer in COM
// The test clock starts at NOW and runs on.
const near = (t, want) => assert.ok(t >= want && t < want + 300, `${t} near ${want}`);

test('create: a 422 naming every bad field, nothing stored', async () => {
  const officer = await fk.login(fk.users.officer);
  const long = 'x'.repeat(101);
  const cases = [
    [{ name: undefined }, 'missing_field', 'name'],
    [{ name: 5 }, 'invalid_field', 'name'],
    [{ name: long }, 'invalid_field', 'name'],
    [{ name: 'a\u0001b' }, 'invalid_field', 'name'],
    [{ category: undefined }, 'missing_field', 'category'],
    [{ category: 'castle' }, 'invalid_field', 'category'],
    [{ region: undefined }, 'missing_field', 'region'],
    [{ region: '12ab' }, 'invalid_field', 'region'],
    [{ region: '141102999999' }, 'invalid_field', 'region'],
    [{ region: T1 }, 'invalid_field', 'region'],
    [{ address: 'y'.repeat(201) }, 'invalid_field', 'address'],
    [{ contact_name: 'z'.repeat(33) }, 'invalid_field', 'contact_name'],
    [{ contact_phone: '1234' }, 'invalid_field', 'contact_phone'],
    [{ contact_phone: '23912345678' }, 'invalid_field', 'contact_phone'],
    [{ status: 'closed' }, 'invalid_field', 'status'],
    [{ note: 'n\u0007' }, 'invalid_field', 'note'],
    [{ dwell_minutes: -1 }, 'invalid_field', 'dwell_minutes'],
    [{ dwell_minutes: 1441 }, 'invalid_field', 'dwell_minutes'],
    [{ dwell_minutes: '30' }, 'invalid_field', 'dwell_minutes'],
    [{ valid_days: 0 }, 'invalid_field', 'valid_days'],
    [{ valid_days: 32 }, 'invalid_field', 'valid_days'],
  ];
  for (const [over, code, field] of cases) {
    const body = base(over);
    for (const k of Object.keys(over)) if (over[k] === undefined) delete body[k];
    expectError(await officer.post('/api/v1/venues', body), 422, code, field);
  }
  const list = expectList(await officer.get('/api/v1/venues'));
  assert.equal(list.total, 0, 'nothing stored by refused requests');
  // Roles without the registry.
  const sampler = await fk.login(fk.users.sampler);
  expectError(await sampler.post('/api/v1/venues', base()), 403, 'forbidden');
  expectError(await sampler.get('/api/v1/venues'), 403, 'forbidden');
});

test('create: 201 with a signed FKS: code valid 30 days, the category default dwell time, phone masked by role', async () => {
  const officer = await fk.login(fk.users.officer);
  venue = expectJson(await officer.post('/api/v1/venues', base()), 201);
  assert.ok(Number.isInteger(venue.id) && venue.id > 0);
  assert.match(venue.code, /^FKS:[0-9A-Z $%*+\-./:]+$/);
  assert.equal(venue.category_label, '超市');
  assert.equal(venue.status, 'open');
  assert.equal(venue.status_label, '开放');
  assert.equal(venue.dwell_minutes, 30);
  assert.equal(venue.dwell_custom, false);
  assert.equal(venue.region, COM);
  assert.match(venue.code_expires_at, RFC3339);
  near(Date.parse(venue.code_expires_at) / 1000, NOW_S + 30 * 86400);
  assert.equal(venue.code_expiring, false);
  assert.equal(venue.contact_phone, '13912345678', 'township officers see phones in full');
  const staff = await fk.login(fk.users.staff0);
  const seen = expectJson(await staff.get(`/api/v1/venues/${venue.id}`));
  assert.equal(seen.contact_phone, '139****5678', 'venue staff see it masked');
  assert.equal(seen.code, venue.code);
  // The code verifies as a venue code naming this venue.
  const v = expectJson(await officer.post('/api/v1/scans/verify', { code: venue.code }));
  assert.equal(v.valid, true);
  assert.equal(v.type, 'venue');
  assert.equal(v.id, venue.id);
});

test('edit: fields, status, own dwell time and back to the default; 422 per bad field', async () => {
  const worker = await fk.login(fk.users.worker);
  const url = `/api/v1/venues/${venue.id}`;
  expectError(await worker.patch(url, { status: 'shut' }), 422, 'invalid_field', 'status');
  expectError(await worker.patch(url, { category: 'x' }), 422, 'invalid_field', 'category');
  expectError(await worker.patch(url, { region: T1 }), 422, 'invalid_field', 'region');
  expectError(await worker.patch(url, { dwell_minutes: 5000 }), 422, 'invalid_field', 'dwell_minutes');
  expectError(await worker.patch(url, { contact_phone: '1' }), 422, 'invalid_field', 'contact_phone');
  let v = expectJson(await worker.patch(url, { name: '滨河生活超市', dwell_minutes: 45, status: 'suspended' }));
  assert.equal(v.name, '滨河生活超市');
  assert.equal(v.dwell_minutes, 45);
  assert.equal(v.dwell_custom, true);
  assert.equal(v.status, 'suspended');
  assert.equal(v.status_label, '暂停开放');
  assert.equal(v.address, '滨河路 1 号', 'untouched fields stay');
  v = expectJson(await worker.patch(url, { dwell_minutes: 0, status: 'open' }));
  assert.equal(v.dwell_minutes, 30);
  assert.equal(v.dwell_custom, false);
  assert.equal(v.status, 'open');
  const staff = await fk.login(fk.users.staff0);
  expectError(await staff.patch(url, { status: 'sealed' }), 403, 'forbidden');
});

test('list: filters by category, status, name prefix and region; pagination', async () => {
  const officer = await fk.login(fk.users.officer);
  const cats = ['hotel', 'school', 'restaurant', 'market', 'mall'];
  for (let i = 0; i < cats.length; i++)
    expectJson(await officer.post('/api/v1/venues', base({ name: `测试场所${i}`, category: cats[i], contact_phone: undefined })), 201);
  expectJson(await officer.post('/api/v1/venues', base({ name: '红星宾馆', category: 'hotel', status: 'sealed', region: T0 })), 201);
  let list = expectList(await officer.get('/api/v1/venues?category=hotel'));
  assert.equal(list.total, 2);
  list = expectList(await officer.get('/api/v1/venues?status=sealed'));
  assert.equal(list.total, 1);
  assert.equal(list.items[0].name, '红星宾馆');
  list = expectList(await officer.get(`/api/v1/venues?q=${encodeURIComponent('测试场所')}`));
  assert.equal(list.total, 5);
  list = expectList(await officer.get(`/api/v1/venues?region=${COM}`));
  assert.equal(list.total, 6);
  list = expectList(await officer.get('/api/v1/venues?per_page=2&page=2'), { page: 2, perPage: 2 });
  assert.equal(list.total, 7);
  assert.equal(list.items.length, 2);
  expectError(await officer.get('/api/v1/venues?category=castle'), 422, 'invalid_field', 'category');
  expectError(await officer.get('/api/v1/venues?status=x'), 422, 'invalid_field', 'status');
  expectError(await officer.get('/api/v1/venues?expiring=maybe'), 422, 'invalid_field', 'expiring');
  expectError(await officer.get(`/api/v1/venues?region=${T1}`), 404, 'region_not_found', 'region');
});

test('codes: re-issue for 1..31 days; posters expiring within 7 days are listed for reprint', async () => {
  const officer = await fk.login(fk.users.officer);
  const short = expectJson(await officer.post('/api/v1/venues', base({ name: '短期场所', category: 'transport', valid_days: 5 })), 201);
  assert.equal(short.code_expiring, true);
  let list = expectList(await officer.get('/api/v1/venues?expiring=1'));
  assert.deepEqual(list.items.map((v) => v.id), [short.id]);
  expectError(await officer.post(`/api/v1/venues/${short.id}/code`, { valid_days: 32 }), 422, 'invalid_field', 'valid_days');
  const again = expectJson(await officer.post(`/api/v1/venues/${short.id}/code`, { valid_days: 31 }));
  assert.notEqual(again.code, short.code);
  near(Date.parse(again.code_expires_at) / 1000, NOW_S + 31 * 86400);
  list = expectList(await officer.get('/api/v1/venues?expiring=1'));
  assert.equal(list.total, 0);
  // The old poster's code still verifies until it expires (printed copies).
  const v = expectJson(await officer.post('/api/v1/scans/verify', { code: short.code }));
  assert.equal(v.valid, true);
});

test('QR images, the ledger and the category table', async () => {
  const staff = await fk.login(fk.users.staff0);
  const svg = await staff.get(`/api/v1/venues/${venue.id}/qr.svg`);
  assert.equal(svg.status, 200);
  assert.equal(svg.headers['content-type'], 'image/svg+xml');
  assert.match(svg.text, /<svg/);
  const png = await staff.get(`/api/v1/venues/${venue.id}/qr.png`);
  assert.equal(png.status, 200);
  assert.equal(png.headers['content-type'], 'image/png');
  assert.deepEqual([...png.buffer.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  const csv = await staff.get('/api/v1/venues/export?format=csv');
  assert.equal(csv.status, 200);
  assert.match(csv.text, /场所名称/);
  assert.match(csv.text, /滨河生活超市/);
  assert.match(csv.text, /139\*\*\*\*5678/);
  const xlsx = await staff.get('/api/v1/venues/export');
  assert.equal(xlsx.status, 200);
  assert.equal(xlsx.buffer.subarray(0, 2).toString(), 'PK');
  expectError(await staff.get('/api/v1/venues/export?format=pdf'), 422, 'invalid_field', 'format');
  const cats = expectJson(await staff.get('/api/v1/venues/categories')).items;
  assert.deepEqual(cats.map((c) => c.name), ['gate', 'village', 'government', 'school', 'hospital', 'supermarket', 'market', 'mall', 'restaurant', 'hotel', 'entertainment', 'workplace', 'transport']);
  assert.ok(cats.every((c) => c.label && c.dwell_minutes > 0));
});

test('jurisdiction: an officer of another township gets 404 on every venue endpoint and sees nothing in lists', async () => {
  const other = await fk.login(fk.users.officer1);
  const id = venue.id;
  expectError(await other.get(`/api/v1/venues/${id}`), 404, 'venue_not_found');
  expectError(await other.patch(`/api/v1/venues/${id}`, { status: 'sealed' }), 404, 'venue_not_found');
  expectError(await other.post(`/api/v1/venues/${id}/code`, {}), 404, 'venue_not_found');
  expectError(await other.get(`/api/v1/venues/${id}/qr.svg`), 404, 'venue_not_found');
  expectError(await other.get(`/api/v1/venues/${id}/qr.png`), 404, 'venue_not_found');
  expectError(await other.get(`/api/v1/venues/${id}/checkins`), 404, 'venue_not_found');
  expectError(await other.get(`/api/v1/venues/${id}/checkins/export?format=csv`), 404, 'venue_not_found');
  expectError(await other.post(`/api/v1/venues/${id}/scans`, { id_number: '1', at: NOW, idempotency_key: 'k' }), 404, 'venue_not_found');
  expectError(await other.get('/api/v1/venues/99999999'), 404, 'venue_not_found');
  expectError(await other.get('/api/v1/venues/abc'), 404, 'venue_not_found');
  const list = expectList(await other.get('/api/v1/venues'));
  assert.equal(list.total, 0);
  const csv = await other.get('/api/v1/venues/export?format=csv');
  assert.equal(csv.status, 200);
  assert.doesNotMatch(csv.text, /滨河/);
  // The community worker sees only the venues of the community.
  const worker = await fk.login(fk.users.worker);
  const mine = expectList(await worker.get('/api/v1/venues'));
  assert.ok(mine.items.every((v) => v.region.startsWith(COM.replace(/0+$/, ''))), 'only the community');
  assert.ok(!mine.items.some((v) => v.name === '红星宾馆'), 'the township-level venue is outside');
  // Audit: reads and changes are logged.
  const admin = await fk.login(fk.users.admin);
  const audit = expectList(await admin.get('/api/v1/audit?action=venue_update&per_page=50'), { perPage: 50 });
  assert.ok(audit.total >= 2);
});

// --- import ---

const csvOf = (rows) => rows.map((r) => r.join(',')).join('\r\n') + '\r\n';

async function waitJob(client, id) {
  const deadline = Date.now() + 30000;
  for (;;) {
    const job = expectJson(await client.get(`/api/v1/jobs/${id}`));
    if (job.state === 'done' || job.state === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function importCsv(client, text) {
  const res = await client.post('/api/v1/venues/import', text, { headers: { 'Content-Type': 'text/csv' } });
  const { job_id } = expectJson(res, 202);
  return waitJob(client, job_id);
}

test('import: Chinese headers, per-row errors in the error sheet, valid rows stored with codes', async () => {
  const officer = await fk.login(fk.users.officer);
  const before = expectList(await officer.get('/api/v1/venues')).total;
  const job = await importCsv(officer, csvOf([
    ['场所名称', '类别', '区划代码', '地址', '负责人', '负责人电话', '停留时长（分钟）', '状态'],
    ['导入超市', 'supermarket', COM, '导入路 1 号', '李四', '13800001111', '', ''],
    ['导入学校', '学校', COM, '', '', '', '400', '暂停开放'],
    ['坏类别', 'castle', COM, '', '', '', '', ''],
    ['外镇场所', 'mall', T1, '', '', '', '', ''],
    ['坏电话', 'mall', COM, '', '', '123', '', ''],
  ]));
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.kind, 'import_venues');
  assert.equal(job.total, 5);
  assert.equal(job.imported, 2);
  assert.equal(job.rejected, 3);
  assert.match(job.message, /导入 2 个场所/);
  const sheet = await officer.get(job.errors_url);
  assert.equal(sheet.status, 200);
  assert.equal(sheet.buffer.subarray(0, 2).toString(), 'PK');
  const list = expectList(await officer.get(`/api/v1/venues?q=${encodeURIComponent('导入')}`));
  assert.equal(list.total, 2);
  const school = list.items.find((v) => v.name === '导入学校');
  assert.equal(school.category, 'school');
  assert.equal(school.status, 'suspended');
  assert.equal(school.dwell_minutes, 400);
  assert.match(school.code, /^FKS:/);
  assert.equal(expectList(await officer.get('/api/v1/venues')).total, before + 2);
});

test('import: English headers; a file without the required columns fails whole; refused media', async () => {
  const worker = await fk.login(fk.users.worker);
  let job = await importCsv(worker, csvOf([
    ['name', 'category', 'region', 'contact_phone'],
    ['English Mart', 'mall', COM, '13700002222'],
  ]));
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.imported, 1);
  job = await importCsv(worker, csvOf([['名称', '类别'], ['x', 'mall']]));
  assert.equal(job.state, 'failed');
  assert.match(job.message, /表头缺少必填列/);
  // The same upload rules as the persons import: a form's "file" field works too.
  const boundary = '----fkVenue7MA4YWxk';
  const form = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="场所.csv"\r\nContent-Type: text/csv\r\n\r\n`),
    Buffer.from(csvOf([['name', 'category', 'region'], ['Form Mart', 'market', COM]])),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const formRes = await worker.post('/api/v1/venues/import', form, { headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
  job = await waitJob(worker, expectJson(formRes, 202).job_id);
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.imported, 1);
  const empty = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--${boundary}--\r\n`);
  expectError(await worker.post('/api/v1/venues/import', empty, { headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } }), 422, 'missing_field', 'file');
  expectError(await worker.post('/api/v1/venues/import', 'a,b', { headers: { 'Content-Type': 'image/png' } }), 415, 'unsupported_media_type', 'file');
  expectError(await worker.post('/api/v1/venues/import', Buffer.from([0, 1, 2, 3]), { headers: { 'Content-Type': 'application/octet-stream' } }), 415, 'unsupported_media_type', 'file');
  expectError(await worker.post('/api/v1/venues/import', '', { headers: { 'Content-Type': 'text/csv' } }), 422, 'missing_field', 'file');
  const tpl = await worker.get('/api/v1/venues/import/template.csv');
  assert.equal(tpl.status, 200);
  assert.match(tpl.text, /场所名称,类别,区划代码/);
  const staff = await fk.login(fk.users.staff0);
  expectError(await staff.post('/api/v1/venues/import', 'a,b\r\n', { headers: { 'Content-Type': 'text/csv' } }), 403, 'forbidden');
});

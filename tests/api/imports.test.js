// Bulk import of residents (issue 3 item 2): POST /api/v1/imports/persons,
// GET /api/v1/jobs/{id}, the error sheet, the templates, jurisdiction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson } from './lib/server.js';
import { makeXlsx, readXlsxRows, readZip, gbk, idNumber } from './fixtures/xlsx.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const HEADERS = ['身份证号', '姓名', '手机号', '区划代码', '地址'];

let admin, worker, other;
let compound, otherCompound; // two compounds in different communities
const fk = useServer({ now: true }, async () => {
  admin = await fk.login(fk.users.admin);
  const township = expectJson(await admin.get(`/api/v1/regions/${fk.townships[0].code}`));
  assert.ok(township.children.length >= 2, 'two communities in the first township');
  const [c1, c2] = township.children;
  compound = expectJson(await admin.get(`/api/v1/regions/${c1.code}`)).children[0].code;
  otherCompound = expectJson(await admin.get(`/api/v1/regions/${c2.code}`)).children[0].code;
  await fk.addUser({ key: 'worker', username: 't_worker', role: 'community_worker', region: c1.code });
  await fk.addUser({ key: 'staff', username: 't_staff', role: 'checkpoint_staff', region: c1.code });
  worker = await fk.login(fk.users.worker);
  other = await fk.login(fk.users.officer);
});

// Sequence numbers 9xx and a 1950s birth year keep clear of the demo's people.
let seq = 900;
const newId = (birth = '19560412') => idNumber('141102', birth, seq++);

const csv = (rows) => rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n') + '\r\n';

async function upload(client, body, type = 'text/csv') {
  const res = await client.post('/api/v1/imports/persons', body, { headers: { 'Content-Type': type } });
  const json = expectJson(res, 202);
  assert.ok(Number.isInteger(json.job_id) && json.job_id > 0, `job_id: ${res.text}`);
  return json.job_id;
}

async function waitJob(client, id) {
  const deadline = Date.now() + 60000;
  for (;;) {
    const job = expectJson(await client.get(`/api/v1/jobs/${id}`));
    for (const k of ['id', 'kind', 'state', 'progress', 'total', 'imported', 'rejected', 'skipped', 'message', 'errors_url'])
      assert.ok(k in job, `job has ${k}: ${JSON.stringify(job)}`);
    assert.ok(['queued', 'running', 'done', 'failed'].includes(job.state), job.state);
    assert.ok(job.progress >= 0 && job.progress <= 1, `progress ${job.progress}`);
    if (job.state === 'done' || job.state === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function importFile(client, body, type) {
  return waitJob(client, await upload(client, body, type));
}

async function errorRows(client, job) {
  assert.equal(job.errors_url, `/api/v1/jobs/${job.id}/errors.xlsx`);
  const res = await client.get(job.errors_url);
  assert.equal(res.status, 200, res.text.slice(0, 200));
  // httpRequest decodes as UTF-8 text; fetch the raw bytes again for the zip.
  const raw = await rawGet(client, job.errors_url);
  assert.equal(res.headers['content-type'], XLSX);
  assert.equal(res.headers['content-disposition'], `attachment; filename="import-errors-${job.id}.xlsx"`);
  return readXlsxRows(raw);
}

/** GET as bytes (the shared client decodes bodies as UTF-8). */
async function rawGet(client, path) {
  const http = await import('node:http');
  const url = new URL(path, client.base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'GET', headers: { Cookie: client.cookie }, agent: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('a file mixing good rows with every kind of bad one: counts, error sheet, fix and re-upload', async () => {
  // A person stored by a first import, so that the mixed file has a duplicate of a stored person.
  const stored = newId();
  let job = await importFile(admin, csv([HEADERS, [stored, '已登记', '13900000001', compound, '一号楼']]));
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.imported, 1);

  const good1 = newId();
  const good2 = newId('19800101');
  const wrongCheck = good1.slice(0, 17) + (good1[17] === '0' ? '1' : '0');
  const impossible = idNumber('141102', '19900230', 1);
  const future = idNumber('141102', '20230101', 1);
  const badPhoneId = newId();
  const noNameId = newId();
  const unknownRegionId = newId();
  // Columns in another order, plus a column the importer does not know.
  const header = ['姓名', '区划代码', '身份证号', '备注', '手机号', '地址'];
  const rows = [
    header,
    ['张一', compound, good1, 'x', '13812345678', '1号楼'], //          2 imported
    ['张二', compound, good2, '', '', ''], //                            3 imported (no phone)
    ['错校验', compound, wrongCheck, '', '', ''], //                     4 rejected 身份证号
    ['错日期', compound, impossible, '', '', ''], //                     5 rejected 身份证号
    ['未出生', compound, future, '', '', ''], //                         6 rejected 身份证号
    ['错手机', compound, badPhoneId, '', '12345', ''], //                7 rejected 手机号
    ['张一重复', compound, good1, '', '', ''], //                        8 rejected 文件内身份证号重复
    ['已登记', compound, stored, '', '', ''], //                         9 skipped
    ['', compound, noNameId, '', '', ''], //                            10 rejected 姓名
    ['无区划', '141102099099099', unknownRegionId, '', '', ''], //     11 rejected 区划代码
  ];
  job = await importFile(admin, csv(rows));
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.kind, 'import_persons');
  assert.equal(job.total, 10);
  assert.equal(job.imported, 2);
  assert.equal(job.skipped, 1);
  assert.equal(job.rejected, 7);
  assert.equal(job.progress, 1);
  assert.match(job.message, /导入 2 行/);

  const sheet = await errorRows(admin, job);
  assert.deepEqual(sheet[0], ['行号', '列', '原因', ...HEADERS]);
  const byRow = Object.fromEntries(sheet.slice(1).map((r) => [r[0], r]));
  assert.deepEqual(Object.keys(byRow).sort((a, b) => a - b), ['4', '5', '6', '7', '8', '10', '11']);
  for (const r of sheet.slice(1)) assert.ok(r[2] && r[2].length > 0, `a reason for row ${r[0]}`);
  assert.equal(byRow[4][1], '身份证号');
  assert.equal(byRow[5][1], '身份证号');
  assert.equal(byRow[6][1], '身份证号');
  assert.equal(byRow[7][1], '手机号');
  assert.equal(byRow[8][1], '身份证号');
  assert.equal(byRow[8][2], '文件内身份证号重复');
  assert.equal(byRow[10][1], '姓名');
  assert.equal(byRow[11][1], '区划代码');
  // The original cells, under the template's headers.
  assert.deepEqual(byRow[7].slice(3, 8), [badPhoneId, '错手机', '12345', compound]);
  assert.equal(byRow[11][6], '141102099099099');

  // Fix the phone and the name in the sheet and upload it again (as XLSX):
  // those two are stored, the in-file duplicate of 张一 is now a stored person.
  const fixed = sheet.map((r) => [...r]);
  for (const r of fixed.slice(1)) {
    if (r[0] === '7') r[5] = '13812340007';
    if (r[0] === '10') r[4] = '补上名字';
  }
  job = await importFile(admin, makeXlsx([fixed]), XLSX);
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.total, 7);
  assert.equal(job.imported, 2);
  assert.equal(job.skipped, 1);
  assert.equal(job.rejected, 4);

  // Uploading the first file again adds nothing.
  job = await importFile(admin, csv(rows));
  assert.equal(job.imported, 0);
  assert.equal(job.skipped, 3); // good1, good2, stored; the 张一 duplicate is rejected again
});

test('GBK-encoded CSV (as Excel in China saves it) and English headers', async () => {
  const a = newId();
  const b = newId();
  const text = csv([HEADERS, [a, '王小明', '13700000001', compound, '幸福小区'], [b, '李华', '', compound, '']]);
  let job = await importFile(admin, gbk(text), 'application/vnd.ms-excel');
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.imported, 2, job.message);
  assert.equal(job.rejected, 0);
  job = await importFile(admin, gbk(text));
  assert.equal(job.skipped, 2);
  // The name arrived as 王小明, not mojibake.
  const found = expectJson(await admin.get(`/api/v1/persons?q=${a}`));
  assert.equal(found.items.length, 1);
  assert.equal(found.items[0].name, '王小明');

  const c = newId();
  job = await importFile(admin, Buffer.from('\ufeffID_Number , name,region\n' + `${c},Li Lei,${compound}\n`));
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.imported, 1);
});

test('XLSX with extra sheets: only the first is read; numbers as Excel stores them', async () => {
  const a = newId();
  const b = newId();
  const book = makeXlsx([
    [
      HEADERS,
      [a, '赵六', 13812345678, compound, '三号楼'], // phone stored as a number: fine
      [Number(b), '钱七', '', compound, ''], // ID stored as a number: precision lost
      [null, null, null, null, null],
      [newId(), '孙八', null, compound, null], // empty cells left out
    ],
    [['身份证号', '姓名', '区划代码'], [newId(), '第二张表', compound]],
  ]);
  const job = await importFile(admin, book, 'application/octet-stream');
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.total, 3);
  assert.equal(job.imported, 2);
  assert.equal(job.rejected, 1);
  const sheet = await errorRows(admin, job);
  assert.equal(sheet.length, 2);
  assert.equal(sheet[1][0], '3');
  assert.equal(sheet[1][1], '身份证号');
  assert.match(sheet[1][2], /数字/);
});

test('multipart/form-data with the file in field "file"', async () => {
  const id = newId();
  const boundary = '----fkTest7MA4YWxkTrZu0gW';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="人员.csv"\r\nContent-Type: text/csv\r\n\r\n`),
    Buffer.from(csv([HEADERS, [id, '周九', '', compound, '']])),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const job = await importFile(admin, body, `multipart/form-data; boundary=${boundary}`);
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.imported, 1);
  // A form without the field.
  const none = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--${boundary}--\r\n`);
  const res = await admin.post('/api/v1/imports/persons', none, { headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
  expectError(res, 422, 'missing_field', 'file');
});

test('jurisdiction: a community worker cannot import into another community', async () => {
  const mine = newId();
  const theirs = newId();
  const job = await importFile(worker, csv([HEADERS, [mine, '本社区', '', compound, ''], [theirs, '外社区', '', otherCompound, '']]));
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.imported, 1);
  assert.equal(job.rejected, 1);
  const sheet = await errorRows(worker, job);
  assert.equal(sheet[1][0], '3');
  assert.equal(sheet[1][1], '区划代码');
  // Jobs belong to their owner: others get 404, as if it did not exist.
  expectError(await other.get(`/api/v1/jobs/${job.id}`), 404, 'job_not_found', 'id');
  expectError(await other.get(`/api/v1/jobs/${job.id}/errors.xlsx`), 404, 'job_not_found', 'id');
  expectError(await admin.get(`/api/v1/jobs/${job.id}`), 404, 'job_not_found', 'id');
  expectError(await worker.get('/api/v1/jobs/999999'), 404, 'job_not_found', 'id');
  expectError(await worker.get('/api/v1/jobs/abc'), 404, 'job_not_found', 'id');
  // Roles without the right to register people.
  const staff = await fk.login(fk.users.staff);
  expectError(await staff.post('/api/v1/imports/persons', 'x', { headers: { 'Content-Type': 'text/csv' } }), 403, 'forbidden');
});

test('bad uploads: empty, unknown format, old .xls, missing column, not a spreadsheet', async () => {
  expectError(await admin.post('/api/v1/imports/persons', Buffer.alloc(0), { headers: { 'Content-Type': 'text/csv' } }), 422, 'missing_field', 'file');
  expectError(await admin.post('/api/v1/imports/persons', Buffer.from('GIF89a'), { headers: { 'Content-Type': 'image/gif' } }), 415, 'unsupported_media_type', 'file');
  const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512)]);
  expectError(await admin.post('/api/v1/imports/persons', xls, { headers: { 'Content-Type': 'application/vnd.ms-excel' } }), 415, 'unsupported_media_type', 'file');

  let job = await importFile(admin, csv([['身份证号', '姓名', '地址'], [newId(), '缺列', '']]));
  assert.equal(job.state, 'failed');
  assert.match(job.message, /区划代码/);
  assert.equal(job.errors_url, null);
  job = await importFile(admin, Buffer.from('PK\x03\x04 this is no zip'), XLSX);
  assert.equal(job.state, 'failed');
  assert.match(job.message, /XLSX/);
  job = await importFile(admin, Buffer.from('hello\nworld\n'));
  assert.equal(job.state, 'failed');
  assert.match(job.message, /表头/);
});

test('templates: CSV with BOM and XLSX, Chinese headers, an example row that imports', async () => {
  const res = await admin.get('/api/v1/imports/persons/template.csv');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/csv/);
  assert.match(res.headers['content-disposition'], /^attachment; filename="persons-template\.csv"/);
  assert.ok(res.text.startsWith('\ufeff身份证号,姓名,手机号,区划代码,地址\r\n'), JSON.stringify(res.text.slice(0, 40)));
  const raw = await rawGet(admin, '/api/v1/imports/persons/template.xlsx');
  assert.ok(raw.subarray(0, 4).equals(Buffer.from('PK\x03\x04')));
  const rows = readXlsxRows(raw);
  assert.deepEqual(rows[0], HEADERS);
  assert.equal(rows.length, 2);
  assert.equal(rows[1][3], '141102001001001');
  assert.ok(Object.keys(readZip(raw)).includes('xl/workbook.xml'));
  // The example row is valid (its ID's check character is right).
  const job = await importFile(admin, Buffer.from(res.text, 'utf8'));
  assert.equal(job.state, 'done', job.message);
  assert.equal(job.rejected, 0, job.message);
  assert.equal(job.imported + job.skipped, 1);
  expectError(await fk.login(fk.users.staff).then((c) => c.get('/api/v1/imports/persons/template.csv')), 403, 'forbidden');
});

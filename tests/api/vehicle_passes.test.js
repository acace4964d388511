// One-code vehicle passes (一码通) and checkpoint passages: registration by
// staff and by the driver (public, rate-limited per plate), a 422 per field
// including passengers[i].*, scan statuses (a passenger in home quarantine),
// a passage with fever (409 for pass, 201 for test_here), concurrent
// duplicates with one idempotency key, revoked and forged codes, counts per
// hour and per day, and jurisdiction of passage logs and passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { useServer, expectError, expectJson, expectList, RFC3339 } from './lib/server.js';

const NOW = '2022-03-02T08:00:00+08:00';

// A valid resident ID number (GB 11643 check digit).
function idNumber(seq, birth = '19800101') {
  const body = `141102${birth}${String(seq).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(body[i]) * w[i];
  return body + '10X98765432'[s % 11];
}

let T0, C0, quarantined, known;
const cp = {};
const fk = useServer({ now: NOW, people: 400 }, async (fk) => {
  T0 = fk.townships[0].code;
  const T1 = fk.townships[1].code;
  await fk.addUser({ key: 'tracer', username: 'v_tracer', role: 'tracer', region: '141102', displayName: '流调员' });
  await fk.addUser({ key: 'staff0', username: 'v_staff0', role: 'checkpoint_staff', region: T0, displayName: '甲镇卡口' });
  await fk.addUser({ key: 'officer1', username: 'v_officer1', role: 'township_officer', region: T1, displayName: '乙镇干部' });
  await fk.addUser({ key: 'staff1', username: 'v_staff1', role: 'checkpoint_staff', region: T1, displayName: '乙镇卡口' });
  const tracer = await fk.login(fk.users.tracer);
  const all = expectJson(await tracer.get(`/api/v1/persons?region=${T0}&per_page=200`)).items;
  const by = {};
  for (const p of all) (by[p.region.slice(0, 12)] ??= []).push(p);
  C0 = Object.keys(by).sort((a, b) => by[b].length - by[a].length)[0];
  [quarantined, known] = by[C0];
  assert.match(quarantined.id_number, /^\d{17}[\dX]$/, 'a tracer sees the full ID');
  await fk.addUser({ key: 'grid', username: 'v_grid', role: 'community_worker', region: C0, displayName: '网格员' });
  await fk.addUser({ key: 'cadre', username: 'v_cadre', role: 'community_worker', region: C0, displayName: '村干部' });
  await fk.addUser({ key: 'doctor', username: 'v_doctor', role: 'community_worker', region: C0, displayName: '村医' });
  const grid = await fk.login(fk.users.grid);
  expectJson(await grid.post('/api/v1/home-quarantines', {
    person_id: quarantined.id, starts_at: NOW, days: 14, reason: 'close_contact',
    team: [
      { role: 'township_cadre', user_id: fk.users.officer.id },
      { role: 'village_cadre', user_id: fk.users.cadre.id },
      { role: 'village_doctor', user_id: fk.users.doctor.id },
      { role: 'police', name: '派出所王警官', phone: '13800001111' },
      { role: 'grid_worker', user_id: fk.users.grid.id },
    ],
  }), 201);
  const admin = await fk.login(fk.users.admin);
  cp.road = expectJson(await admin.post('/api/v1/checkpoints', { name: '高速出口卡口', type: 'highway_exit', level: 2, region: T0 }), 201);
  cp.gate = expectJson(await admin.post('/api/v1/checkpoints', { name: '小区东门', type: 'compound_gate', level: 4, region: C0 }), 201);
  cp.far = expectJson(await admin.post('/api/v1/checkpoints', { name: '乙镇国道卡口', type: 'road', level: 3, region: T1 }), 201);
});

const pass = (over = {}) => ({
  plate: '晋K12345',
  vehicle_type: 'car',
  driver: { id_number: idNumber(1), name: '张师傅', phone: '13912345678' },
  passengers: [{ id_number: idNumber(2), name: '李乘客' }],
  origin: '太原市小店区',
  destination: '阳光小区',
  purpose: '返乡',
  ...over,
});
const passages = (client, code, temps, decision, key = randomBytes(8).toString('hex'), scannedAt = NOW, cpId = cp.road.id) =>
  client.post(`/api/v1/checkpoints/${cpId}/passages`, {
    code, decision, scanned_at: scannedAt, idempotency_key: key,
    temperatures: temps.map((c, seat) => ({ seat, celsius: c })),
  });

const P = {};

test('register: a 422 per field, 201 with a signed code valid 72 h, masked IDs; the public form answers only id/code/expiry', async () => {
  const staff = await fk.login(fk.users.staff0);
  const cases = [
    [{ plate: undefined }, 'missing_field', 'plate'],
    [{ plate: 'ABC123' }, 'invalid_field', 'plate'],
    [{ vehicle_type: 'tank' }, 'invalid_field', 'vehicle_type'],
    [{ driver: undefined }, 'missing_field', 'driver'],
    [{ driver: 'x' }, 'invalid_field', 'driver'],
    [{ driver: { name: '张', phone: '13912345678' } }, 'missing_field', 'driver.id_number'],
    [{ driver: { id_number: '141102198001010010', name: '张', phone: '13912345678' } }, 'invalid_field', 'driver.id_number'],
    [{ driver: { id_number: idNumber(1), phone: '13912345678' } }, 'missing_field', 'driver.name'],
    [{ driver: { id_number: idNumber(1), name: '张' } }, 'missing_field', 'driver.phone'],
    [{ driver: { id_number: idNumber(1), name: '张', phone: '123' } }, 'invalid_field', 'driver.phone'],
    [{ passengers: 'x' }, 'invalid_field', 'passengers'],
    [{ passengers: Array.from({ length: 9 }, (_, i) => ({ id_number: idNumber(10 + i), name: '乘客' })) }, 'invalid_field', 'passengers'],
    [{ passengers: [{ id_number: idNumber(2), name: '甲' }, { id_number: idNumber(3) }] }, 'missing_field', 'passengers[1].name'],
    [{ passengers: [{ id_number: idNumber(2), name: '甲' }, { id_number: 'x', name: '乙' }] }, 'invalid_field', 'passengers[1].id_number'],
    [{ passengers: [{ id_number: idNumber(2), name: '甲', phone: '1' }] }, 'invalid_field', 'passengers[0].phone'],
    [{ passengers: [{ id_number: idNumber(1), name: '甲' }] }, 'invalid_field', 'passengers[0].id_number'],
    [{ origin: undefined }, 'missing_field', 'origin'],
    [{ destination: 'x'.repeat(101) }, 'invalid_field', 'destination'],
    [{ purpose: undefined }, 'missing_field', 'purpose'],
  ];
  for (const [over, code, field] of cases) {
    const b = pass(over);
    for (const k of Object.keys(over)) if (over[k] === undefined) delete b[k];
    expectError(await staff.post('/api/v1/vehicle-passes', b), 422, code, field);
  }
  P.familyBody = pass({
    passengers: [{ id_number: quarantined.id_number, name: quarantined.name }, { id_number: known.id_number, name: known.name, phone: '13800002222' }],
  });
  const p = expectJson(await staff.post('/api/v1/vehicle-passes', P.familyBody), 201);
  assert.match(p.code, /^FKV:[0-9A-Z $%*+\-./:]+$/);
  assert.equal(p.plate, '晋K12345');
  assert.equal(p.state, 'active');
  assert.equal(p.source, 'staff');
  assert.match(p.expires_at, RFC3339);
  assert.equal(Date.parse(p.expires_at) - Date.parse(p.issued_at), 72 * 3600 * 1000);
  assert.equal(p.driver.name, '张师傅');
  assert.match(p.driver.id_number, /\*/, 'ID masked');
  assert.equal(p.driver.person_id, null, 'an unknown driver is not linked');
  assert.equal(p.passengers.length, 2);
  assert.equal(p.passengers[0].person_id, quarantined.id, 'linked by the blind index');
  assert.equal(p.occupants_count, 3);
  assert.equal(p.created_by.name, '甲镇卡口');
  P.family = p;

  const anon = fk.anonymous();
  expectError(await anon.post('/api/v1/public/vehicle-passes', pass({ plate: '晋Q' })), 422, 'invalid_field', 'plate');
  const pub = expectJson(await anon.post('/api/v1/public/vehicle-passes', pass({ plate: '晋K88888', passengers: [] })), 201);
  assert.deepEqual(Object.keys(pub).sort(), ['code', 'expires_at', 'id', 'message']);
  assert.match(pub.code, /^FKV:/);
  P.pub = pub;
  const qr = await anon.get(`/api/v1/public/vehicle-passes/qr.svg?code=${encodeURIComponent(pub.code)}`);
  assert.equal(qr.status, 200);
  assert.match(qr.text, /<svg/);
  expectError(await anon.get('/api/v1/public/vehicle-passes/qr.svg?code=HELLO'), 422, 'invalid_field', 'code');
  // Five a day per plate: the sixth is refused with Retry-After.
  for (let i = 0; i < 4; i++) expectJson(await anon.post('/api/v1/public/vehicle-passes', pass({ plate: '晋K77777' })), 201);
  expectJson(await anon.post('/api/v1/public/vehicle-passes', pass({ plate: '晋K77777' })), 201);
  const limited = await anon.post('/api/v1/public/vehicle-passes', pass({ plate: '晋K77777' }));
  expectError(limited, 429, 'too_many_requests', 'plate');
  assert.ok(Number(limited.headers['retry-after']) > 0);
  expectError(await anon.get(`/api/v1/vehicle-passes/${pub.id}`), 401);
});

test('detail, list, QR; a public pass is seen by the district, not by a township before it is scanned there', async () => {
  const admin = await fk.login(fk.users.admin);
  const staff = await fk.login(fk.users.staff0);
  const officer1 = await fk.login(fk.users.officer1);
  const d = expectJson(await admin.get(`/api/v1/vehicle-passes/${P.pub.id}`));
  assert.equal(d.source, 'public');
  assert.equal(d.created_by, null);
  assert.equal(d.code, P.pub.code);
  expectError(await staff.get(`/api/v1/vehicle-passes/${P.pub.id}`), 404, 'pass_not_found');
  expectError(await officer1.get(`/api/v1/vehicle-passes/${P.family.id}`), 404, 'pass_not_found');
  expectJson(await staff.get(`/api/v1/vehicle-passes/${P.family.id}`));
  const list = expectList(await staff.get('/api/v1/vehicle-passes?plate=' + encodeURIComponent('晋K12345')));
  assert.deepEqual(list.items.map((x) => x.id), [P.family.id]);
  assert.equal(expectList(await officer1.get('/api/v1/vehicle-passes')).total, 0);
  assert.ok(expectList(await admin.get('/api/v1/vehicle-passes')).total >= 7);
  const qr = await staff.get(`/api/v1/vehicle-passes/${P.family.id}/qr.svg`);
  assert.equal(qr.status, 200);
  assert.match(qr.headers['content-type'], /^image\/svg\+xml/);
  assert.match(qr.text, /^<\?xml|<svg/);
  // The path the issue names answers the same image.
  const same = await staff.get(`/api/v1/passes/${P.family.id}/qr.svg`);
  assert.equal(same.status, 200);
  assert.equal(same.text, qr.text);
});

test('scan shows each occupant\'s status; a quarantined passenger makes pass impossible', async () => {
  const staff = await fk.login(fk.users.staff0);
  const s = expectJson(await staff.post(`/api/v1/checkpoints/${cp.road.id}/scan`, { code: P.family.code }));
  assert.equal(s.pass.id, P.family.id);
  assert.equal(s.pass.driver.status.home_quarantine, false);
  assert.equal(s.pass.driver.status.in_registry, false);
  assert.equal(s.pass.driver.status.health_code, null);
  assert.equal(s.pass.passengers[0].status.home_quarantine, true);
  assert.equal(s.pass.passengers[1].status.home_quarantine, false);
  assert.equal(s.pass.passengers[1].status.in_registry, true);
  // Home quarantine makes the health code red; a registered person without facts is green.
  assert.equal(s.pass.passengers[0].status.health_code.color, 'red');
  assert.equal(s.pass.passengers[1].status.health_code.color, 'green');
  assert.equal(s.pass.passengers[1].status.health_code.label, '绿码');
  assert.deepEqual(s.reasons.map((r) => r.code).sort(), ['health_code_red', 'home_quarantine']);
  assert.deepEqual(s.allowed_decisions, ['test_here', 'turn_back', 'refer_quarantine']);
  assert.equal(s.fever_celsius, 37.3);
  const e = expectError(await passages(staff, P.family.code, [36.5, 36.6, 36.4], 'pass'), 409, 'pass_not_allowed', 'decision');
  assert.deepEqual(e.allowed_decisions, ['test_here', 'turn_back', 'refer_quarantine']);
  const g = expectJson(await passages(staff, P.family.code, [36.5, 36.6, 36.4], 'refer_quarantine'), 201);
  assert.equal(g.decision_label, '转送隔离');
  // A gate scans cards, not vehicle passes.
  expectError(await staff.post(`/api/v1/checkpoints/${cp.gate.id}/scan`, { code: P.family.code }), 422, 'invalid_field', 'checkpoint_id');
  // The checkpoint's township now sees the pass it scanned.
  const anonPass = P.pub;
  const s2 = expectJson(await staff.post(`/api/v1/checkpoints/${cp.road.id}/scan`, { code: anonPass.code }));
  assert.deepEqual(s2.allowed_decisions, ['pass', 'test_here', 'turn_back', 'refer_quarantine']);
  expectJson(await passages(staff, anonPass.code, [36.5], 'pass', undefined, '2022-03-02T07:10:00+08:00'), 201);
  expectJson(await staff.get(`/api/v1/vehicle-passes/${anonPass.id}`));
});

test('passages: a 422 per field, fever refuses pass (409) and allows test_here (201), forged and revoked codes refused', async () => {
  const staff = await fk.login(fk.users.staff0);
  const admin = await fk.login(fk.users.admin);
  const anon = fk.anonymous();
  const solo = expectJson(await anon.post('/api/v1/public/vehicle-passes', pass({ plate: '晋K66666', passengers: [] })), 201);
  const cases = [
    [{ decision: 'wave' }, 'invalid_field', 'decision'],
    [{ scanned_at: 'now' }, 'invalid_field', 'scanned_at'],
    [{ scanned_at: '2022-02-20T08:00:00+08:00' }, 'invalid_field', 'scanned_at'],
    [{ idempotency_key: undefined }, 'missing_field', 'idempotency_key'],
    [{ temperatures: undefined }, 'missing_field', 'temperatures'],
    [{ temperatures: [] }, 'invalid_field', 'temperatures'],
    [{ temperatures: [{ seat: 1, celsius: 36.5 }] }, 'invalid_field', 'temperatures[0].seat'],
    [{ temperatures: [{ seat: 0, celsius: 43 }] }, 'invalid_field', 'temperatures[0].celsius'],
    [{ temperatures: [{ seat: 0, celsius: '36' }] }, 'invalid_field', 'temperatures[0].celsius'],
  ];
  for (const [over, code, field] of cases) {
    const b = { code: solo.code, decision: 'pass', scanned_at: NOW, idempotency_key: 'k-' + field, temperatures: [{ seat: 0, celsius: 36.5 }], ...over };
    for (const k of Object.keys(over)) if (over[k] === undefined) delete b[k];
    expectError(await staff.post(`/api/v1/checkpoints/${cp.road.id}/passages`, b), 422, code, field);
  }
  const fever = expectError(await passages(staff, solo.code, [37.3], 'pass'), 409, 'pass_not_allowed', 'decision');
  assert.equal(fever.reasons[0].code, 'fever');
  assert.equal(fever.reasons[0].seat, 0);
  const t = expectJson(await passages(staff, solo.code, [37.3], 'test_here', undefined, '2022-03-02T07:20:00+08:00'), 201);
  assert.equal(t.fever, true);
  assert.deepEqual(t.temperatures, [{ seat: 0, celsius: 37.3 }]);
  assert.equal(t.occupants_count, 1);
  assert.equal(t.plate, '晋K66666');
  assert.equal(t.scanned_by.name, '甲镇卡口');
  expectJson(await passages(staff, solo.code, [37.2], 'pass', undefined, '2022-03-02T00:30:00+08:00'), 201);
  expectJson(await passages(staff, solo.code, [36.2], 'pass', undefined, '2022-03-01T15:00:00+08:00'), 201);

  // Forged: one character of the signature changed.
  const forged = solo.code.slice(0, -2) + (solo.code.at(-2) === 'A' ? 'B' : 'A') + solo.code.at(-1);
  const f = expectError(await passages(staff, forged, [36.5], 'pass'), 422, 'invalid_code', 'code');
  assert.ok(['forged', 'unreadable'].includes(f.reason));
  expectError(await staff.post(`/api/v1/checkpoints/${cp.road.id}/scan`, { code: 'hello' }), 422, 'invalid_code', 'code');
  // Revoked.
  const r = expectJson(await admin.post(`/api/v1/vehicle-passes/${P.family.id}/revoke`, { reason: '信息有误' }));
  assert.equal(r.state, 'revoked');
  expectError(await admin.post(`/api/v1/vehicle-passes/${P.family.id}/revoke`, { reason: '再次' }), 409, 'pass_revoked');
  const rv = expectError(await passages(staff, P.family.code, [36.5, 36.5, 36.5], 'turn_back'), 422, 'invalid_code', 'code');
  assert.equal(rv.reason, 'revoked');
  P.solo = solo;
});

test('concurrent duplicates with one idempotency key store one passage', async () => {
  const staff = await fk.login(fk.users.staff0);
  const key = 'dup-' + randomBytes(6).toString('hex');
  const at = '2022-03-02T07:40:00+08:00';
  const results = await Promise.all(Array.from({ length: 20 }, () => passages(staff, P.solo.code, [36.4], 'pass', key, at)));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [...Array(19).fill(200), 201]);
  const ids = new Set(results.map((r) => r.json.id));
  assert.equal(ids.size, 1);
  const log = expectList(await staff.get(`/api/v1/checkpoints/${cp.road.id}/passages?from=${encodeURIComponent(at)}&until=${encodeURIComponent('2022-03-02T07:41:00+08:00')}`));
  assert.equal(log.total, 1);
});

test('stats: vehicles and persons per hour and per day (Asia/Shanghai)', async () => {
  const staff = await fk.login(fk.users.staff0);
  const s = expectJson(await staff.get(`/api/v1/checkpoints/${cp.road.id}/passages/stats?date=2022-03-02`));
  assert.equal(s.date, '2022-03-02');
  assert.equal(s.by_hour.length, 24);
  const h = Object.fromEntries(s.by_hour.map((x) => [x.hour, [x.vehicles, x.persons]]));
  // 07:10 public pass (1), 07:20 test_here (1), 07:40 duplicate (1); 00:30 (1);
  // 08:00 refer_quarantine (3 persons) at NOW.
  assert.deepEqual(h[7], [3, 3]);
  assert.deepEqual(h[0], [1, 1]);
  assert.deepEqual(h[8], [1, 3]);
  assert.equal(s.by_hour.reduce((a, x) => a + x.vehicles, 0), 5);
  assert.equal(s.by_day.length, 7);
  assert.deepEqual(s.by_day.at(-1), { date: '2022-03-02', vehicles: 5, persons: 7 });
  assert.deepEqual(s.by_day.at(-2), { date: '2022-03-01', vehicles: 1, persons: 1 });
  assert.equal(s.by_day[0].date, '2022-02-24');
  expectError(await staff.get(`/api/v1/checkpoints/${cp.road.id}/passages/stats?date=2022-02-30`), 422, 'invalid_field', 'date');
  const log = expectList(await staff.get(`/api/v1/checkpoints/${cp.road.id}/passages?per_page=50`), { perPage: 50 });
  assert.equal(log.total, 6);
  assert.match(log.items[0].scanned_at, RFC3339);
});

test('jurisdiction: another township\'s staff see neither the checkpoint\'s log nor its stats; the district does', async () => {
  const officer1 = await fk.login(fk.users.officer1);
  const staff1 = await fk.login(fk.users.staff1);
  const admin = await fk.login(fk.users.admin);
  for (const c of [officer1, staff1]) {
    expectError(await c.get(`/api/v1/checkpoints/${cp.road.id}/passages`), 404, 'checkpoint_not_found');
    expectError(await c.get(`/api/v1/checkpoints/${cp.road.id}/passages/stats`), 404, 'checkpoint_not_found');
    expectError(await c.post(`/api/v1/checkpoints/${cp.road.id}/scan`, { code: P.solo.code }), 404, 'checkpoint_not_found');
    expectError(await passages(c, P.solo.code, [36.5], 'pass'), 404, 'checkpoint_not_found');
    expectError(await c.get(`/api/v1/vehicle-passes/${P.solo.id}`), 404, 'pass_not_found');
  }
  assert.equal(expectList(await admin.get(`/api/v1/checkpoints/${cp.road.id}/passages`)).total, 6);
  // Scanned at the far checkpoint, the pass becomes visible there too.
  expectJson(await passages(staff1, P.solo.code, [36.5], 'pass', undefined, NOW, cp.far.id), 201);
  expectJson(await officer1.get(`/api/v1/vehicle-passes/${P.solo.id}`));
  const grid = await fk.login(fk.users.grid);
  expectError(await grid.get(`/api/v1/checkpoints/${cp.road.id}/passages`), 403);
});

// Minimal CSV: quoted cells, doubled quotes, a BOM.
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  text = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

test('ledger: CSV of the jurisdiction\'s passages; another township\'s officer sees only its own; xlsx', async () => {
  const admin = await fk.login(fk.users.admin);
  const officer1 = await fk.login(fk.users.officer1);
  const res = await admin.get('/api/v1/passages/export?format=csv');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-disposition'], /passages-\d{4}-\d{2}-\d{2}\.csv/);
  const rows = parseCsv(res.text);
  assert.equal(rows[0][0], '序号');
  assert.equal(rows.length - 1, 7, 'six at the road checkpoint, one at the far one');
  const fever = rows.find((r) => r[9] === '就地检测');
  assert.deepEqual([fever[1], fever[2], fever[4], fever[6], fever[7], fever[8]], ['2022-03-02 07:20', '高速出口卡口', '晋K66666', '1', '37.3', '是']);
  const own = parseCsv((await officer1.get('/api/v1/passages/export?format=csv')).text);
  assert.equal(own.length - 1, 1);
  assert.equal(own[1][2], '乙镇国道卡口');
  expectError(await officer1.get(`/api/v1/passages/export?format=csv&region=${T0}`), 404, 'region_not_found', 'region');
  const x = await admin.get(`/api/v1/passages/export?format=xlsx&region=${T0}&from=${encodeURIComponent('2022-03-02T00:00:00+08:00')}`);
  assert.equal(x.status, 200);
  assert.match(x.headers['content-type'], /spreadsheetml/);
  expectError(await admin.get('/api/v1/passages/export?format=pdf'), 422, 'invalid_field', 'format');
});

test('offline passages: a "pass" recorded without status stands and goes to review; fever still refuses; counts may differ', async () => {
  const staff = await fk.login(fk.users.staff0);
  // The family pass was revoked above: the same family in another car.
  const fam = expectJson(await staff.post('/api/v1/vehicle-passes', { ...P.familyBody, plate: '晋K77777' }), 201);
  const off = (temps, decision, over = {}) =>
    staff.post(`/api/v1/checkpoints/${cp.road.id}/passages`, {
      code: fam.code, decision, scanned_at: '2022-03-02T06:00:00+08:00', idempotency_key: randomBytes(8).toString('hex'),
      temperatures: temps.map((c, seat) => ({ seat, celsius: c })), offline: true, ...over,
    });
  // Online the same passage is refused (a passenger is in home quarantine) ...
  expectError(await passages(staff, fam.code, [36.5, 36.6, 36.4], 'pass'), 409, 'pass_not_allowed', 'decision');
  // ... offline it happened: stored, flagged, with what forbids it.
  const g = expectJson(await off([36.5, 36.6, 36.4], 'pass'), 201);
  assert.equal(g.offline, true);
  assert.deepEqual(g.review.map((r) => r.code).sort(), ['health_code_red', 'home_quarantine']);
  // The staff measured the fever themselves: never a pass, offline or not.
  expectError(await off([36.5, 37.5, 36.4], 'pass'), 409, 'pass_not_allowed', 'decision');
  // Offline the phone does not know how many sit in the car: two counted, three registered.
  const c = expectJson(await off([36.5, 36.6], 'turn_back'), 201);
  assert.deepEqual(c.review.map((r) => r.code), ['count_mismatch']);
  assert.equal(c.temperatures.length, 2);
  // Online the count must match; offline at most 1 + 8 seats.
  expectError(await passages(staff, fam.code, [36.5, 36.6], 'turn_back'), 422, 'invalid_field', 'temperatures');
  expectError(await off(Array(10).fill(36.5), 'turn_back'), 422, 'invalid_field', 'temperatures');
  expectError(await off([36.5], 'turn_back', { offline: 'yes' }), 422, 'invalid_field', 'offline');
  // Review list: only flagged passages.
  const list = expectJson(await staff.get(`/api/v1/checkpoints/${cp.road.id}/passages?review=1&per_page=100`));
  assert.ok(list.items.length >= 2);
  assert.ok(list.items.every((p) => p.review !== null));
  assert.ok(list.items.some((p) => p.id === g.id) && list.items.some((p) => p.id === c.id));
  const plain = expectJson(await staff.get(`/api/v1/checkpoints/${cp.road.id}/passages?review=0&per_page=100`));
  assert.ok(plain.items.every((p) => p.review === null));
  expectError(await staff.get(`/api/v1/checkpoints/${cp.road.id}/passages?review=x`), 422, 'invalid_field', 'review');
});

test('public registration under parallel requests: 30 an hour per address and 5 a day per plate admit no more', async () => {
  let anon;
  const statuses = (list) => list.map((r) => r.status).sort().join(' ');
  // A fresh hour: 40 bodies at once with a bad plate (a 422 after the
  // address is counted) — 30 answered, 10 refused.
  await fk.stopServer();
  fk.options.now = '2022-03-02T10:30:00+08:00';
  await fk.serve();
  anon = fk.anonymous();
  const bad = await Promise.all(Array.from({ length: 40 }, () => anon.post('/api/v1/public/vehicle-passes', pass({ plate: '晋Q' }))));
  assert.equal(bad.filter((r) => r.status === 422).length, 30, statuses(bad));
  assert.equal(bad.filter((r) => r.status === 429).length, 10, statuses(bad));
  // The next hour: one plate 20 times at once — 5 passes, 15 refused.
  await fk.stopServer();
  fk.options.now = '2022-03-02T11:30:00+08:00';
  await fk.serve();
  anon = fk.anonymous();
  const same = await Promise.all(Array.from({ length: 20 }, () => anon.post('/api/v1/public/vehicle-passes', pass({ plate: '晋K65432', passengers: [] }))));
  assert.equal(same.filter((r) => r.status === 201).length, 5, statuses(same));
  for (const r of same) if (r.status !== 201) expectError(r, 429, 'too_many_requests', 'plate');
});

// Home quarantine follow-up (居家隔离, 五包一): create with the five-person team,
// list/detail/update/end, letters, twice-daily temperatures with the fever flag,
// the overdue follow-ups of each team member at controlled times (the server is
// restarted on the same store with a later FANGKONG_NOW, never slept), the
// ledger, and jurisdiction (a community worker never sees another community's
// quarantined persons: by list, id, overdue list, fever list or export).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, expectList, RFC3339 } from './lib/server.js';

let C0, C1; // two communities of the first township, with persons
const persons = {}; // community -> persons
const fk = useServer({ now: '2022-03-02T08:00:00+08:00' }, async (fk) => {
  const admin = await fk.login(fk.users.admin);
  const t0 = fk.townships[0].code;
  const all = [];
  for (let page = 1; page <= 20; page++) {
    const list = expectJson(await admin.get(`/api/v1/persons?region=${t0}&per_page=200&page=${page}`));
    all.push(...list.items);
    if (list.items.length < 200) break;
  }
  for (const p of all) (persons[p.region.slice(0, 12)] ??= []).push(p);
  const communities = Object.keys(persons).filter((c) => persons[c].length >= 4).sort();
  [C0, C1] = communities;
  assert.ok(C0 && C1, 'two communities with persons');
  await fk.addUser({ key: 'gridA', username: 'q_grid_a', role: 'community_worker', region: C0, displayName: '网格员甲' });
  await fk.addUser({ key: 'doctorA', username: 'q_doctor_a', role: 'community_worker', region: C0, displayName: '村医甲' });
  await fk.addUser({ key: 'cadreA', username: 'q_cadre_a', role: 'community_worker', region: C0, displayName: '村干部甲' });
  await fk.addUser({ key: 'gridB', username: 'q_grid_b', role: 'community_worker', region: C1, displayName: '网格员乙' });
  await fk.addUser({ key: 'staff', username: 'q_staff', role: 'quarantine_staff', region: '141102', displayName: '隔离专班' });
  await fk.addUser({ key: 'inspector', username: 'q_inspector', role: 'inspector', region: '141102', displayName: '督导员' });
});

// The restarted server listens on a new port; clients keep their cookies.
async function restartAt(now, ...clients) {
  await fk.stopServer();
  fk.options.now = now;
  await fk.serve();
  for (const c of clients) c.base = fk.base;
}

const team = (over = {}) => [
  { role: 'township_cadre', user_id: fk.users.officer.id },
  { role: 'village_cadre', user_id: fk.users.cadreA.id },
  { role: 'village_doctor', user_id: fk.users.doctorA.id },
  { role: 'police', name: '派出所王警官', phone: '13800001111' },
  { role: 'grid_worker', user_id: fk.users.gridA.id },
  ...(over.extra || []),
].map((m) => (over[m.role] !== undefined ? over[m.role] : m)).filter(Boolean);

const body = (person, over = {}) => ({
  person_id: person.id,
  starts_at: '2022-03-02T08:00:00+08:00',
  days: 14,
  reason: 'close_contact',
  note: '密接，居家隔离 14 天',
  team: team(),
  ...over,
});

const ids = {};

test('create: validation names each field; five roles once each; 201 then 409 with existing_id', async () => {
  const grid = await fk.login(fk.users.gridA);
  const p = persons[C0][0];
  const cases = [
    [{ person_id: undefined }, 422, 'missing_field', 'person_id'],
    [{ person_id: 'x' }, 422, 'invalid_field', 'person_id'],
    [{ person_id: persons[C1][0].id }, 404, 'person_not_found', 'person_id'],
    [{ reason: 'bored' }, 422, 'invalid_field', 'reason'],
    [{ reason: undefined }, 422, 'missing_field', 'reason'],
    [{ days: undefined }, 422, 'missing_field', 'planned_end'],
    [{ days: 61 }, 422, 'invalid_field', 'days'],
    [{ days: undefined, planned_end: '2022-03-01T08:00:00+08:00' }, 422, 'invalid_field', 'planned_end'],
    [{ planned_end: '2022-03-16T08:00:00+08:00' }, 422, 'invalid_field', 'days'],
    [{ starts_at: 'yesterday' }, 422, 'invalid_field', 'starts_at'],
    [{ starts_at: '2022-06-01T08:00:00+08:00' }, 422, 'invalid_field', 'starts_at'],
    [{ start_date: '2022-03-02' }, 422, 'invalid_field', 'start_date'],
    [{ team: undefined }, 422, 'missing_field', 'team'],
    [{ team: [] }, 422, 'invalid_field', 'team'],
    [{ team: team({ police: null }) }, 422, 'invalid_field', 'team'],
    [{ team: team({ police: { role: 'grid_worker', name: '张三', phone: '13800001111' } }) }, 422, 'invalid_field', 'team[4].role'],
    [{ team: team({ police: { role: 'sheriff', name: '张三', phone: '13800001111' } }) }, 422, 'invalid_field', 'team[3].role'],
    [{ team: team({ police: { role: 'police', name: '张三', phone: '1380000' } }) }, 422, 'invalid_field', 'team[3].phone'],
    [{ team: team({ police: { role: 'police', name: '张三' } }) }, 422, 'missing_field', 'team[3].phone'],
    [{ team: team({ police: { role: 'police', phone: '13800001111' } }) }, 422, 'missing_field', 'team[3].name'],
    [{ team: team({ police: { role: 'police', user_id: fk.users.gridA.id, name: '张三' } }) }, 422, 'invalid_field', 'team[3]'],
    [{ team: team({ grid_worker: { role: 'grid_worker', user_id: fk.users.gridB.id } }) }, 422, 'invalid_field', 'team[4].user_id'],
    [{ team: team({ grid_worker: { role: 'grid_worker', user_id: fk.users.inspector.id } }) }, 422, 'invalid_field', 'team[4].user_id'],
    [{ team: team({ grid_worker: { role: 'grid_worker', user_id: 999999 } }) }, 422, 'invalid_field', 'team[4].user_id'],
    [{ team: team({ police: { role: 'police', name: '张三', phone: '13800001111', rank: 1 } }) }, 422, 'invalid_field', 'team[3].rank'],
    [{ note: 'x'.repeat(501) }, 422, 'invalid_field', 'note'],
  ];
  for (const [over, status, code, field] of cases) {
    const b = body(p, over);
    for (const k of Object.keys(over)) if (over[k] === undefined) delete b[k];
    if (over.start_date) b.starts_at = '2022-03-02T08:00:00+08:00';
    expectError(await grid.post('/api/v1/home-quarantines', b), status, code, field);
  }
  const q = expectJson(await grid.post('/api/v1/home-quarantines', body(p)), 201);
  ids.q1 = q.id;
  assert.equal(q.person.id, p.id);
  assert.equal(q.person.name, p.name);
  assert.match(q.person.id_number, /^\d{4}\*{10}[\dX]{4}$/, 'ID masked');
  assert.equal(q.region, p.region);
  assert.equal(q.state, 'active');
  assert.equal(q.reason_label, '密切接触者');
  assert.equal(q.starts_at, '2022-03-02T08:00:00+08:00');
  assert.equal(q.planned_end, '2022-03-16T08:00:00+08:00');
  assert.equal(q.day, 1);
  assert.equal(q.days_total, 14);
  assert.equal(q.days_remaining, 14);
  assert.equal(q.overdue, false);
  assert.deepEqual(q.overdue_items, []);
  assert.deepEqual(q.letters, { commitment: { issued_at: null, signed_at: null }, notification: { issued_at: null, signed_at: null } });
  assert.equal(q.last_temperature, null);
  assert.deepEqual(q.team.map((m) => m.role), ['township_cadre', 'village_cadre', 'village_doctor', 'police', 'grid_worker']);
  assert.equal(q.team[4].user_id, fk.users.gridA.id);
  assert.equal(q.team[4].name, '网格员甲');
  assert.equal(q.team[3].user_id, null);
  assert.equal(q.team[3].name, '派出所王警官');
  assert.equal(q.team[3].phone, '13800001111', 'community workers see contact phones in full');
  const conflict = expectError(await grid.post('/api/v1/home-quarantines', body(p)), 409, 'already_in_quarantine', 'person_id');
  assert.equal(conflict.existing_id, q.id);
  // A plain start date (midnight Asia/Shanghai) and a planned end.
  const q2 = expectJson(
    await grid.post('/api/v1/home-quarantines', body(persons[C0][1], { starts_at: undefined, days: undefined, start_date: '2022-03-01', planned_end: '2022-03-08', reason: 'returnee' })),
    201,
  );
  assert.equal(q2.starts_at, '2022-03-01T00:00:00+08:00');
  assert.equal(q2.planned_end, '2022-03-08T00:00:00+08:00');
  assert.equal(q2.day, 2);
  assert.equal(q2.days_total, 7);
  ids.q2 = q2.id;
  // The inspector's role may not; nobody without a session may.
  const inspector = await fk.login(fk.users.inspector);
  expectError(await inspector.post('/api/v1/home-quarantines', body(persons[C0][2])), 403, 'forbidden');
  expectError(await inspector.get('/api/v1/home-quarantines'), 403, 'forbidden');
  expectError(await fk.anonymous().get('/api/v1/home-quarantines'), 401, 'unauthenticated');
});

test('list, filters, detail; masking by role; members picker', async () => {
  const grid = await fk.login(fk.users.gridA);
  const list = expectList(await grid.get('/api/v1/home-quarantines'));
  assert.deepEqual(list.items.map((i) => i.id).sort(), [ids.q1, ids.q2].sort());
  const item = list.items.find((i) => i.id === ids.q1);
  for (const k of ['person', 'region_name', 'address', 'starts_at', 'planned_end', 'day', 'days_total', 'last_temperature', 'letters', 'overdue', 'today'])
    assert.ok(k in item, `list item has ${k}`);
  assert.match(item.starts_at, RFC3339);
  const byName = expectList(await grid.get(`/api/v1/home-quarantines?q=${encodeURIComponent(persons[C0][0].name.slice(0, 1))}`));
  assert.ok(byName.items.some((i) => i.id === ids.q1));
  expectError(await grid.get('/api/v1/home-quarantines?state=nope'), 422, 'invalid_field', 'state');
  expectError(await grid.get('/api/v1/home-quarantines?from=2022-3-1'), 422, 'invalid_field', 'from');
  expectError(await grid.get('/api/v1/home-quarantines?from=2022-03-05&until=2022-03-01'), 422, 'invalid_field', 'until');
  expectError(await grid.get('/api/v1/home-quarantines?member=x'), 422, 'invalid_field', 'member');
  expectError(await grid.get('/api/v1/home-quarantines?per_page=500'), 422, 'invalid_field', 'per_page');
  // Started on 03-01 and 03-02: until 2022-02-28 finds none, until 03-01 finds one.
  assert.equal(expectList(await grid.get('/api/v1/home-quarantines?until=2022-02-28')).total, 0);
  assert.deepEqual(expectList(await grid.get('/api/v1/home-quarantines?until=2022-03-01')).items.map((i) => i.id), [ids.q2]);
  const mine = expectList(await grid.get('/api/v1/home-quarantines?member=me'));
  assert.equal(mine.total, 2);
  const officerMine = expectList(await (await fk.login(fk.users.officer)).get(`/api/v1/home-quarantines?member=${fk.users.doctorA.id}`));
  assert.equal(officerMine.total, 2);
  // Detail; the inspector-free staff role sees phones; the admin sees them masked.
  const admin = await fk.login(fk.users.admin);
  const detail = expectJson(await admin.get(`/api/v1/home-quarantines/${ids.q1}`));
  assert.equal(detail.team[3].phone, '138****1111', 'masked for district_admin');
  const staff = await fk.login(fk.users.staff);
  expectJson(await staff.get(`/api/v1/home-quarantines/${ids.q1}`));
  expectError(await admin.get('/api/v1/home-quarantines/999999'), 404, 'home_quarantine_not_found', 'id');
  expectError(await admin.get('/api/v1/home-quarantines/abc'), 404, 'home_quarantine_not_found', 'id');
  // Members who may be chosen for a person of C0.
  const members = expectJson(await grid.get(`/api/v1/home-quarantines/members?region=${C0}`)).items;
  const names = members.map((m) => m.username);
  assert.ok(names.includes('q_grid_a') && names.includes('t_officer') && names.includes('q_staff'));
  assert.ok(!names.includes('q_grid_b') && !names.includes('q_inspector'));
  expectError(await grid.get('/api/v1/home-quarantines/members'), 422, 'missing_field', 'region');
  expectError(await grid.get(`/api/v1/home-quarantines/members?region=${C1}`), 404, 'region_not_found', 'region');
  // Audited reads.
  const audit = expectJson(await admin.get('/api/v1/audit?action=home_quarantine_read&per_page=5'));
  assert.ok(audit.items.length >= 1);
});

test('letters: issued before signed, each once', async () => {
  const grid = await fk.login(fk.users.gridA);
  const url = `/api/v1/home-quarantines/${ids.q1}/letters`;
  expectError(await grid.post(url, { kind: 'contract', action: 'issued' }), 422, 'invalid_field', 'kind');
  expectError(await grid.post(url, { kind: 'commitment', action: 'sent' }), 422, 'invalid_field', 'action');
  expectError(await grid.post(url, { action: 'issued' }), 422, 'missing_field', 'kind');
  expectError(await grid.post(url, { kind: 'commitment', action: 'issued', at: '2022-03-03T08:00:00+08:00' }), 422, 'invalid_field', 'at');
  expectError(await grid.post(url, { kind: 'commitment', action: 'signed' }), 409, 'letter_not_issued', 'action');
  let q = expectJson(await grid.post(url, { kind: 'commitment', action: 'issued', at: '2022-03-02T07:30:00+08:00' }));
  assert.equal(q.letters.commitment.issued_at, '2022-03-02T07:30:00+08:00');
  expectError(await grid.post(url, { kind: 'commitment', action: 'issued' }), 409, 'letter_already_recorded', 'action');
  expectError(await grid.post(url, { kind: 'commitment', action: 'signed', at: '2022-03-02T07:00:00+08:00' }), 422, 'invalid_field', 'at');
  q = expectJson(await grid.post(url, { kind: 'commitment', action: 'signed' }));
  assert.equal(q.letters.commitment.signed_at, '2022-03-02T08:00:00+08:00'.slice(0, 16) + q.letters.commitment.signed_at.slice(16));
  q = expectJson(await grid.post(url, { kind: 'notification', action: 'issued' }));
  q = expectJson(await grid.post(url, { kind: 'notification', action: 'signed' }));
  assert.ok(q.letters.notification.signed_at);
});

test('temperatures: validation, slot from the time, fever flag and list, idempotent retries', async () => {
  const grid = await fk.login(fk.users.gridA);
  const url = `/api/v1/home-quarantines/${ids.q1}/temperatures`;
  expectError(await grid.post(url, {}), 422, 'missing_field', 'celsius');
  expectError(await grid.post(url, { celsius: '36.5' }), 422, 'invalid_field', 'celsius');
  expectError(await grid.post(url, { celsius: 34.9 }), 422, 'invalid_field', 'celsius');
  expectError(await grid.post(url, { celsius: 42.1 }), 422, 'invalid_field', 'celsius');
  expectError(await grid.post(url, { celsius: 36.5, measured_at: '2022-03-02T09:00:00+08:00' }), 422, 'invalid_field', 'measured_at');
  expectError(await grid.post(url, { celsius: 36.5, measured_at: '2022-03-01T08:00:00+08:00' }), 422, 'invalid_field', 'measured_at');
  expectError(await grid.post(url, { celsius: 36.5, slot: 'pm' }), 422, 'invalid_field', 'slot');
  expectError(await grid.post(url, { celsius: 36.5, slot: 'noon' }), 422, 'invalid_field', 'slot');
  expectError(await grid.post(url, { celsius: 36.5, symptoms: ['sneezing'] }), 422, 'invalid_field', 'symptoms[0]');
  expectError(await grid.post(url, { celsius: 36.5, by_user: fk.users.gridB.id }), 422, 'invalid_field', 'by_user');
  expectError(await grid.post(url, { celsius: 36.5, idempotency_key: 'bad key!' }), 422, 'invalid_field', 'idempotency_key');
  const t1 = expectJson(await grid.post(url, { celsius: 36.54, measured_at: '2022-03-02T07:50:00+08:00', idempotency_key: 'k-1' }), 201);
  assert.equal(t1.slot, 'am');
  assert.equal(t1.day, '2022-03-02');
  assert.equal(t1.celsius, 36.5);
  assert.equal(t1.fever, false);
  assert.equal(t1.recorded_by.id, fk.users.gridA.id);
  const replay = expectJson(await grid.post(url, { celsius: 36.9, idempotency_key: 'k-1' }), 200);
  assert.equal(replay.id, t1.id, 'the same key answers the stored reading');
  expectError(await grid.post(`/api/v1/home-quarantines/${ids.q2}/temperatures`, { celsius: 36.5, idempotency_key: 'k-1' }), 409, 'idempotency_conflict', 'idempotency_key');
  const t2 = expectJson(await grid.post(url, { celsius: 37.3, symptoms: ['cough'], by_user: fk.users.doctorA.id }), 201);
  assert.equal(t2.fever, true, '37.3 is a fever');
  assert.deepEqual(t2.symptoms, ['cough']);
  assert.equal(t2.measured_by.display_name, '村医甲');
  const temps = expectList(await grid.get(url));
  assert.deepEqual(temps.items.map((t) => t.id), [t1.id, t2.id]);
  const q = expectJson(await grid.get(`/api/v1/home-quarantines/${ids.q1}`));
  assert.equal(q.last_temperature.celsius, 37.3);
  assert.equal(q.last_temperature.fever, true);
  assert.equal(q.fever_count, 1);
  assert.equal(q.today.am, 37.3);
  assert.equal(q.today.pm, null);
  const fevers = expectList(await grid.get('/api/v1/home-quarantines/fevers'));
  assert.deepEqual(fevers.items.map((f) => f.id), [t2.id]);
  assert.equal(fevers.items[0].person.id, persons[C0][0].id);
  assert.equal(fevers.items[0].celsius, 37.3);
});

test('jurisdiction: a worker of another community sees nothing of C0 (list, id, overdue, fevers, export, writes)', async () => {
  const gridB = await fk.login(fk.users.gridB);
  assert.equal(expectList(await gridB.get('/api/v1/home-quarantines?state=all')).total, 0);
  for (const path of [`/api/v1/home-quarantines/${ids.q1}`, `/api/v1/home-quarantines/${ids.q1}/temperatures`])
    expectError(await gridB.get(path), 404, 'home_quarantine_not_found', 'id');
  expectError(await gridB.post(`/api/v1/home-quarantines/${ids.q1}/temperatures`, { celsius: 36.5 }), 404, 'home_quarantine_not_found', 'id');
  expectError(await gridB.post(`/api/v1/home-quarantines/${ids.q1}/letters`, { kind: 'commitment', action: 'issued' }), 404, 'home_quarantine_not_found', 'id');
  expectError(await gridB.patch(`/api/v1/home-quarantines/${ids.q1}`, { note: 'x' }), 404, 'home_quarantine_not_found', 'id');
  expectError(await gridB.get(`/api/v1/home-quarantines?region=${C0}`), 404, 'region_not_found', 'region');
  assert.equal(expectList(await gridB.get('/api/v1/home-quarantines/overdue')).total, 0);
  assert.equal(expectList(await gridB.get('/api/v1/home-quarantines/fevers')).total, 0);
  const csv = await gridB.get('/api/v1/home-quarantines/export?format=csv&state=all');
  assert.equal(csv.status, 200);
  assert.equal(parseCsv(csv.text).length, 1, 'only the header row');
  expectError(await gridB.get(`/api/v1/home-quarantines/export?format=csv&region=${C0}`), 404, 'region_not_found', 'region');
});

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
  return rows.filter((r) => r.some((c) => c !== ''));
}

test('export: Chinese headers, the list filters, xlsx and csv', async () => {
  const officer = await fk.login(fk.users.officer);
  const res = await officer.get('/api/v1/home-quarantines/export?format=csv');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /text\/csv/);
  assert.match(res.headers['content-disposition'] || '', /home-quarantines-.*\.csv/);
  const rows = parseCsv(res.text);
  const header = rows[0];
  for (const h of ['序号', '姓名', '身份证号', '所属区划', '开始时间', '计划解除时间', '最近体温(℃)', '承诺书', '告知书', '逾期事项', '乡镇干部', '村医', '民警', '网格员'])
    assert.ok(header.includes(h), `header ${h}: ${header}`);
  assert.equal(rows.length, 3);
  const row = rows.find((r) => r[header.indexOf('姓名')] === persons[C0][0].name);
  assert.ok(row, 'the person is in the ledger');
  assert.equal(row[header.indexOf('最近体温(℃)')], '37.3');
  assert.equal(row[header.indexOf('发热次数')], '1');
  assert.match(row[header.indexOf('承诺书')], /^已签订/);
  assert.match(row[header.indexOf('民警')], /^派出所王警官/);
  assert.match(row[header.indexOf('网格员')], /网格员甲/);
  assert.match(row[header.indexOf('身份证号')], /\*{10}/);
  const dated = parseCsv((await officer.get('/api/v1/home-quarantines/export?format=csv&until=2022-03-01')).text);
  assert.equal(dated.length, 2, 'until 03-01: the quarantine that started on 03-01 only');
  const xlsx = await officer.get('/api/v1/home-quarantines/export');
  assert.equal(xlsx.status, 200);
  assert.match(xlsx.headers['content-type'], /spreadsheetml/);
  assert.equal(xlsx.buffer.subarray(0, 2).toString(), 'PK');
  expectError(await officer.get('/api/v1/home-quarantines/export?format=pdf'), 422, 'invalid_field', 'format');
});

test('patch: extend, replace a team member, end with an outcome; ended quarantines refuse changes', async () => {
  const grid = await fk.login(fk.users.gridA);
  const url = `/api/v1/home-quarantines/${ids.q2}`;
  expectError(await grid.patch(url, {}), 422, 'invalid_field', 'body');
  expectError(await grid.patch(url, { state: 'ended' }), 422, 'invalid_field', 'state');
  expectError(await grid.patch(url, { planned_end: 'soon' }), 422, 'invalid_field', 'planned_end');
  expectError(await grid.patch(url, { planned_end: '2022-02-28T00:00:00+08:00' }), 422, 'invalid_field', 'planned_end');
  expectError(await grid.patch(url, { outcome: 'escaped' }), 422, 'invalid_field', 'outcome');
  expectError(await grid.patch(url, { ended_at: '2022-03-02T07:00:00+08:00' }), 422, 'invalid_field', 'ended_at');
  expectError(await grid.patch(url, { team: [{ role: 'police', name: '李警官' }] }), 422, 'missing_field', 'team[0].phone');
  let q = expectJson(await grid.patch(url, { planned_end: '2022-03-15T00:00:00+08:00', team: [{ role: 'police', name: '李警官', phone: '13900002222' }] }));
  assert.equal(q.planned_end, '2022-03-15T00:00:00+08:00');
  assert.equal(q.days_total, 14);
  assert.equal(q.team.find((m) => m.role === 'police').name, '李警官');
  assert.equal(q.team.length, 5);
  q = expectJson(await grid.patch(url, { outcome: 'transferred_to_centralized', ended_at: '2022-03-02T07:00:00+08:00', note: '转至集中隔离点' }));
  assert.equal(q.state, 'ended');
  assert.equal(q.outcome_label, '转集中隔离');
  assert.equal(q.ended_at, '2022-03-02T07:00:00+08:00');
  assert.equal(q.overdue, false);
  expectError(await grid.patch(url, { planned_end: '2022-03-20T00:00:00+08:00' }), 409, 'quarantine_ended', 'state');
  expectError(await grid.post(`${url}/temperatures`, { celsius: 36.5 }), 409, 'quarantine_ended', 'state');
  expectError(await grid.post(`${url}/letters`, { kind: 'commitment', action: 'issued' }), 409, 'quarantine_ended', 'state');
  expectJson(await grid.patch(url, { note: '已转运' }));
  // The person may start a new home quarantine once the old one ended.
  const again = expectJson(await grid.post('/api/v1/home-quarantines', body(persons[C0][1])), 201);
  ids.q2b = again.id;
  assert.equal(expectList(await grid.get('/api/v1/home-quarantines?state=ended')).total, 1);
  assert.equal(expectList(await grid.get('/api/v1/home-quarantines?state=all')).total, 3);
});

test('overdue follow-ups at controlled times, per team member', async () => {
  let grid = await fk.login(fk.users.gridA);
  // A one-day quarantine from 08:00: past its planned end tomorrow at 08:00.
  const short = expectJson(await grid.post('/api/v1/home-quarantines', body(persons[C0][2], { days: 1 })), 201);
  // At 08:00 on the first day nothing is due yet.
  assert.equal(expectList(await grid.get('/api/v1/home-quarantines/overdue')).total, 0);
  expectError(await grid.get('/api/v1/home-quarantines/overdue?kind=late'), 422, 'invalid_field', 'kind');

  // Day two, 13:00: the pm slot of day one (due 20:00) and the am slot of day
  // two (due 12:00) have passed; the letters of q2b and short (due 24 h after
  // the start) are missing; short is past its planned end.
  // (Sessions expire after 12 h idle: log in again after the jump.)
  await restartAt('2022-03-03T13:00:00+08:00');
  grid = await fk.login(fk.users.gridA);
  const doctor = await fk.login(fk.users.doctorA);
  const cadre = await fk.login(fk.users.cadreA);
  const officer = await fk.login(fk.users.officer);
  const all = expectList(await officer.get('/api/v1/home-quarantines/overdue?per_page=200'), { perPage: 200 });
  const of = (qid, kind) => all.items.filter((i) => i.quarantine_id === qid && (!kind || i.kind === kind));
  assert.deepEqual(of(ids.q1, 'temperature').map((i) => `${i.day} ${i.slot}`), ['2022-03-02 pm', '2022-03-03 am']);
  assert.equal(of(ids.q1, 'letter').length, 0, 'q1 letters are signed');
  assert.deepEqual(of(ids.q2b, 'letter').map((i) => `${i.letter}:${i.action}`).sort(),
    ['commitment:issued', 'commitment:signed', 'notification:issued', 'notification:signed']);
  assert.equal(of(ids.q2, 'temperature').length, 0, 'ended quarantines have no follow-ups');
  // short: day one pm only (day two am falls due after its planned end), and the end.
  assert.deepEqual(of(short.id, 'temperature').map((i) => `${i.day} ${i.slot}`), ['2022-03-02 pm']);
  const end = of(short.id, 'end');
  assert.equal(end.length, 1);
  assert.equal(end[0].due_at, '2022-03-03T08:00:00+08:00');
  assert.deepEqual(end[0].responsible.map((r) => r.role), ['township_cadre', 'village_cadre']);
  const tempItem = of(ids.q1, 'temperature')[0];
  assert.deepEqual(tempItem.responsible.map((r) => r.role), ['village_doctor', 'grid_worker']);
  assert.equal(tempItem.due_at, '2022-03-02T20:00:00+08:00');
  assert.equal(tempItem.person.name, persons[C0][0].name);
  // Oldest due first.
  const dues = all.items.map((i) => Date.parse(i.due_at));
  assert.deepEqual(dues, [...dues].sort((a, b) => a - b));

  // Each member's own list: the grid worker and doctor see temperatures only,
  // the village cadre letters and ends, the township cadre (officer) ends.
  const kinds = async (client) => [...new Set(expectList(await client.get('/api/v1/home-quarantines/overdue?member=me&per_page=200'), { perPage: 200 }).items.map((i) => i.kind))].sort();
  assert.deepEqual(await kinds(grid), ['temperature']);
  assert.deepEqual(await kinds(doctor), ['temperature']);
  assert.deepEqual(await kinds(cadre), ['end', 'letter']);
  assert.deepEqual(await kinds(officer), ['end']);
  const byId = expectList(await officer.get(`/api/v1/home-quarantines/overdue?member=${fk.users.gridA.id}&kind=temperature&per_page=200`), { perPage: 200 });
  assert.ok(byId.items.every((i) => i.kind === 'temperature') && byId.total > 0);
  const q = expectJson(await grid.get(`/api/v1/home-quarantines/${ids.q1}`));
  assert.equal(q.overdue, true);
  assert.equal(q.overdue_count, 2);
  assert.equal(q.day, 2);
  assert.equal(q.days_remaining, 13);

  // A late reading for day one pm fills that slot; 36.8 is no fever.
  const late = expectJson(await grid.post(`/api/v1/home-quarantines/${ids.q1}/temperatures`, { celsius: 36.8, measured_at: '2022-03-02T19:00:00+08:00' }), 201);
  assert.equal(late.slot, 'pm');
  assert.equal(late.fever, false);
  const after = expectList(await grid.get('/api/v1/home-quarantines/overdue?member=me&kind=temperature&per_page=200'), { perPage: 200 });
  assert.deepEqual(after.items.filter((i) => i.quarantine_id === ids.q1).map((i) => `${i.day} ${i.slot}`), ['2022-03-03 am']);
  // The latest reading by measurement time is shown; a reading uploaded late
  // but measured earlier does not replace it.
  assert.equal(expectJson(await grid.get(`/api/v1/home-quarantines/${ids.q1}`)).last_temperature.celsius, 36.8);
  expectJson(await grid.post(`/api/v1/home-quarantines/${ids.q1}/temperatures`, { celsius: 36.2, measured_at: '2022-03-02T07:55:00+08:00' }), 201);
  assert.equal(expectJson(await grid.get(`/api/v1/home-quarantines/${ids.q1}`)).last_temperature.celsius, 36.8);
  // Ending the short one clears its items.
  expectJson(await grid.patch(`/api/v1/home-quarantines/${short.id}`, { outcome: 'released' }));
  const cleared = expectList(await officer.get('/api/v1/home-quarantines/overdue?per_page=200'), { perPage: 200 });
  assert.equal(cleared.items.filter((i) => i.quarantine_id === short.id).length, 0);
  // The other community's worker still sees none of it.
  const gridB = await fk.login(fk.users.gridB);
  assert.equal(expectList(await gridB.get('/api/v1/home-quarantines/overdue')).total, 0);
  // Audit of the overdue list.
  const admin = await fk.login(fk.users.admin);
  assert.ok(expectJson(await admin.get('/api/v1/audit?action=home_quarantine_overdue_list&per_page=1')).total >= 1);
});

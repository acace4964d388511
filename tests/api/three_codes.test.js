// The three-codes view (三码查验, issue 5 item 6): checkpoint staff scan a
// personal code or type an ID number and see the health code, the itinerary
// of the last 14 days (registered arrivals, checkpoint passages) and the place
// code; a person outside the registry still has an itinerary; a resident of
// another township gets the gate view only (colour, reasons, cities and
// counties; issue 9 item 2); the enterprise role is refused; bad input is a
// 422 naming the field; reads by person id follow jurisdiction; every view is
// audited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, NOW } from './lib/server.js';
import { idNumber } from './lib/ids.js';

let T0, C0, X0, person, stranger;
const fk = useServer({ now: NOW, people: 300 }, async (fk) => {
  T0 = fk.townships[0].code;
  const T1 = fk.townships[1].code;
  await fk.addUser({ key: 'staff0', username: 't3_staff0', role: 'checkpoint_staff', region: T0, displayName: '甲镇卡口' });
  await fk.addUser({ key: 'officer1', username: 't3_officer1', role: 'township_officer', region: T1, displayName: '乙镇干部' });
  await fk.addUser({ key: 'sampler', username: 't3_sampler', role: 'sampler', region: T0, displayName: '采样员' });
  await fk.addUser({ key: 'tracer', username: 't3_tracer', role: 'tracer', region: '141102', displayName: '流调员' });
  const admin = await fk.login(fk.users.admin);
  const tracer = await fk.login(fk.users.tracer);
  const all = expectJson(await tracer.get(`/api/v1/persons?region=${T0}&per_page=200`)).items;
  person = all.find((p) => p.region.length === 15);
  assert.ok(person, 'a person living in a compound');
  assert.match(person.id_number, /^\d{17}[\dX]$/, 'a tracer sees the full ID');
  C0 = person.region.slice(0, 12);
  X0 = person.region;
  // An arrival registered for them, and a vehicle they rode through a checkpoint.
  expectJson(await admin.post('/api/v1/returnees', {
    id_number: person.id_number, name: person.name, phone: '13912345678',
    origin: { code: '4201', name: '湖北省武汉市' }, arrival_date: '2022-02-27', transport: 'train', trip_no: 'G1234',
    destination_region: X0, address: '阳光小区', three_code: 'green', landing_test: 'sampled', disposition: 'home_monitoring',
  }), 201);
  const road = expectJson(await admin.post('/api/v1/checkpoints', { name: '三码测试卡口', type: 'highway_exit', level: 2, region: T0 }), 201);
  stranger = idNumber('420102', '19880808', 321);
  const pass = expectJson(await admin.post('/api/v1/vehicle-passes', {
    plate: '晋K33333', vehicle_type: 'car',
    driver: { id_number: stranger, name: '外地司机', phone: '13900001111' },
    passengers: [{ id_number: person.id_number, name: person.name }],
    origin: '武汉市', destination: '离石区', purpose: '返乡',
  }), 201);
  const staff = await fk.login(fk.users.staff0);
  expectJson(await staff.post(`/api/v1/checkpoints/${road.id}/passages`, {
    code: pass.code, decision: 'pass', scanned_at: '2022-03-01T10:00:00+08:00', idempotency_key: 'three-codes-1',
    temperatures: [{ seat: 0, celsius: 36.5 }, { seat: 1, celsius: 36.6 }],
  }), 201);
  // A venue visit (place code) a day ago — refused: the arrival was yellow by then.
  const venue = expectJson(await admin.post('/api/v1/venues', {
    name: '三码测试超市', category: 'supermarket', region: C0, address: '滨河路 1 号', contact_name: '王经理', contact_phone: '13912345678',
  }), 201);
  const ci = expectJson(await admin.post('/api/v1/checkins', { venue_id: venue.id, person_id: person.id, at: '2022-03-01T09:00:00+08:00', idempotency_key: 't3-visit-1' }), 201);
  assert.equal(ci.allowed, false);
});

const issue = async (type, id, expires = '2022-03-02T09:00:00+08:00', now = NOW) => {
  const args = ['keys', 'issue', '--db', fk.db, '--type', type, '--id', String(id), '--expires', expires];
  const r = await fk.cliOk(args, { env: { ...fk.env, FANGKONG_NOW: now } });
  return r.stdout.trim();
};

test('a personal code shows the health code, the 14-day itinerary newest first, and is audited', async () => {
  const staff = await fk.login(fk.users.staff0);
  const code = await issue('personal', person.id);
  assert.match(code, /^FKP:/);
  const v = expectJson(await staff.post('/api/v1/scans/three-codes', { code }));
  assert.equal(v.via, 'personal_code');
  assert.equal(v.person.id, person.id);
  assert.equal(v.person.name, person.name);
  assert.equal(v.person.in_registry, true);
  assert.match(v.person.id_number, /\*/, 'checkpoint staff see the ID masked');
  // The landing test was only sampled: the arrival still owes it (yellow, with the rule).
  assert.equal(v.health_code.color, 'yellow');
  assert.equal(v.health_code.label, '黄码');
  assert.ok(v.health_code.reasons.some((r) => r.rule === 'tests_owed'), JSON.stringify(v.health_code));
  assert.equal(v.days, 14);
  assert.deepEqual(v.itinerary.map((i) => i.kind), ['passage', 'arrival']);
  assert.equal(v.itinerary[0].checkpoint_name, '三码测试卡口');
  assert.equal(v.itinerary[0].plate, '晋K33333');
  assert.equal(v.itinerary[0].decision_label, '放行');
  assert.equal(v.itinerary[0].seat, 1);
  assert.equal(v.itinerary[1].at, '2022-02-27');
  assert.equal(v.itinerary[1].origin_name, '湖北省武汉市');
  assert.equal(v.itinerary[1].trip_no, 'G1234');
  assert.equal(v.places.length, 1);
  assert.equal(v.places[0].venue_name, '三码测试超市');
  assert.equal(v.places[0].category_label, '超市');
  assert.equal(v.places[0].color, 'yellow', 'the colour shown at the time');
  assert.equal(v.places[0].allowed, false, 'a yellow code is refused entry');
  assert.equal(Date.parse(v.places[0].at), Date.parse('2022-03-01T09:00:00+08:00'));
  const admin = await fk.login(fk.users.admin);
  const audit = expectJson(await admin.get('/api/v1/audit?action=three_codes_read&per_page=50'));
  assert.ok(audit.items.some((e) => e.person_id === person.id && e.actor === 't3_staff0'), JSON.stringify(audit.items));
});

test('home quarantine turns the code red in the view; an ID number outside the registry still has an itinerary', async () => {
  const admin = await fk.login(fk.users.admin);
  await fk.addUser({ key: 'grid', username: 't3_grid', role: 'community_worker', region: C0, displayName: '网格员' });
  expectJson(await admin.post('/api/v1/home-quarantines', {
    person_id: person.id, starts_at: NOW, days: 7, reason: 'returnee',
    team: [
      { role: 'township_cadre', name: '乡镇干部', phone: '13800000001' },
      { role: 'village_cadre', name: '村干部', phone: '13800000002' },
      { role: 'village_doctor', name: '村医', phone: '13800000003' },
      { role: 'police', name: '民警', phone: '13800000004' },
      { role: 'grid_worker', user_id: fk.users.grid.id },
    ],
  }), 201);
  const staff = await fk.login(fk.users.staff0);
  const red = expectJson(await staff.post('/api/v1/scans/three-codes', { id_number: person.id_number }));
  assert.equal(red.via, 'id_number');
  assert.equal(red.health_code.color, 'red');
  const s = expectJson(await staff.post('/api/v1/scans/three-codes', { id_number: stranger.toLowerCase() }));
  assert.equal(s.person.in_registry, false);
  assert.equal(s.person.id, null);
  assert.equal(s.person.id_number, `${stranger.slice(0, 4)}**********${stranger.slice(14)}`);
  assert.equal(s.health_code, null, 'no local health code outside the registry');
  assert.deepEqual(s.itinerary.map((i) => [i.kind, i.seat]), [['passage', 0]]);
  assert.deepEqual(s.places, []);
});

test('a resident of another township: the gate view — colour, reasons, cities and counties by day; no address, phone, region, household, itinerary or check-ins; audited as crossing', async () => {
  const admin = await fk.login(fk.users.admin);
  // A late-evening visit counts on its own day in Asia/Shanghai (23:30 is 15:30 UTC).
  const venue = expectJson(await admin.get(`/api/v1/venues?region=${C0}&per_page=1`)).items[0];
  expectJson(await admin.post('/api/v1/checkins', { venue_id: venue.id, person_id: person.id, at: '2022-03-01T23:30:00+08:00', idempotency_key: 't3-visit-late' }), 201);
  const full = expectJson(await admin.post('/api/v1/scans/three-codes', { id_number: person.id_number }));
  assert.equal(full.view, 'full');
  const other = await fk.login(fk.users.officer1);
  const code = await issue('personal', person.id);
  for (const body of [{ id_number: person.id_number }, { code }]) {
    const res = await other.post('/api/v1/scans/three-codes', body);
    const v = expectJson(res);
    assert.equal(v.view, 'gate');
    assert.deepEqual(Object.keys(v).sort(), ['areas', 'days', 'health_code', 'last_test', 'person', 'since', 'via', 'view']);
    assert.deepEqual(Object.keys(v.person).sort(), ['id', 'id_number', 'in_registry', 'name']);
    assert.equal(v.person.id, null, 'no internal id to count with');
    assert.equal(v.person.in_registry, true);
    assert.equal(v.person.name, person.name[0] + '*'.repeat([...person.name].length - 1));
    assert.equal(v.person.id_number, `${person.id_number.slice(0, 4)}**********${person.id_number.slice(14)}`);
    // The colour and the rules behind it, as the full view has them, without the cause text.
    assert.equal(v.health_code.color, full.health_code.color);
    assert.equal(v.health_code.label, full.health_code.label);
    assert.deepEqual(v.health_code.reasons.map((r) => r.rule), full.health_code.reasons.map((r) => r.rule));
    assert.ok(v.health_code.reasons.length > 0 && v.health_code.reasons.every((r) => r.label && !('cause' in r)), JSON.stringify(v.health_code));
    assert.ok(!('person_id' in v.health_code));
    // Where they were: the origin city of the arrival, the district of the passage and the visit.
    assert.deepEqual(v.areas, [
      { code: '141102', name: '离石区', last_date: '2022-03-01' },
      { code: '4201', name: '湖北省武汉市', last_date: '2022-02-27' },
    ]);
    assert.equal(v.last_test, null);
    for (const secret of ['address', 'phone', 'region', 'household', 'itinerary', 'places', 'cause', person.address, X0, C0, '13912345678', '三码测试超市', '三码测试卡口', '晋K33333', person.id_number])
      if (secret) assert.ok(!res.text.includes(secret), `${secret} in ${res.text}`);
  }
  // Inside the jurisdiction: the full view as before, with the areas too.
  const staff = await fk.login(fk.users.staff0);
  const inside = expectJson(await staff.post('/api/v1/scans/three-codes', { id_number: person.id_number }));
  assert.equal(inside.view, 'full');
  assert.equal(inside.person.id, person.id);
  assert.equal(inside.person.region, X0);
  assert.equal(inside.places.length, 2);
  assert.deepEqual(inside.areas.map((a) => a.code), ['141102', '4201']);
  const audit = expectJson(await admin.get('/api/v1/audit?action=three_codes_read&per_page=50')).items;
  const crossed = audit.filter((e) => e.actor === 't3_officer1' && e.person_id === person.id);
  assert.equal(crossed.length, 2);
  assert.ok(crossed.every((e) => e.detail.cross_jurisdiction === true && e.detail.view === 'gate'), JSON.stringify(crossed));
  assert.ok(audit.some((e) => e.actor === 't3_staff0' && e.person_id === person.id && e.detail.cross_jurisdiction === false && e.detail.view === 'full'));
});

test('the enterprise role has no three-codes lookup (403), not even of the people of its own region', async () => {
  await fk.addUser({ key: 'enterprise', username: 't3_enterprise', role: 'enterprise', region: T0, displayName: '企业' });
  const enterprise = await fk.login(fk.users.enterprise);
  expectError(await enterprise.post('/api/v1/scans/three-codes', { id_number: person.id_number }), 403, 'forbidden');
  expectError(await enterprise.post('/api/v1/scans/three-codes', { code: await issue('personal', person.id) }), 403, 'forbidden');
  expectError(await enterprise.post('/api/v1/scans/three-codes', { id_number: stranger }), 403, 'forbidden');
  expectError(await enterprise.get(`/api/v1/persons/${person.id}/three-codes`), 403, 'forbidden');
});

test('bad input is a 422 naming the field; an expired or foreign code is refused', async () => {
  const staff = await fk.login(fk.users.staff0);
  expectError(await staff.post('/api/v1/scans/three-codes', {}), 422, 'missing_field', 'code');
  expectError(await staff.post('/api/v1/scans/three-codes', { code: 'FKP:1', id_number: person.id_number }), 422, 'invalid_field', 'id_number');
  expectError(await staff.post('/api/v1/scans/three-codes', { id_number: '141102199001011234' }), 422, 'invalid_field', 'id_number');
  expectError(await staff.post('/api/v1/scans/three-codes', { id_number: 42 }), 422, 'invalid_field', 'id_number');
  expectError(await staff.post('/api/v1/scans/three-codes', { code: 'x'.repeat(600) }), 422, 'invalid_field', 'code');
  const bad = expectError(await staff.post('/api/v1/scans/three-codes', { code: 'hello' }), 422, 'invalid_code', 'code');
  assert.equal(bad.reason, 'malformed');
  const old = await issue('personal', person.id, '2022-03-01T09:00:00+08:00', '2022-02-28T09:00:00+08:00');
  const expired = expectError(await staff.post('/api/v1/scans/three-codes', { code: old }), 422, 'invalid_code', 'code');
  assert.equal(expired.reason, 'expired');
  expectError(await staff.post('/api/v1/scans/three-codes', { code: await issue('card', 5) }), 422, 'invalid_code', 'code');
  expectError(await staff.post('/api/v1/scans/three-codes', { code: await issue('personal', 99999999) }), 404, 'person_not_found', 'code');
});

test('by person id: jurisdiction (another township sees nothing), roles', async () => {
  const admin = await fk.login(fk.users.admin);
  const ok = expectJson(await admin.get(`/api/v1/persons/${person.id}/three-codes`));
  assert.equal(ok.person.id, person.id);
  assert.equal(ok.via, 'person_id');
  const other = await fk.login(fk.users.officer1);
  expectError(await other.get(`/api/v1/persons/${person.id}/three-codes`), 404, 'person_not_found', 'id');
  expectError(await admin.get('/api/v1/persons/abc/three-codes'), 404, 'person_not_found', 'id');
  expectError(await admin.get('/api/v1/persons/99999999/three-codes'), 404, 'person_not_found', 'id');
  const sampler = await fk.login(fk.users.sampler);
  assert.equal((await sampler.get(`/api/v1/persons/${person.id}/three-codes`)).status, 403);
  assert.equal((await sampler.post('/api/v1/scans/three-codes', { id_number: person.id_number })).status, 403);
  assert.equal((await fk.anonymous().post('/api/v1/scans/three-codes', { id_number: person.id_number })).status, 401);
});

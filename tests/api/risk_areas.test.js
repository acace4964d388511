// Risk areas (风险区): declaring a local region or an outside county, the codes
// of the residents and arrivals it covers (visitors come from venues after the
// merge), downgrades and lifting by the rules file, the public list without
// personal data, validation and jurisdiction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, expectList, httpRequest } from './lib/server.js';

const NOW = '2022-08-01T08:00:00+08:00';
const T0 = Date.parse(NOW);
const at = (hours) => new Date(T0 + hours * 3600e3).toISOString().replace('.000Z', 'Z');

let C0; // the most populated community of the first township
const residents = []; // persons of C0
let outsider; // a person of the second township
let visitor; // another, who shopped in C0 the day before the declaration
let latecomer; // and one who shops there after it
const fk = useServer({ now: NOW }, async (fk) => {
  const admin = await fk.login(fk.users.admin);
  const list = expectJson(await admin.get(`/api/v1/persons?region=${fk.townships[0].code}&per_page=200`));
  const byCommunity = {};
  for (const x of list.items) (byCommunity[x.region.slice(0, 12)] ??= []).push(x);
  C0 = Object.keys(byCommunity).sort((a, b) => byCommunity[b].length - byCommunity[a].length)[0];
  residents.push(...byCommunity[C0]);
  assert.ok(residents.length >= 2);
  const other = expectJson(await admin.get(`/api/v1/persons?region=${fk.townships[1].code}&per_page=5`));
  outsider = other.items[0];
  visitor = other.items[1];
  latecomer = other.items[2];
});

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
// An invented, valid ID number born in Wuhan.
function freshId() {
  const first17 = `4201021980${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}1${Math.floor(Math.random() * 10)}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return first17 + '10X98765432'[sum % 11];
}

const color = async (client, person) =>
  expectJson(await client.get(`/api/v1/persons/${person.id}/health-code`));

test('declaring a community high-risk turns its residents and its venues\' visitors red, not others; the public list shows it', async () => {
  const officer = await fk.login(fk.users.officer);
  const shop = expectJson(await officer.post('/api/v1/venues', { name: '风险测试超市', category: 'supermarket', region: C0 }), 201);
  const admin0 = await fk.login(fk.users.admin);
  expectJson(await admin0.post('/api/v1/checkins', { venue_id: shop.id, person_id: visitor.id, at: at(-24), idempotency_key: 'ra-visit-1' }), 201);
  assert.equal((await color(admin0, visitor)).color, 'green');
  const area = expectJson(
    await officer.post('/api/v1/risk-areas', { region: C0, level: 'high', from: at(-10 * 24) }),
    201,
  );
  assert.equal(area.level, 'high');
  assert.equal(area.level_label, '高风险区');
  assert.equal(area.active, true);
  assert.ok(area.codes_changed >= residents.length, JSON.stringify(area));
  assert.equal(area.next_step.level, 'medium');
  for (const r of residents) {
    const c = await color(officer, r);
    assert.equal(c.color, 'red');
    assert.equal(c.reasons[0].rule, 'risk_resident');
    assert.match(c.reasons[0].cause, /高风险区/);
  }
  const admin = await fk.login(fk.users.admin);
  assert.equal((await color(admin, outsider)).color, 'green');
  const v = await color(admin, visitor);
  assert.equal(v.color, 'red', JSON.stringify(v));
  assert.ok(v.reasons.some((r) => /风险测试|高风险/.test(r.cause)), JSON.stringify(v.reasons));
  expectError(await officer.post('/api/v1/risk-areas', { region: C0, level: 'medium' }), 409, 'already_declared', 'region');

  const pub = await httpRequest(fk.base, 'GET', '/api/v1/public/risk-areas');
  assert.equal(pub.status, 200);
  const item = pub.json.items.find((i) => i.region === C0);
  assert.ok(item, 'listed publicly');
  assert.deepEqual(Object.keys(item).sort(), ['active', 'from', 'level', 'level_label', 'name', 'outside', 'region', 'until']);
  assert.doesNotMatch(pub.text, /person|phone|id_number|created_by/);

  const listed = expectList(await officer.get('/api/v1/risk-areas?active=1&level=high'));
  assert.ok(listed.items.some((i) => i.id === area.id));

  // A check-in inside the declared area afterwards turns that code at once.
  const late = expectJson(await admin.post('/api/v1/checkins', { venue_id: shop.id, person_id: latecomer.id, at: at(0), idempotency_key: 'ra-visit-2' }), 201);
  assert.equal(late.color, 'green', 'the colour shown at the door');
  const lc = await color(admin, latecomer);
  assert.equal(lc.color, 'red', JSON.stringify(lc));
  // A retry of the same check-in changes nothing more.
  expectJson(await admin.post('/api/v1/checkins', { venue_id: shop.id, person_id: latecomer.id, at: at(0), idempotency_key: 'ra-visit-2' }), 200);
});

test('downgrade follows the rules: high → medium after 7 days without a case (ninth plan); a new case resets the count', async () => {
  const officer = await fk.login(fk.users.officer);
  const [area] = expectList(await officer.get('/api/v1/risk-areas?active=1')).items.filter((i) => i.region === C0);
  expectError(await officer.patch(`/api/v1/risk-areas/${area.id}`, { level: 'low' }), 409, 'downgrade_not_allowed', 'level');
  expectError(await officer.post(`/api/v1/risk-areas/${area.id}/lift`, {}), 409, 'lift_not_allowed', 'level');
  // a new case two days ago: 7 days from then
  const withCase = expectJson(await officer.patch(`/api/v1/risk-areas/${area.id}`, { last_case_at: at(-48) }));
  assert.equal(withCase.next_step.at.slice(0, 10), at(5 * 24).slice(0, 10));
  expectError(await officer.patch(`/api/v1/risk-areas/${area.id}`, { level: 'medium' }), 409, 'too_early', 'level');
  expectError(await officer.patch(`/api/v1/risk-areas/${area.id}`, { level: 'severe' }), 422, 'invalid_field', 'level');
  expectError(await officer.patch(`/api/v1/risk-areas/${area.id}`, { colour: 'red' }), 422, 'invalid_field', 'colour');
  // medium still makes residents red under the ninth plan; upgrading is always allowed
  const up = expectJson(await officer.patch(`/api/v1/risk-areas/${area.id}`, { level: 'high', reason: '复核' }));
  assert.equal(up.level, 'high');
  // lifting early needs district_admin with a reason
  expectError(await officer.post(`/api/v1/risk-areas/${area.id}/lift`, { override: true, reason: '误报' }), 403, 'forbidden', 'override');
  const admin = await fk.login(fk.users.admin);
  expectError(await admin.post(`/api/v1/risk-areas/${area.id}/lift`, { override: true }), 422, 'missing_field', 'reason');
  const lifted = expectJson(await admin.post(`/api/v1/risk-areas/${area.id}/lift`, { override: true, reason: '申报有误' }));
  assert.equal(lifted.level, 'lifted');
  assert.equal(lifted.active, false);
  for (const r of residents) assert.equal((await color(admin, r)).color, 'green');
  expectError(await admin.patch(`/api/v1/risk-areas/${area.id}`, { level: 'high' }), 409, 'risk_area_lifted', 'id');
  const pub = await httpRequest(fk.base, 'GET', '/api/v1/public/risk-areas');
  assert.ok(!pub.json.items.some((i) => i.region === C0), 'lifted areas leave the public list');
});

test('an outside county declared high turns arrivals from it red (returnee registration and arrival facts)', async () => {
  const admin = await fk.login(fk.users.admin);
  const officer = await fk.login(fk.users.officer);
  expectError(await officer.post('/api/v1/risk-areas', { region: '140105', level: 'high' }), 403, 'forbidden', 'region');
  expectError(await admin.post('/api/v1/risk-areas', { region: '140100', level: 'high' }), 422, 'invalid_field', 'region');
  // an arrival recorded before the declaration
  const before = residents[0];
  expectJson(await admin.post(`/api/v1/persons/${before.id}/health-facts`, { kind: 'arrival', region: '140105', started_at: at(-48), detail: '太原市小店区' }), 201);
  assert.equal((await color(admin, before)).color, 'green');
  const area = expectJson(await admin.post('/api/v1/risk-areas', { region: '140105', level: 'medium', name: '太原市小店区' }), 201);
  assert.equal(area.outside, true);
  const c = await color(admin, before);
  assert.equal(c.color, 'red');
  assert.equal(c.reasons[0].rule, 'county_arrival');
  assert.match(c.reasons[0].cause, /小店区/);
  // a returnee registered afterwards (a new person), from the same county, owing the landing test
  const r = expectJson(
    await admin.post('/api/v1/returnees', {
      id_number: freshId(), name: '返乡测试', phone: '13912345678',
      origin: { code: '140105', name: '山西省太原市小店区' }, arrival_date: '2022-08-01', transport: 'car', plate: '晋A12345',
      destination_region: residents[0].region, address: '1号楼', three_code: 'green', landing_test: 'pending', disposition: 'home_monitoring',
    }),
    201,
  );
  assert.ok(r.person_id > 0);
  let rc = await color(admin, { id: r.person_id });
  assert.equal(rc.color, 'red');
  assert.deepEqual(rc.reasons.map((x) => x.rule), ['county_arrival', 'tests_owed']);
  // the landing test comes back negative: only the county arrival remains
  expectJson(await admin.patch(`/api/v1/returnees/${r.id}`, { landing_test: 'negative' }));
  rc = await color(admin, { id: r.person_id });
  assert.deepEqual(rc.reasons.map((x) => x.rule), ['county_arrival']);
  // a 7-day window: an arrival 8 days ago is not red
  const old = residents[1];
  expectJson(await admin.post(`/api/v1/persons/${old.id}/health-facts`, { kind: 'arrival', region: '140105', started_at: at(-8 * 24) }), 201);
  assert.equal((await color(admin, old)).color, 'green');
});

test('validation and jurisdiction', async () => {
  const officer = await fk.login(fk.users.officer);
  const other = fk.townships[1].code;
  expectError(await officer.post('/api/v1/risk-areas', { region: other, level: 'high' }), 404, 'region_not_found', 'region');
  expectError(await officer.post('/api/v1/risk-areas', { region: '141102999999', level: 'high' }), 404, 'region_not_found', 'region');
  expectError(await officer.post('/api/v1/risk-areas', { region: 'abc', level: 'high' }), 422, 'invalid_field', 'region');
  expectError(await officer.post('/api/v1/risk-areas', { level: 'high' }), 422, 'missing_field', 'region');
  expectError(await officer.post('/api/v1/risk-areas', { region: fk.townships[0].code, level: 'severe' }), 422, 'invalid_field', 'level');
  expectError(await officer.post('/api/v1/risk-areas', { region: fk.townships[0].code, level: 'high', until: at(-1000) }), 422, 'invalid_field', 'until');
  const admin = await fk.login(fk.users.admin);
  const theirs = expectJson(await admin.post('/api/v1/risk-areas', { region: other, level: 'low' }), 201);
  expectError(await officer.patch(`/api/v1/risk-areas/${theirs.id}`, { level: 'high' }), 404, 'risk_area_not_found', 'id');
  expectError(await officer.post(`/api/v1/risk-areas/${theirs.id}/lift`, {}), 404, 'risk_area_not_found', 'id');
  const mine = expectList(await officer.get('/api/v1/risk-areas'));
  assert.ok(!mine.items.some((i) => i.id === theirs.id), 'another township is not listed');
  expectError(await officer.get(`/api/v1/risk-areas?region=${other}`), 404, 'region_not_found', 'region');
  const grid = await fk.addUser({ key: 'rgrid', username: 'r_grid', role: 'community_worker', region: C0, displayName: '网格员' });
  const g = await fk.login(grid);
  assert.equal((await g.post('/api/v1/risk-areas', { region: C0, level: 'high' })).status, 403);
  // a low-risk area lifts after the rules' 3 days without a case (from was 0 days ago: too early)
  expectError(await admin.post(`/api/v1/risk-areas/${theirs.id}/lift`, {}), 409, 'too_early', 'level');
});

test('the sweep applies the rules: high → medium after 7 days without a case, medium → low after 3 more (at start)', async () => {
  const admin = await fk.login(fk.users.admin);
  const t2 = fk.townships[2].code;
  const list = expectJson(await admin.get(`/api/v1/persons?region=${t2}&per_page=5`));
  const resident = list.items[0];
  const area = expectJson(await admin.post('/api/v1/risk-areas', { region: t2, level: 'high', from: at(-9 * 24) }), 201);
  assert.equal((await color(admin, resident)).color, 'red');
  assert.equal(area.next_step.level, 'medium');
  // Restart: the sweep runs at start. Polling for the background sweep, not waiting for time.
  await fk.stopServer();
  fk.options.now = at(2 * 24);
  await fk.serve();
  const again = await fk.login(fk.users.admin);
  let now;
  for (let i = 0; i < 100; i++) {
    now = expectList(await again.get('/api/v1/risk-areas?active=1')).items.find((a) => a.id === area.id);
    if (now.level === 'low') break;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  assert.equal(now.level, 'low', JSON.stringify(now));
  assert.equal(now.next_step.level, 'lifted');
  assert.equal((await color(again, resident)).color, 'green', 'a low-risk area does not make its residents red');
});

test('20 declarations of one region at once store one area; the rest are 409 already_declared', async () => {
  const admin = await fk.login(fk.users.admin);
  const township = expectJson(await admin.get(`/api/v1/regions/${fk.townships[4].code}`));
  const region = township.children[0].code;
  const answers = await Promise.all(Array.from({ length: 20 }, () => admin.post('/api/v1/risk-areas', { region, level: 'medium' })));
  const statuses = answers.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, ...Array(19).fill(409)], statuses.join(' '));
  for (const r of answers) if (r.status === 409) expectError(r, 409, 'already_declared', 'region');
  assert.equal(expectList(await admin.get('/api/v1/risk-areas?active=1&per_page=200'), { perPage: 200 }).items.filter((a) => a.region === region).length, 1);
});

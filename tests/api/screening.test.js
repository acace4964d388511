// Door-knock screening (敲门行动): campaigns, grid assignments, visits with
// arrivals registered or linked and flagged, idempotent retries, progress,
// the pending list, jurisdiction and the visit ledger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, expectList } from './lib/server.js';
import { idNumber, withBadCheck, freshId } from './lib/ids.js';

// Discovered in setup: two communities of the first township with households,
// the first with at least two compounds that have households.
let C0, C1; // community codes
let X1, X2, Y1; // compounds: X1, X2 in C0; Y1 in C1
const households = {}; // compound -> [household]
const fk = useServer({ now: true }, async (fk) => {
  const admin = await fk.login(fk.users.admin);
  const t0 = fk.townships[0].code;
  const all = [];
  for (let page = 1; ; page++) {
    const list = expectJson(await admin.get(`/api/v1/households?region=${t0}&per_page=200&page=${page}`));
    all.push(...list.items);
    if (list.items.length < 200) break;
  }
  for (const h of all) (households[h.region] ??= []).push(h);
  const byCommunity = {};
  for (const compound of Object.keys(households).filter((c) => c.length === 15).sort())
    (byCommunity[compound.slice(0, 12)] ??= []).push(compound);
  const communities = Object.keys(byCommunity).sort();
  C0 = communities.find((c) => byCommunity[c].length >= 2);
  C1 = communities.find((c) => c !== C0);
  assert.ok(C0 && C1, 'the demo has two communities with households in the first township');
  [X1, X2] = byCommunity[C0];
  Y1 = byCommunity[C1][0];
  await fk.addUser({ key: 'gridA', username: 'grid_a', role: 'community_worker', region: C0, displayName: '网格员甲' });
  await fk.addUser({ key: 'gridA2', username: 'grid_a2', role: 'community_worker', region: C0, displayName: '网格员丙' });
  await fk.addUser({ key: 'gridB', username: 'grid_b', role: 'community_worker', region: C1, displayName: '网格员乙' });
  await fk.addUser({ key: 'officer2', username: 't_officer2', role: 'township_officer', region: fk.townships[1].code, displayName: '另一乡镇干部' });
  await fk.addUser({ key: 'inspector', username: 't_inspector', role: 'inspector', region: '141102', displayName: '督导员' });
});

const put = (client, path, body) => client.request('PUT', path, { body });

const campaign = (over = {}) => ({
  name: '第一轮敲门行动',
  region: fk.townships[0].code,
  starts_on: '2022-03-01',
  ends_on: '2022-03-10',
  other_provinces: true,
  areas_of_concern: [
    { code: '1401', name: '太原市' },
    { code: '140902', name: '忻州市忻府区' },
    { code: '140703', name: '晋中市太谷区' },
  ],
  ...over,
});

let keySeq = 0;
const key = () => `k-${Date.now()}-${++keySeq}`;
const visit = (household, over = {}) => ({ household_id: household.id, outcome: 'reached', idempotency_key: key(), ...over });

async function newCampaign(client, over) {
  return expectJson(await client.post('/api/v1/screening/campaigns', campaign(over)), 201);
}

test('campaigns: create, read, list, patch; each invalid field is a 422 naming it and writes nothing', async () => {
  const officer = await fk.login(fk.users.officer);
  const c = await newCampaign(officer);
  assert.equal(c.name, '第一轮敲门行动');
  assert.equal(c.region, fk.townships[0].code);
  assert.equal(c.starts_on, '2022-03-01');
  assert.equal(c.status, 'active');
  assert.equal(c.other_provinces, true);
  assert.deepEqual(c.areas_of_concern.map((a) => a.code), ['1401', '140902', '140703']);
  assert.deepEqual(expectJson(await officer.get(`/api/v1/screening/campaigns/${c.id}`)), c);

  const before = expectList(await officer.get('/api/v1/screening/campaigns')).total;
  const cases = [
    [{ name: undefined }, 'name'],
    [{ name: 5 }, 'name'],
    [{ region: 'abc' }, 'region'],
    [{ region: fk.townships[1].code }, 'region'], // outside the officer's township
    [{ region: '141102999000' }, 'region'],
    [{ starts_on: '2022-02-30' }, 'starts_on'],
    [{ starts_on: '2022/03/01' }, 'starts_on'],
    [{ ends_on: undefined }, 'ends_on'],
    [{ ends_on: '2022-02-28' }, 'ends_on'],
    [{ other_provinces: 'yes' }, 'other_provinces'],
    [{ areas_of_concern: 'all' }, 'areas_of_concern'],
    [{ areas_of_concern: [{ code: '99', name: 'x' }] }, 'areas_of_concern[0].code'],
    [{ areas_of_concern: [{ code: '1401', name: '太原市' }, { code: '140', name: 'x' }] }, 'areas_of_concern[1].code'],
    [{ areas_of_concern: [{ code: '1411', name: '吕梁市' }] }, 'areas_of_concern[0].code'], // contains the campaign itself
    [{ areas_of_concern: [{ code: '1401', name: '太原市' }, { code: '140105', name: '小店区' }] }, 'areas_of_concern[1].code'],
    [{ areas_of_concern: [{ code: '1401' }] }, 'areas_of_concern[0].name'],
  ];
  for (const [over, field] of cases) {
    const res = await officer.post('/api/v1/screening/campaigns', campaign(over));
    assert.equal(res.status, 422, `${JSON.stringify(over)} → ${res.status} ${res.text}`);
    expectError(res, 422, undefined, field);
  }
  assert.equal(expectList(await officer.get('/api/v1/screening/campaigns')).total, before, 'no partial writes');

  const grid = await fk.login(fk.users.gridA);
  expectError(await grid.post('/api/v1/screening/campaigns', campaign()), 403, 'forbidden');

  const patched = expectJson(await officer.patch(`/api/v1/screening/campaigns/${c.id}`, { name: '第二轮', ends_on: '2022-03-12' }));
  assert.equal(patched.name, '第二轮');
  assert.equal(patched.ends_on, '2022-03-12');
  expectError(await officer.patch(`/api/v1/screening/campaigns/${c.id}`, { ends_on: '2022-02-01' }), 422, 'invalid_field', 'ends_on');
  expectError(await officer.patch(`/api/v1/screening/campaigns/${c.id}`, { region: fk.townships[1].code }), 422, 'invalid_field', 'region');
});

test('jurisdiction: another township\'s officer sees 404 for the campaign; a district campaign is visible to all', async () => {
  const officer = await fk.login(fk.users.officer);
  const admin = await fk.login(fk.users.admin);
  const other = await fk.login(fk.users.officer2);
  const c = await newCampaign(officer);
  for (const path of ['', '/progress', '/pending', '/flags', '/grids', '/visits/export?format=csv'])
    expectError(await other.get(`/api/v1/screening/campaigns/${c.id}${path}`), 404, 'campaign_not_found', 'id');
  expectError(await other.patch(`/api/v1/screening/campaigns/${c.id}`, { name: 'x' }), 404, 'campaign_not_found');
  expectError(await put(other, `/api/v1/screening/campaigns/${c.id}/grids/${fk.users.gridA.id}`, { regions: [X1] }), 404, 'campaign_not_found');
  expectError(await other.post(`/api/v1/screening/campaigns/${c.id}/visits`, visit(households[X1][0])), 404, 'campaign_not_found');
  const list = expectList(await other.get('/api/v1/screening/campaigns?per_page=200'), { perPage: 200 });
  assert.ok(!list.items.some((x) => x.id === c.id));
  expectJson(await admin.get(`/api/v1/screening/campaigns/${c.id}`));

  const district = await newCampaign(admin, { region: '141102', name: '全区敲门行动' });
  const seen = expectList(await other.get('/api/v1/screening/campaigns?per_page=200'), { perPage: 200 });
  assert.ok(seen.items.some((x) => x.id === district.id), 'the district campaign is visible to a township officer');
  expectError(await other.patch(`/api/v1/screening/campaigns/${district.id}`, { name: 'x' }), 403, 'forbidden');
  // The other officer's view of the district campaign is limited to their township.
  const progress = expectJson(await other.get(`/api/v1/screening/campaigns/${district.id}/progress`));
  assert.equal(progress.region, fk.townships[1].code.slice(0, 9));
  assert.equal(progress.rows.length, 1);
});

test('grid assignments: only community workers of the jurisdiction, only compounds/buildings of the campaign, no overlap', async () => {
  const officer = await fk.login(fk.users.officer);
  const c = await newCampaign(officer);
  const base = `/api/v1/screening/campaigns/${c.id}/grids`;
  const g = expectJson(await put(officer, `${base}/${fk.users.gridA.id}`, { regions: [X1] }));
  assert.equal(g.user_id, fk.users.gridA.id);
  assert.deepEqual(g.regions.map((r) => r.code), [X1]);
  assert.equal(g.households, households[X1].length);
  assert.equal(g.regions[0].households, households[X1].length);

  expectError(await put(officer, `${base}/${fk.users.inspector.id}`, { regions: [X2] }), 404, 'user_not_found', 'user_id'); // outside the township
  expectError(await put(officer, `${base}/${fk.users.officer.id}`, { regions: [X2] }), 422, 'invalid_field', 'user_id'); // not a grid worker
  expectError(await put(officer, `${base}/999999`, { regions: [X2] }), 404, 'user_not_found', 'user_id');
  expectError(await put(officer, `${base}/${fk.users.gridA2.id}`, {}), 422, 'missing_field', 'regions');
  expectError(await put(officer, `${base}/${fk.users.gridA2.id}`, { regions: [C0] }), 422, 'invalid_field', 'regions[0]'); // a community
  expectError(await put(officer, `${base}/${fk.users.gridA2.id}`, { regions: [X2, Y1] }), 422, 'invalid_field', 'regions[1]'); // outside the worker's community
  expectError(await put(officer, `${base}/${fk.users.gridA2.id}`, { regions: [X2, X2] }), 422, 'invalid_field', 'regions[1]');
  expectError(await put(officer, `${base}/${fk.users.gridA2.id}`, { regions: ['999999999999999'] }), 422, 'invalid_field', 'regions[0]');
  const taken = expectError(await put(officer, `${base}/${fk.users.gridA2.id}`, { regions: [X2, X1] }), 409, 'region_assigned', 'regions[1]');
  assert.ok(taken);
  const grid = await fk.login(fk.users.gridA);
  expectError(await put(grid, `${base}/${fk.users.gridA.id}`, { regions: [X1, X2] }), 403, 'forbidden');

  expectJson(await put(officer, `${base}/${fk.users.gridA2.id}`, { regions: [X2] }));
  expectJson(await put(officer, `${base}/${fk.users.gridB.id}`, { regions: [Y1] }));
  const list = expectList(await officer.get(base));
  assert.deepEqual(list.items.map((x) => x.user_id), [fk.users.gridA.id, fk.users.gridA2.id, fk.users.gridB.id].sort((a, b) => a - b));
  // A worker of C1 sees only C1's grids.
  const gridB = await fk.login(fk.users.gridB);
  assert.deepEqual(expectList(await gridB.get(base)).items.map((x) => x.user_id), [fk.users.gridB.id]);
  // Replacing with an empty list removes the assignment.
  assert.equal(expectJson(await put(officer, `${base}/${fk.users.gridA2.id}`, { regions: [] })).regions.length, 0);
});

test('workers: the community workers a manager may assign, limited to the campaign scope and the jurisdiction', async () => {
  const officer = await fk.login(fk.users.officer);
  const c = await newCampaign(officer);
  const ids = (list) => list.items.map((w) => w.id);
  const all = expectList(await officer.get(`/api/v1/screening/campaigns/${c.id}/workers?per_page=100`), { perPage: 100 });
  for (const k of ['gridA', 'gridA2', 'gridB']) assert.ok(ids(all).includes(fk.users[k].id), `${k} is listed`);
  for (const k of ['officer', 'inspector']) assert.ok(!ids(all).includes(fk.users[k].id), `${k} is not a grid worker`);
  const a = all.items.find((w) => w.id === fk.users.gridA.id);
  assert.equal(a.username, 'grid_a');
  assert.equal(a.display_name, '网格员甲');
  assert.equal(a.region, C0);
  assert.ok(a.region_name.length > 0);
  // q narrows by username or display name.
  assert.deepEqual(ids(expectList(await officer.get(`/api/v1/screening/campaigns/${c.id}/workers?q=${encodeURIComponent('网格员乙')}`))), [fk.users.gridB.id]);
  // A campaign of one community lists only that community's workers.
  const small = await newCampaign(officer, { region: C1 });
  const inC1 = ids(expectList(await officer.get(`/api/v1/screening/campaigns/${small.id}/workers?per_page=100`), { perPage: 100 }));
  assert.ok(inC1.includes(fk.users.gridB.id));
  assert.ok(!inC1.includes(fk.users.gridA.id));
  // Grid workers themselves may not list them.
  const grid = await fk.login(fk.users.gridA);
  expectError(await grid.get(`/api/v1/screening/campaigns/${c.id}/workers`), 403, 'forbidden');
});

test('visits: a grid worker records only for assigned households; arrivals registered, linked and flagged; retries are idempotent', async () => {
  const officer = await fk.login(fk.users.officer);
  const c = await newCampaign(officer);
  await put(officer, `/api/v1/screening/campaigns/${c.id}/grids/${fk.users.gridA.id}`, { regions: [X1] });
  const grid = await fk.login(fk.users.gridA);
  const url = `/api/v1/screening/campaigns/${c.id}/visits`;
  const [h] = households[X1];
  const outside = households[X2][0];

  expectError(await grid.post(url, visit(outside)), 404, 'household_not_found', 'household_id');
  expectError(await grid.post(url, visit(households[Y1][0])), 404, 'household_not_found', 'household_id');
  expectError(await grid.post(url, visit({ id: 99999999 })), 404, 'household_not_found', 'household_id');
  const gridB = await fk.login(fk.users.gridB);
  expectError(await gridB.post(url, visit(h)), 404, 'household_not_found', 'household_id');
  // An officer may record for any household of the campaign in their jurisdiction.
  expectJson(await officer.post(url, visit(outside, { outcome: 'nobody_home' })), 201);

  // The existing member to link, from the household itself.
  const members = expectJson(await grid.get(`/api/v1/households/${h.id}`)).members;
  const admin = await fk.login(fk.users.admin);
  const existingId = idNumber('141102', '19800101', 901);
  const existing = expectJson(await admin.post('/api/v1/persons', { id_number: existingId, name: '已登记人员', region: Y1 }), 201);
  const newId = freshId(11);
  const body = visit(h, {
    members_present: members.slice(0, 1).map((m) => m.id),
    arrivals: [
      { id_number: newId, name: '新返乡甲', phone: '13800001111', origin_code: '140105', origin_name: '太原市小店区', arrived_on: '2022-03-01' },
      { id_number: existingId, name: '已登记人员', origin_code: '1410', origin_name: '临汾市', arrived_on: '2022-02-27' },
      { id_number: idNumber('110101', '19920202', 12), name: '北京返乡', origin_code: '110105', origin_name: '北京市朝阳区', arrived_on: '2022-03-02' },
    ],
    symptoms: ['cough', 'fever'],
    note: '已告知居家健康监测',
    visited_at: '2022-03-02T07:30:00+08:00',
  });
  const v = expectJson(await grid.post(url, body), 201);
  assert.equal(v.outcome, 'reached');
  assert.equal(v.household_id, h.id);
  assert.equal(v.household_state, 'reached');
  assert.deepEqual(v.symptoms, ['fever', 'cough']);
  assert.equal(v.visited_at, '2022-03-02T07:30:00+08:00');
  assert.equal(v.worker.id, fk.users.gridA.id);
  assert.equal(v.arrivals.length, 3);
  const [a, b, d] = v.arrivals;
  assert.equal(a.registered, true);
  assert.equal(a.concern, true, '太原市 is an area of concern');
  assert.match(a.id_number, /^\d{4}\*+/, 'ID masked');
  assert.equal(b.registered, false);
  assert.equal(b.person_id, existing.id, 'linked to the registered person');
  assert.equal(b.concern, false, '临汾市 is not of concern');
  assert.equal(d.concern, true, 'another province is of concern (other_provinces)');

  const registered = expectJson(await grid.get(`/api/v1/persons/${a.person_id}`));
  assert.equal(registered.name, '新返乡甲');
  assert.equal(registered.household_id, h.id);
  assert.equal(registered.region, X1);
  assert.deepEqual(registered.categories, ['returnee']);
  assert.deepEqual(expectJson(await admin.get(`/api/v1/persons/${existing.id}`)).categories, ['returnee']);

  // Retry with the same key: the first answer, no second record.
  const again = await grid.post(url, body);
  assert.equal(again.status, 200);
  assert.equal(again.json.id, v.id);
  assert.equal(again.json.arrivals.length, 3);
  const csv = await officer.get(`/api/v1/screening/campaigns/${c.id}/visits/export?format=csv`);
  assert.equal(csv.status, 200);
  assert.equal(csv.text.trim().split('\r\n').length, 1 + 2, 'header + two visits');
  const persons = expectJson(await admin.get(`/api/v1/persons?q=${newId}`));
  assert.equal(persons.total, 1, 'the arrival registered once');

  // Flags: for the destination's grid worker, not for another worker.
  const flags = expectList(await grid.get(`/api/v1/screening/campaigns/${c.id}/flags`));
  assert.deepEqual(flags.items.map((f) => f.person_id).sort(), [a.person_id, d.person_id].sort());
  assert.equal(flags.items[0].grid_worker.id, fk.users.gridA.id);
  assert.equal(flags.items[0].household_id, h.id);
  const gridA2 = await fk.login(fk.users.gridA2);
  assert.equal(expectList(await gridA2.get(`/api/v1/screening/campaigns/${c.id}/flags`)).total, 0);
  assert.equal(expectList(await officer.get(`/api/v1/screening/campaigns/${c.id}/flags`)).total, 2);
  // New areas of concern re-flag what was recorded.
  expectJson(await officer.patch(`/api/v1/screening/campaigns/${c.id}`, { areas_of_concern: [{ code: '1410', name: '临汾市' }], other_provinces: false }));
  const reflagged = expectList(await officer.get(`/api/v1/screening/campaigns/${c.id}/flags`));
  assert.deepEqual(reflagged.items.map((f) => f.person_id), [existing.id]);

  // Audit: the registration and the visit.
  const audit = expectJson(await admin.get('/api/v1/audit?action=screening_visit_create'));
  assert.ok(audit.total >= 2);
});

test('visits: invalid input is a 422 naming the field and writes nothing', async () => {
  const officer = await fk.login(fk.users.officer);
  const admin = await fk.login(fk.users.admin);
  const c = await newCampaign(officer);
  const url = `/api/v1/screening/campaigns/${c.id}/visits`;
  const h = households[X2][0];
  const arrival = (over = {}) => ({ id_number: freshId(12), name: '到达者', origin_code: '1401', origin_name: '太原市', arrived_on: '2022-03-01', ...over });
  const cases = [
    [{ idempotency_key: undefined }, 'idempotency_key'],
    [{ idempotency_key: 'has space' }, 'idempotency_key'],
    [{ household_id: 'x' }, 'household_id'],
    [{ outcome: 'maybe' }, 'outcome'],
    [{ outcome: undefined }, 'outcome'],
    [{ visited_at: 'yesterday' }, 'visited_at'],
    [{ visited_at: '2022-02-20T08:00:00+08:00' }, 'visited_at'], // before the campaign
    [{ visited_at: '2022-03-02T09:00:00+08:00' }, 'visited_at'], // in the future
    [{ symptoms: ['sneezing'] }, 'symptoms[0]'],
    [{ outcome: 'nobody_home', symptoms: ['fever'] }, 'symptoms'],
    [{ members_present: [99999999] }, 'members_present[0]'],
    [{ arrivals: [arrival({ id_number: withBadCheck(freshId(13)) })] }, 'arrivals[0].id_number'],
    [{ arrivals: [arrival(), arrival({ origin_code: '1400' })] }, 'arrivals[1].origin_code'],
    [{ arrivals: [arrival({ name: undefined })] }, 'arrivals[0].name'],
    [{ arrivals: [arrival({ phone: '123' })] }, 'arrivals[0].phone'],
    [{ arrivals: [arrival({ arrived_on: '2022-03-05' })] }, 'arrivals[0].arrived_on'],
    [{ arrivals: [arrival({ origin_name: undefined })] }, 'arrivals[0].origin_name'],
    [{ arrivals: [arrival({ id_number: '141102198001010011' }), arrival({ id_number: '141102198001010011' })] }, 'arrivals[0].id_number'],
    [{ outcome: 'refused', arrivals: [arrival()] }, 'arrivals'],
  ];
  const before = expectJson(await admin.get('/api/v1/persons?per_page=1')).total;
  for (const [over, field] of cases) {
    const res = await officer.post(url, visit(h, over));
    assert.equal(res.status, 422, `${JSON.stringify(over)} → ${res.status} ${res.text}`);
    assert.equal(res.json.error.field, field, JSON.stringify(over));
  }
  assert.equal(expectJson(await admin.get('/api/v1/persons?per_page=1')).total, before, 'no person written');
  const progress = expectJson(await officer.get(`/api/v1/screening/campaigns/${c.id}/progress`));
  assert.equal(progress.totals.not_visited, progress.totals.households, 'no visit written');
});

test('progress and pending: exact numbers on a small district; latest visit decides, reached is final', async () => {
  const officer = await fk.login(fk.users.officer);
  const c = await newCampaign(officer, { region: C0 });
  const base = `/api/v1/screening/campaigns/${c.id}`;
  await put(officer, `${base}/grids/${fk.users.gridA.id}`, { regions: [X1] });
  await put(officer, `${base}/grids/${fk.users.gridA2.id}`, { regions: [X2] });
  const grid = await fk.login(fk.users.gridA);
  const hx = households[X1];
  const hy = households[X2];
  const inC0 = Object.entries(households).filter(([k]) => k.startsWith(C0)).reduce((n, [, v]) => n + v.length, 0);
  const at = (t) => `2022-03-02T0${t}:00:00+08:00`;
  // X1: first household nobody_home then reached; a later nobody_home keeps it reached.
  expectJson(await grid.post(`${base}/visits`, visit(hx[0], { outcome: 'nobody_home', visited_at: at(1) })), 201);
  expectJson(await grid.post(`${base}/visits`, visit(hx[0], { outcome: 'reached', visited_at: at(2) })), 201);
  const last = expectJson(await grid.post(`${base}/visits`, visit(hx[0], { outcome: 'nobody_home', visited_at: at(3) })), 201);
  assert.equal(last.household_state, 'reached');
  if (hx.length > 1) {
    // refused, then an older nobody_home uploaded late: the latest (refused) stays.
    expectJson(await grid.post(`${base}/visits`, visit(hx[1], { outcome: 'refused', visited_at: at(4) })), 201);
    expectJson(await grid.post(`${base}/visits`, visit(hx[1], { outcome: 'nobody_home', visited_at: at(1) })), 201);
  }
  // X2 by the officer: one nobody_home.
  expectJson(await officer.post(`${base}/visits`, visit(hy[0], { outcome: 'nobody_home', visited_at: at(5) })), 201);

  const refused = hx.length > 1 ? 1 : 0;
  const expectRow = (row, n, reached, nobody, ref) => {
    assert.equal(row.households, n, `households of ${row.name}`);
    assert.equal(row.reached, reached, `reached of ${row.name}`);
    assert.equal(row.nobody_home, nobody, `nobody_home of ${row.name}`);
    assert.equal(row.refused, ref, `refused of ${row.name}`);
    assert.equal(row.not_visited, n - reached - nobody - ref);
    assert.equal(row.percent, n ? Math.floor((reached * 1000) / n) / 10 : 0);
  };
  const byCompound = expectJson(await officer.get(`${base}/progress?level=compound`));
  const rx = byCompound.rows.find((r) => r.key === X1);
  const ry = byCompound.rows.find((r) => r.key === X2);
  expectRow(rx, hx.length, 1, 0, refused);
  expectRow(ry, hy.length, 0, 1, 0);
  expectRow(byCompound.totals, inC0, 1, 1, refused);
  assert.equal(byCompound.rows.reduce((n, r) => n + r.households, 0), inC0);

  const byGrid = expectJson(await officer.get(`${base}/progress?level=grid`));
  expectRow(byGrid.rows.find((r) => r.user_id === fk.users.gridA.id), hx.length, 1, 0, refused);
  expectRow(byGrid.rows.find((r) => r.user_id === fk.users.gridA2.id), hy.length, 0, 1, 0);
  expectRow(byGrid.totals, inC0, 1, 1, refused);

  const byCommunity = expectJson(await officer.get(`${base}/progress?level=community`));
  assert.equal(byCommunity.rows.length, 1);
  expectRow(byCommunity.rows[0], inC0, 1, 1, refused);
  const byTownship = expectJson(await grid.get(`${base}/progress?level=township`));
  expectRow(byTownship.totals, inC0, 1, 1, refused);
  expectError(await officer.get(`${base}/progress?level=house`), 422, 'invalid_field', 'level');

  // Pending: everything not reached, with address, head and last outcome.
  const pending = expectList(await officer.get(`${base}/pending?per_page=200`), { perPage: 200 });
  assert.equal(pending.total, inC0 - 1);
  assert.ok(!pending.items.some((p) => p.household_id === hx[0].id));
  const y0 = pending.items.find((p) => p.household_id === hy[0].id);
  assert.equal(y0.last_outcome, 'nobody_home');
  assert.equal(y0.address, hy[0].address);
  assert.equal(typeof y0.head_name, 'string');
  const mine = expectList(await grid.get(`${base}/pending?per_page=200`), { perPage: 200 });
  assert.equal(mine.total, hx.length - 1, 'a grid worker\'s pending list is their grid');
  const onlyX2 = expectList(await officer.get(`${base}/pending?region=${X2}&outcome=not_visited`));
  assert.equal(onlyX2.total, hy.length - 1);
  expectError(await officer.get(`${base}/pending?region=${Y1}`), 404, 'region_not_found', 'region');

  // The same list as a ledger (未入户台账): every pending household once, with its last outcome.
  const ledger = await officer.get(`${base}/pending/export?format=csv`);
  assert.equal(ledger.status, 200, ledger.text.slice(0, 200));
  const rows = ledger.text.replace(/^\uFEFF/, '').trim().split('\r\n').map((l) => l.split(',').map((c) => c.replace(/^"|"$/g, '')));
  assert.equal(rows[0].join(',').replaceAll('"', ''), '序号,户编号,区划代码,所属区划,地址,户主,人数,最近走访结果,走访次数,最近走访时间');
  assert.equal(rows.length - 1, pending.total);
  const ids = rows.slice(1).map((r) => Number(r[1]));
  assert.equal(new Set(ids).size, ids.length, 'no household twice');
  assert.ok(!ids.includes(hx[0].id), 'a reached household is not pending');
  const yRow = rows.slice(1).find((r) => Number(r[1]) === hy[0].id);
  assert.equal(yRow[7], '无人在家');
  const mineLedger = await grid.get(`${base}/pending/export?format=csv`);
  assert.equal(mineLedger.text.trim().split('\r\n').length - 1, mine.total, 'the worker\'s ledger is their grid');
  const x2Ledger = await officer.get(`${base}/pending/export?format=xlsx&region=${X2}&outcome=not_visited`);
  assert.equal(x2Ledger.status, 200);
  assert.equal(x2Ledger.buffer.subarray(0, 2).toString(), 'PK');
  expectError(await officer.get(`${base}/pending/export?region=${Y1}`), 404, 'region_not_found', 'region');
  expectError(await officer.get(`${base}/pending/export?outcome=gone`), 422, 'invalid_field', 'outcome');
});

test('ledger: visits export to csv and xlsx with Chinese headers, limited to the grid for a worker', async () => {
  const officer = await fk.login(fk.users.officer);
  const c = await newCampaign(officer);
  const base = `/api/v1/screening/campaigns/${c.id}`;
  await put(officer, `${base}/grids/${fk.users.gridA.id}`, { regions: [X1] });
  const grid = await fk.login(fk.users.gridA);
  expectJson(await grid.post(`${base}/visits`, visit(households[X1][0], {
    arrivals: [{ id_number: freshId(14), name: '台账到达者', origin_code: '1401', origin_name: '太原市', arrived_on: '2022-03-01' }],
    symptoms: ['fever'],
  })), 201);
  expectJson(await officer.post(`${base}/visits`, visit(households[Y1][0], { outcome: 'refused', note: '=cmd' })), 201);
  const csv = await officer.get(`${base}/visits/export?format=csv`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers['content-type'], /text\/csv/);
  const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
  assert.equal(lines[0].replaceAll('"', ''), '序号,走访时间,户编号,区划代码,所属区划,地址,户主,走访结果,在家人数,新到人员,关注地区人员,症状,备注,网格员');
  assert.equal(lines.length, 3);
  assert.ok(csv.text.includes('台账到达者（太原市 2022-03-01）★'));
  assert.ok(csv.text.includes('发热'));
  assert.ok(csv.text.includes("'=cmd"), 'formula guarded');
  const mine = await grid.get(`${base}/visits/export?format=csv`);
  assert.equal(mine.text.trim().split('\r\n').length, 2, 'the worker\'s ledger holds their grid only');
  const xlsx = await officer.get(`${base}/visits/export?format=xlsx`);
  assert.equal(xlsx.status, 200);
  assert.equal(xlsx.buffer.subarray(0, 2).toString(), 'PK');
  expectError(await officer.get(`${base}/visits/export?format=pdf`), 422, 'invalid_field', 'format');
});

test('grid assignments at once: a compound for one worker and one of its buildings for another — never both', async () => {
  const officer = await fk.login(fk.users.officer);
  const admin = await fk.login(fk.users.admin);
  let compound, building;
  for (const code of [X1, X2]) {
    const kids = expectJson(await admin.get(`/api/v1/regions/${code}`)).children || [];
    if (kids.length) {
      compound = code;
      building = kids[0].code;
      break;
    }
  }
  assert.ok(building, 'a compound of C0 with buildings');
  // Five campaigns, 20 requests each.
  for (let round = 0; round < 5; round++) {
    const c = await newCampaign(officer);
    const base = `/api/v1/screening/campaigns/${c.id}/grids`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 ? put(officer, `${base}/${fk.users.gridA.id}`, { regions: [compound] }) : put(officer, `${base}/${fk.users.gridA2.id}`, { regions: [building] }),
      ),
    );
    const byWorker = [0, 1].map((odd) => answers.filter((_, i) => i % 2 === odd).map((r) => r.status));
    const ok = byWorker.filter((s) => s.every((x) => x === 200));
    const refused = byWorker.filter((s) => s.every((x) => x === 409));
    assert.ok(ok.length === 1 && refused.length === 1, `gridA2 ${byWorker[0]} / gridA ${byWorker[1]}`);
    for (const r of answers) if (r.status === 409) expectError(r, 409, 'region_assigned', 'regions[0]');
    const grids = expectJson(await officer.get(base)).items.filter((g) => g.regions.length);
    assert.equal(grids.length, 1, JSON.stringify(grids.map((g) => [g.user_id, g.regions.map((r) => r.code)])));
  }
});

// Returnee registration (外省返乡登记报备): staff registration, list, detail,
// status updates, the ledger, jurisdiction, concern flags with the grid worker
// of the destination, and the public self-registration page with its 48-hour
// window and rate limits (per client address and per ID number).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, expectList } from './lib/server.js';
import { idNumber, withBadCheck } from './lib/ids.js';

let C0, C1; // two communities of the first township
let X1, X2, Y1; // compounds: X1, X2 in C0, Y1 in C1
const households = {};
let campaignId;
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
  assert.ok(C0 && C1, 'two communities with households');
  [X1, X2] = byCommunity[C0];
  Y1 = byCommunity[C1][0];
  await fk.addUser({ key: 'gridA', username: 'r_grid_a', role: 'community_worker', region: C0, displayName: '网格员甲' });
  await fk.addUser({ key: 'gridB', username: 'r_grid_b', role: 'community_worker', region: C1, displayName: '网格员乙' });
  await fk.addUser({ key: 'inspector', username: 'r_inspector', role: 'inspector', region: '141102', displayName: '督导员' });
  // A campaign of the first township: other provinces and 太原市 are of concern;
  // grid worker A covers compound X1.
  const officer = await fk.login(fk.users.officer);
  const c = expectJson(
    await officer.post('/api/v1/screening/campaigns', {
      name: '返乡排查',
      region: t0,
      starts_on: '2022-02-15',
      ends_on: '2022-03-10',
      other_provinces: true,
      areas_of_concern: [{ code: '1401', name: '太原市' }],
    }),
    201,
  );
  campaignId = c.id;
  expectJson(await officer.request('PUT', `/api/v1/screening/campaigns/${c.id}/grids/${fk.users.gridA.id}`, { body: { regions: [X1] } }));
});

let seq = 100;
const wuhanId = () => idNumber('420102', '19900101', ++seq);

const arrival = (over = {}) => ({
  id_number: wuhanId(),
  name: '返乡甲',
  phone: '13912345678',
  origin: { code: '4201', name: '湖北省武汉市' },
  arrival_date: '2022-03-01',
  transport: 'car',
  plate: '鄂A12345',
  destination_region: X1,
  address: '阳光小区3号楼2单元501',
  three_code: 'green',
  landing_test: 'sampled',
  disposition: 'home_monitoring',
  note: '自驾返乡',
  ...over,
});

test('staff registration: create, duplicate, read, patch; the person is registered as a returnee', async () => {
  const grid = await fk.login(fk.users.gridA);
  const body = arrival({ household_id: households[X1][0].id });
  const r = expectJson(await grid.post('/api/v1/returnees', body), 201);
  assert.match(r.reference, /^R[2-9A-HJ-NP-Z]{8}$/);
  assert.equal(r.name, '返乡甲');
  assert.equal(r.id_number, `${body.id_number.slice(0, 4)}**********${body.id_number.slice(14)}`, 'ID masked');
  assert.equal(r.phone, '13912345678', 'a grid worker sees the phone');
  assert.deepEqual(r.origin, { code: '4201', name: '湖北省武汉市' });
  assert.equal(r.outside_province, true);
  assert.equal(r.concern, true, 'other province is of concern in the campaign');
  assert.equal(r.concern_campaign.id, campaignId);
  assert.equal(r.grid_worker.id, fk.users.gridA.id, 'flagged for the grid worker of X1');
  assert.equal(r.destination_region, X1);
  assert.equal(r.household_id, households[X1][0].id);
  assert.equal(r.transport, 'car');
  assert.equal(r.plate, '鄂A12345');
  assert.equal(r.three_code, 'green');
  assert.equal(r.landing_test, 'sampled');
  assert.equal(r.disposition, 'home_monitoring');
  assert.equal(r.source, 'staff');
  assert.equal(r.in_registry, true);
  assert.equal(r.handled, false);

  // The registry has the person, category returnee.
  const admin = await fk.login(fk.users.admin);
  const person = expectJson(await admin.get(`/api/v1/persons/${r.person_id}`));
  assert.ok((person.person ?? person).categories.includes('returnee'), JSON.stringify(person).slice(0, 300));

  // The same person arriving the same day again: 409 with the existing id.
  const dup = expectError(await grid.post('/api/v1/returnees', { ...body, note: '再次' }), 409, 'duplicate', 'arrival_date');
  assert.equal(dup.existing_id, r.id);
  // Another date is another arrival, linked to the same person.
  const again = expectJson(await grid.post('/api/v1/returnees', { ...body, arrival_date: '2022-02-25' }), 201);
  assert.equal(again.person_id, r.person_id);

  assert.deepEqual(expectJson(await grid.get(`/api/v1/returnees/${r.id}`)), r);

  const patched = expectJson(
    await grid.patch(`/api/v1/returnees/${r.id}`, { three_code: 'yellow', landing_test: 'negative', disposition: 'yellow_code_hotel', handled: true, note: null }),
  );
  assert.equal(patched.three_code, 'yellow');
  assert.equal(patched.landing_test, 'negative');
  assert.equal(patched.disposition, 'yellow_code_hotel');
  assert.equal(patched.handled, true);
  assert.ok(patched.handled_at);
  assert.equal(patched.note, null);
  expectError(await grid.patch(`/api/v1/returnees/${r.id}`, { three_code: 'blue' }), 422, 'invalid_field', 'three_code');
  expectError(await grid.patch(`/api/v1/returnees/${r.id}`, { disposition: 'jail' }), 422, 'invalid_field', 'disposition');
  expectError(await grid.patch(`/api/v1/returnees/${r.id}`, { handled: 'yes' }), 422, 'invalid_field', 'handled');
  expectError(await grid.patch(`/api/v1/returnees/${r.id}`, { name: '改名' }), 422, 'invalid_field', 'name');
  expectError(await grid.patch(`/api/v1/returnees/${r.id}`, { household_id: households[Y1][0].id }), 422, 'invalid_field', 'household_id');
  expectError(await grid.patch(`/api/v1/returnees/${r.id}`, {}), 422, 'invalid_field', 'body');
  const unhandled = expectJson(await grid.patch(`/api/v1/returnees/${r.id}`, { handled: false }));
  assert.equal(unhandled.handled, false);
  assert.equal(unhandled.handled_at, null);
  assert.equal(unhandled.three_code, 'yellow', 'untouched fields stay');

  // Every read and change is audited.
  const audit = expectJson(await admin.get('/api/v1/audit?actor=r_grid_a&per_page=100'));
  const actions = audit.items.map((e) => e.action);
  for (const a of ['returnee_create', 'person_create', 'person_link', 'returnee_read', 'returnee_update'])
    assert.ok(actions.includes(a), `audit has ${a}: ${actions.join(',')}`);

  // Roles outside the module are refused.
  const inspector = await fk.login(fk.users.inspector);
  expectError(await inspector.get('/api/v1/returnees'), 403, 'forbidden');
  expectError(await inspector.post('/api/v1/returnees', arrival()), 403, 'forbidden');
});

test('staff registration: each invalid field is a 422 naming it, and nothing is written', async () => {
  const officer = await fk.login(fk.users.officer);
  const before = expectList(await officer.get('/api/v1/returnees')).total;
  const cases = [
    [{ id_number: undefined }, 'id_number'],
    [{ id_number: withBadCheck(wuhanId()) }, 'id_number'],
    [{ id_number: 42 }, 'id_number'],
    [{ name: undefined }, 'name'],
    [{ name: 'x'.repeat(65) }, 'name'],
    [{ phone: '1234' }, 'phone'],
    [{ origin: undefined }, 'origin'],
    [{ origin: '湖北' }, 'origin'],
    [{ origin: { code: '99', name: 'x' } }, 'origin.code'],
    [{ origin: { code: '4200', name: 'x' } }, 'origin.code'],
    [{ origin: { code: '4201' } }, 'origin.name'],
    [{ arrival_date: undefined }, 'arrival_date'],
    [{ arrival_date: '2022-02-30' }, 'arrival_date'],
    [{ arrival_date: '2022/03/01' }, 'arrival_date'],
    [{ arrival_date: '2022-05-01' }, 'arrival_date'], // more than 30 days ahead
    [{ arrival_date: '2020-01-01' }, 'arrival_date'], // more than a year back
    [{ transport: 'horse' }, 'transport'],
    [{ transport: undefined }, 'transport'],
    [{ plate: undefined }, 'plate'], // car without plate
    [{ plate: '鄂A1234' }, 'plate'],
    [{ plate: '鄂a12345' }, 'plate'],
    [{ transport: 'train', plate: '鄂A12345' }, 'plate'],
    [{ transport: 'train', plate: undefined, trip_no: 'g 12' }, 'trip_no'],
    [{ trip_no: 'G1234' }, 'trip_no'], // car with a train number
    [{ destination_region: undefined }, 'destination_region'],
    [{ destination_region: 'abc' }, 'destination_region'],
    [{ destination_region: '141102999999999' }, 'destination_region'],
    [{ destination_region: fk.townships[1].code }, 'destination_region'], // outside the officer's township
    [{ destination_region: fk.townships[0].code }, 'destination_region'], // a township is not a destination
    [{ household_id: 'x' }, 'household_id'],
    [{ household_id: households[Y1][0].id }, 'household_id'], // not in X1
    [{ address: 'a\u0001b' }, 'address'],
    [{ three_code: 'blue' }, 'three_code'],
    [{ landing_test: 'maybe' }, 'landing_test'],
    [{ disposition: 'hotel' }, 'disposition'],
    [{ note: 'x'.repeat(501) }, 'note'],
  ];
  for (const [over, field] of cases) {
    const res = await officer.post('/api/v1/returnees', arrival(over));
    assert.equal(res.status, 422, `${JSON.stringify(over)} → ${res.status} ${res.text}`);
    const e = expectError(res, 422, undefined, field);
    assert.match(e.message, /[\u4e00-\u9fff]/, 'Chinese message');
  }
  expectError(await officer.post('/api/v1/returnees', 'nope', { headers: { 'Content-Type': 'application/json' } }), 400, 'malformed_json');
  assert.equal(expectList(await officer.get('/api/v1/returnees')).total, before, 'no partial writes');
});

test('jurisdiction: a worker of another community never sees the arrival (list, id, export, flags)', async () => {
  const gridA = await fk.login(fk.users.gridA);
  const gridB = await fk.login(fk.users.gridB);
  const r = expectJson(await gridA.post('/api/v1/returnees', arrival({ name: '甲社区人', arrival_date: '2022-02-27' })), 201);
  expectError(await gridB.get(`/api/v1/returnees/${r.id}`), 404, 'returnee_not_found', 'id');
  expectError(await gridB.patch(`/api/v1/returnees/${r.id}`, { handled: true }), 404, 'returnee_not_found', 'id');
  expectError(await gridB.get('/api/v1/returnees/abc'), 404, 'returnee_not_found', 'id');
  const listB = expectList(await gridB.get('/api/v1/returnees?per_page=200'), { perPage: 200 });
  assert.ok(!listB.items.some((x) => x.id === r.id));
  assert.ok(listB.items.every((x) => x.destination_region.startsWith(C1)));
  expectError(await gridB.get(`/api/v1/returnees?region=${C0}`), 404, 'region_not_found', 'region');
  expectError(await gridB.get(`/api/v1/returnees/export?format=csv&region=${C0}`), 404, 'region_not_found', 'region');
  const csvB = await gridB.get('/api/v1/returnees/export?format=csv');
  assert.equal(csvB.status, 200);
  assert.ok(!csvB.text.includes('甲社区人'), 'not in the other community\'s ledger');
  const flagsB = expectList(await gridB.get('/api/v1/returnees/flags'));
  assert.ok(!flagsB.items.some((x) => x.id === r.id));
  // B may not register into A's community either.
  expectError(await gridB.post('/api/v1/returnees', arrival({ destination_region: X1 })), 422, 'invalid_field', 'destination_region');
  // B registers in its own community: A does not see it.
  const rb = expectJson(await gridB.post('/api/v1/returnees', arrival({ destination_region: Y1, name: '乙社区人' })), 201);
  expectError(await gridA.get(`/api/v1/returnees/${rb.id}`), 404, 'returnee_not_found');
  assert.equal(rb.grid_worker, null, 'no grid covers Y1');
  assert.equal(rb.concern, true);
  // The district admin sees both.
  const admin = await fk.login(fk.users.admin);
  const all = expectList(await admin.get('/api/v1/returnees?per_page=200'), { perPage: 200 });
  assert.ok(all.items.some((x) => x.id === r.id) && all.items.some((x) => x.id === rb.id));
});

test('list filters, concern rule and flags with ?mine=1', async () => {
  const officer = await fk.login(fk.users.officer);
  const id = wuhanId();
  const taiyuan = expectJson(
    await officer.post('/api/v1/returnees', arrival({ id_number: id, name: '太原来人', origin: { code: '140105', name: '太原市小店区' }, transport: 'train', plate: undefined, trip_no: 'G1234', disposition: 'home_quarantine', arrival_date: '2022-03-02' })),
    201,
  );
  assert.equal(taiyuan.outside_province, false);
  assert.equal(taiyuan.concern, true, '太原市 is an area of concern');
  assert.equal(taiyuan.trip_no, 'G1234');
  const jincheng = expectJson(
    await officer.post('/api/v1/returnees', arrival({ name: '晋城来人', origin: { code: '1405', name: '晋城市' }, transport: 'bus', plate: undefined, destination_region: X2, arrival_date: '2022-03-02' })),
    201,
  );
  assert.equal(jincheng.outside_province, false);
  assert.equal(jincheng.concern, false);
  assert.equal(jincheng.grid_worker, null);
  // Outside the campaign's dates nothing is of concern, but 外省 is still recorded.
  const early = expectJson(await officer.post('/api/v1/returnees', arrival({ name: '早到', arrival_date: '2022-02-10' })), 201);
  assert.equal(early.outside_province, true);
  assert.equal(early.concern, false);

  const byId = expectList(await officer.get(`/api/v1/returnees?q=${id}`));
  assert.deepEqual(byId.items.map((x) => x.id), [taiyuan.id]);
  const byRef = expectList(await officer.get(`/api/v1/returnees?q=${jincheng.reference}`));
  assert.deepEqual(byRef.items.map((x) => x.id), [jincheng.id]);
  const byName = expectList(await officer.get(`/api/v1/returnees?q=${encodeURIComponent('晋城')}`));
  assert.deepEqual(byName.items.map((x) => x.id), [jincheng.id]);
  const quarantine = expectList(await officer.get('/api/v1/returnees?disposition=home_quarantine'));
  assert.ok(quarantine.items.length >= 1 && quarantine.items.every((x) => x.disposition === 'home_quarantine'));
  const day = expectList(await officer.get('/api/v1/returnees?from=2022-03-02&until=2022-03-02&per_page=200'), { perPage: 200 });
  assert.ok(day.items.every((x) => x.arrival_date === '2022-03-02'));
  assert.ok(day.items.some((x) => x.id === jincheng.id));
  const unflagged = expectList(await officer.get('/api/v1/returnees?flagged=0&per_page=200'), { perPage: 200 });
  assert.ok(unflagged.items.every((x) => !x.concern) && unflagged.items.some((x) => x.id === early.id));
  const inX2 = expectList(await officer.get(`/api/v1/returnees?region=${X2}`));
  assert.ok(inX2.items.every((x) => x.destination_region.startsWith(X2)));
  for (const [q, field] of [['from=2022-13-01', 'from'], ['flagged=maybe', 'flagged'], ['disposition=x', 'disposition'], ['landing_test=x', 'landing_test'], ['from=2022-03-05&until=2022-03-01', 'until'], ['per_page=500', 'per_page'], ['region=abc', 'region']])
    expectError(await officer.get(`/api/v1/returnees?${q}`), 422, undefined, field);

  const flags = expectList(await officer.get('/api/v1/returnees/flags?per_page=200'), { perPage: 200 });
  assert.ok(flags.items.every((x) => x.concern));
  assert.ok(flags.items.some((x) => x.id === taiyuan.id) && !flags.items.some((x) => x.id === jincheng.id));
  const gridA = await fk.login(fk.users.gridA);
  const mine = expectList(await gridA.get('/api/v1/returnees/flags?mine=1&per_page=200'), { perPage: 200 });
  assert.ok(mine.items.length >= 1);
  assert.ok(mine.items.every((x) => x.grid_worker?.id === fk.users.gridA.id && x.destination_region.startsWith(X1)));
  assert.ok(mine.items.some((x) => x.id === taiyuan.id));
  const gridB = await fk.login(fk.users.gridB);
  assert.equal(expectList(await gridB.get('/api/v1/returnees/flags?mine=1')).total, 0);
  const open = expectList(await gridA.get('/api/v1/returnees/flags?mine=1&handled=0&per_page=200'), { perPage: 200 });
  assert.ok(open.items.every((x) => !x.handled));
});

test('ledger: .xlsx and .csv with Chinese headers, filtered, audited', async () => {
  const officer = await fk.login(fk.users.officer);
  expectJson(await officer.post('/api/v1/returnees', arrival({ name: '台账人', arrival_date: '2022-02-28' })), 201);
  const xlsx = await officer.get('/api/v1/returnees/export?format=xlsx');
  assert.equal(xlsx.status, 200);
  assert.match(xlsx.headers['content-type'], /spreadsheetml/);
  assert.equal(xlsx.buffer.subarray(0, 2).toString(), 'PK');
  assert.match(xlsx.headers['content-disposition'] || '', /returnees-\d{4}-\d{2}-\d{2}\.xlsx/);
  const csv = await officer.get('/api/v1/returnees/export?format=csv&from=2022-02-28&until=2022-02-28');
  assert.equal(csv.status, 200);
  const lines = csv.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  assert.match(lines[0].replaceAll('"', ''), /^序号,登记编号,姓名,身份证号,手机号,来源地代码,来源地,是否外省,关注地区,到达日期,交通方式/);
  assert.ok(lines.slice(1).every((l) => l.includes('2022-02-28')), csv.text);
  assert.ok(csv.text.includes('台账人') && csv.text.includes('自驾') && csv.text.includes('居家健康监测'));
  assert.ok(!/\d{18}|\d{17}X/.test(csv.text), 'ID numbers masked for an officer');
  expectError(await officer.get('/api/v1/returnees/export?format=pdf'), 422, undefined, 'format');
  const admin = await fk.login(fk.users.admin);
  const audit = expectJson(await admin.get('/api/v1/audit?action=returnee_export'));
  assert.ok(audit.items.length >= 2);
});

// ---- the public page ----
// Rate limits: 10 attempts per client address per hour, 3 per ID number per
// day. Every public POST of this file comes from 127.0.0.1, so these tests
// count them: 6 + 4 attempts, then the 11th is refused.

const selfReg = (over = {}) => {
  const body = arrival(over);
  delete body.three_code;
  delete body.landing_test;
  delete body.disposition;
  return body;
};

test('public regions: names and codes only, no login', async () => {
  const anon = fk.anonymous();
  const root = expectJson(await anon.get('/api/v1/public/regions'));
  assert.ok(root.children.some((c) => c.code === '141102000000'));
  const t0 = expectJson(await anon.get(`/api/v1/public/regions/${fk.townships[0].code}`));
  assert.ok(t0.children.some((c) => c.code === C0));
  for (const c of t0.children) assert.deepEqual(Object.keys(c).sort(), ['code', 'level', 'name']);
  assert.ok(!('persons' in t0) && !('households' in t0));
  expectError(await anon.get('/api/v1/public/regions/999999'), 404, 'region_not_found');
  expectError(await anon.get('/api/v1/public/regions/abc'), 404, 'region_not_found');
});

test('public self-registration: success, the window, staff-only fields, bad input (6 attempts)', async () => {
  const anon = fk.anonymous();
  const body = selfReg({ name: '自助甲', arrival_date: '2022-03-04' }); // within 48 h of 03-02 08:00
  const res = await anon.post('/api/v1/public/returnees', body);
  const ok = expectJson(res, 201);
  assert.match(ok.reference, /^R[2-9A-HJ-NP-Z]{8}$/);
  assert.match(ok.message, /报备成功/);
  assert.deepEqual(Object.keys(ok).sort(), ['arrival_date', 'id', 'message', 'reference']);
  const admin = await fk.login(fk.users.admin);
  const stored = expectJson(await admin.get(`/api/v1/returnees/${ok.id}`));
  assert.equal(stored.source, 'public');
  assert.equal(stored.three_code, 'unchecked');
  assert.equal(stored.landing_test, 'pending');
  assert.equal(stored.disposition, 'none');
  assert.equal(stored.in_registry, false, 'an unknown person is not put in the registry by an anonymous form');
  assert.equal(stored.grid_worker.id, fk.users.gridA.id);
  // Staff confirm: the person enters the registry.
  const gridA = await fk.login(fk.users.gridA);
  const registered = expectJson(await gridA.patch(`/api/v1/returnees/${ok.id}`, { register: true }));
  assert.equal(registered.in_registry, true);
  assert.ok(registered.person_id > 0);

  const cases = [
    [{ arrival_date: '2022-03-05' }, 'arrival_date', /48 小时/],
    [{ arrival_date: '2022-02-15' }, 'arrival_date', /14 天/],
    [{ household_id: households[X1][0].id }, 'household_id', /工作人员/],
    [{ plate: '鄂A1234' }, 'plate', /车牌/],
    [{ id_number: withBadCheck(wuhanId()) }, 'id_number', /校验位/],
  ];
  for (const [over, field, message] of cases) {
    const e = expectError(await anon.post('/api/v1/public/returnees', selfReg(over)), 422, undefined, field);
    assert.match(e.message, message);
  }
  const audit = expectJson(await admin.get('/api/v1/audit?action=returnee_self_register'));
  assert.equal(audit.items.length, 1);
  assert.equal(audit.items[0].actor, 'public');
});

test('public self-registration: rate limits per ID number and per client address (then 429)', async () => {
  const anon = fk.anonymous();
  const id = wuhanId();
  expectJson(await anon.post('/api/v1/public/returnees', selfReg({ id_number: id, arrival_date: '2022-03-01' })), 201);
  expectJson(await anon.post('/api/v1/public/returnees', selfReg({ id_number: id, arrival_date: '2022-03-02' })), 201);
  const dup = expectError(await anon.post('/api/v1/public/returnees', selfReg({ id_number: id, arrival_date: '2022-03-01' })), 409, 'duplicate', 'arrival_date');
  assert.ok(!('existing_id' in dup), 'the public page does not reveal record ids');
  const perId = await anon.post('/api/v1/public/returnees', selfReg({ id_number: id, arrival_date: '2022-02-28' }));
  expectError(perId, 429, 'too_many_requests', 'id_number');
  const retry = Number(perId.headers['retry-after']);
  assert.ok(retry > 0 && retry <= 86400, `Retry-After ${perId.headers['retry-after']}`);
  assert.match(perId.json.error.message, /[\u4e00-\u9fff]/);
  // The 11th attempt from this address within the hour.
  const perIp = await anon.post('/api/v1/public/returnees', selfReg());
  expectError(perIp, 429, 'too_many_requests', null);
  const retryIp = Number(perIp.headers['retry-after']);
  assert.ok(retryIp > 0 && retryIp <= 3600, `Retry-After ${perIp.headers['retry-after']}`);
  // Staff registration is not limited.
  const officer = await fk.login(fk.users.officer);
  expectJson(await officer.post('/api/v1/returnees', arrival()), 201);
});

test('public self-registration under 20 parallel requests: 10 an hour per address and 3 a day per ID number admit no more', async () => {
  let anon;
  const statuses = (list) => list.map((r) => `${r.status}:${r.json?.error?.field ?? ''}`).sort();
  // A fresh hour: 20 bodies at once, each with a wrong check digit (a 422
  // after the address is counted) — 10 answered, 10 refused.
  await fk.stopServer();
  fk.options.now = '2022-03-02T10:30:00+08:00';
  await fk.serve();
  anon = fk.anonymous();
  const bad = await Promise.all(Array.from({ length: 20 }, () => anon.post('/api/v1/public/returnees', selfReg({ id_number: withBadCheck(wuhanId()) }))));
  assert.equal(bad.filter((r) => r.status === 422).length, 10, statuses(bad).join(' '));
  assert.equal(bad.filter((r) => r.status === 429).length, 10);
  // The next hour: one ID number 20 times at once, with an arrival date out
  // of the window (a 422 after the ID number is counted): 10 pass the address
  // limit, 3 of them the ID number's.
  await fk.stopServer();
  fk.options.now = '2022-03-02T11:30:00+08:00';
  await fk.serve();
  anon = fk.anonymous();
  const id = wuhanId();
  const same = await Promise.all(Array.from({ length: 20 }, () => anon.post('/api/v1/public/returnees', selfReg({ id_number: id, arrival_date: '2022-02-01' }))));
  const got = statuses(same);
  assert.equal(same.filter((r) => r.status === 422).length, 3, got.join(' '));
  assert.equal(same.filter((r) => r.status === 429 && r.json.error.field === 'id_number').length, 7, got.join(' '));
  assert.equal(same.filter((r) => r.status === 429 && r.json.error.field == null).length, 10, got.join(' '));
});

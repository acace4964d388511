// Residents registry: persons and households, jurisdiction, masking, search,
// duplicates and merge, ledgers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, expectList } from './lib/server.js';
import { idNumber, withBadCheck, freshId } from './lib/ids.js';

let communities = [];
let compoundA, compoundB;
const fk = useServer({}, async (fk) => {
  const admin = await fk.login(fk.users.admin);
  const township = expectJson(await admin.get(`/api/v1/regions/${fk.townships[0].code}`));
  communities = township.children;
  const a = expectJson(await admin.get(`/api/v1/regions/${communities[0].code}`));
  const b = expectJson(await admin.get(`/api/v1/regions/${communities[1].code}`));
  compoundA = a.children[0].code;
  compoundB = b.children[0].code;
  await fk.addUser({ key: 'gridA', username: 'grid_a', role: 'community_worker', region: communities[0].code, displayName: '网格员甲' });
  await fk.addUser({ key: 'gridB', username: 'grid_b', role: 'community_worker', region: communities[1].code, displayName: '网格员乙' });
  await fk.addUser({ key: 'tracer', username: 't_tracer', role: 'tracer', region: '141102', displayName: '流调员' });
  await fk.addUser({ key: 'inspector', username: 't_inspector', role: 'inspector', region: '141102', displayName: '督导员' });
});

const person = (over = {}) => ({
  id_number: freshId(3), name: '测试人员', phone: '13912345678', region: compoundA, address: '测试小区1号楼101', ...over,
});

test('create: 201 with derived sex, birth date and masked numbers; 409 with existing_id on a second registration', async () => {
  const admin = await fk.login(fk.users.admin);
  const id = idNumber('141102', '19900307', 124);
  const res = await admin.post('/api/v1/persons', person({ id_number: id, categories: ['returnee'] }));
  const p = expectJson(res, 201);
  assert.equal(p.name, '测试人员');
  assert.equal(p.birth_date, '1990-03-07');
  assert.equal(p.sex, 'female'); // 17th digit 4 is even
  assert.equal(p.id_number, `${id.slice(0, 4)}**********${id.slice(14)}`);
  assert.equal(p.phone, '139****5678');
  assert.deepEqual(p.categories, ['returnee']);
  const again = await admin.post('/api/v1/persons', person({ id_number: id.toLowerCase(), name: '另一人' }));
  const body = expectError(again, 409, 'already_registered', 'id_number');
  assert.equal(again.json.existing_id, p.id);
});

test('create: each invalid field is a 422 naming it, and nothing is written', async () => {
  const admin = await fk.login(fk.users.admin);
  const before = expectJson(await admin.get('/api/v1/persons?per_page=1')).total;
  const cases = [
    [{ id_number: withBadCheck(freshId(4)) }, 'id_number'],
    [{ id_number: idNumber('141102', '19900230', 1) }, 'id_number'], // 30 February
    [{ id_number: idNumber('141102', '20991231', 1) }, 'id_number'], // future
    [{ id_number: '12345' }, 'id_number'],
    [{ id_number: undefined }, 'id_number'],
    [{ name: undefined }, 'name'],
    [{ name: 7 }, 'name'],
    [{ phone: '12345678901' }, 'phone'],
    [{ region: '999999999999999' }, 'region'],
    [{ region: 'abc' }, 'region'],
    [{ categories: ['vip'] }, 'categories'],
    [{ household_id: 99999999 }, 'household_id'],
  ];
  for (const [over, field] of cases) {
    const res = await admin.post('/api/v1/persons', person(over));
    assert.ok(res.status === 422, `${JSON.stringify(over)} → ${res.status}`);
    assert.equal(res.json.error.field, field, JSON.stringify(over));
  }
  const after = expectJson(await admin.get('/api/v1/persons?per_page=1')).total;
  assert.equal(after, before, 'no partial writes');
});

test('jurisdiction: a grid worker never sees another community\'s people — list, search, id, export', async () => {
  const admin = await fk.login(fk.users.admin);
  const idB = freshId(5);
  const inB = expectJson(await admin.post('/api/v1/persons', person({ id_number: idB, region: compoundB, name: '乙社区居民', phone: '13700001111' })), 201);
  const gridA = await fk.login(fk.users.gridA);
  const gridB = await fk.login(fk.users.gridB);

  const list = expectList(await gridA.get('/api/v1/persons?per_page=200'), { perPage: 200 });
  assert.ok(list.total > 0);
  for (const p of list.items) assert.ok(p.region.startsWith(communities[0].code), `${p.region} in A`);
  assert.equal(expectJson(await gridA.get(`/api/v1/persons?q=${idB}`)).total, 0, 'search by ID');
  assert.equal(expectJson(await gridA.get('/api/v1/persons?q=13700001111')).total, 0, 'search by phone');
  assert.equal(expectJson(await gridA.get(`/api/v1/persons?q=${encodeURIComponent('乙社区')}`)).total, 0, 'search by name');
  expectError(await gridA.get(`/api/v1/persons/${inB.id}`), 404, 'person_not_found');
  expectError(await gridA.patch(`/api/v1/persons/${inB.id}`, { name: '改名' }), 404, 'person_not_found');
  expectError(await gridA.get(`/api/v1/persons?region=${communities[1].code}`), 404, 'region_not_found');
  const csv = await gridA.get('/api/v1/persons/export?format=csv');
  assert.equal(csv.status, 200);
  assert.ok(!csv.text.includes('乙社区居民'), 'not in the export');
  expectError(await gridA.get(`/api/v1/persons/export?format=csv&region=${communities[1].code}`), 404, 'region_not_found');
  // Registering into another community is refused as an unknown region.
  expectError(await gridA.post('/api/v1/persons', person({ region: compoundB })), 422, 'invalid_field', 'region');
  // B sees it.
  assert.equal(expectJson(await gridB.get(`/api/v1/persons?q=${idB}`)).total, 1);
  expectJson(await gridB.get(`/api/v1/persons/${inB.id}`));
});

test('search: by full ID number, phone, name prefix and address; masking by role', async () => {
  const admin = await fk.login(fk.users.admin);
  const id = freshId(6);
  const p = expectJson(await admin.post('/api/v1/persons', person({ id_number: id, name: '欧阳测试', phone: '13598765432', address: '滨河路88号' })), 201);
  for (const q of [id, id.toLowerCase(), '13598765432', '欧阳', '欧阳测', '滨河路88']) {
    const found = expectJson(await admin.get(`/api/v1/persons?q=${encodeURIComponent(q)}`));
    assert.ok(found.items.some((x) => x.id === p.id), `q=${q} finds the person`);
  }
  assert.equal(expectJson(await admin.get(`/api/v1/persons?q=${encodeURIComponent('阳测')}`)).items.filter((x) => x.id === p.id).length, 0, 'name matches by prefix only');
  // The tracer sees full numbers, the grid worker the full phone, the inspector neither.
  const tracer = await fk.login(fk.users.tracer);
  const t = expectJson(await tracer.get(`/api/v1/persons/${p.id}`));
  assert.equal(t.id_number, id);
  assert.equal(t.phone, '13598765432');
  const inspector = await fk.login(fk.users.inspector);
  const i = expectJson(await inspector.get(`/api/v1/persons/${p.id}`));
  assert.equal(i.id_number, `${id.slice(0, 4)}**********${id.slice(14)}`);
  assert.equal(i.phone, '135****5432');
  const gridA = await fk.login(fk.users.gridA);
  assert.equal(expectJson(await gridA.get(`/api/v1/persons/${p.id}`)).phone, '13598765432');
  // Bad query parameters.
  expectError(await admin.get('/api/v1/persons?category=vip'), 422, 'invalid_field', 'category');
  expectError(await admin.get('/api/v1/persons?per_page=0'), 422, 'invalid_field', 'per_page');
  expectError(await admin.get(`/api/v1/persons?q=${'x'.repeat(80)}`), 422, 'invalid_field', 'q');
  expectError(await admin.get('/api/v1/persons?from=yesterday'), 422, 'invalid_field', 'from');
});

test('reads are audited: person_read with the person, person_list with the kind of match', async () => {
  const admin = await fk.login(fk.users.admin);
  const p = expectJson(await admin.post('/api/v1/persons', person({ id_number: freshId(7) })), 201);
  const tracer = await fk.login(fk.users.tracer);
  expectJson(await tracer.get(`/api/v1/persons/${p.id}`));
  expectJson(await tracer.get('/api/v1/persons?q=13912345678'));
  const reads = expectJson(await admin.get('/api/v1/audit?action=person_read&actor=t_tracer'));
  assert.ok(reads.items.some((e) => e.person_id === p.id && e.target_id === String(p.id)));
  const lists = expectJson(await admin.get('/api/v1/audit?action=person_list&actor=t_tracer'));
  assert.equal(lists.items[0].detail.match, 'phone');
  assert.ok(!JSON.stringify(lists.items[0]).includes('13912345678'), 'the searched number is not in the audit log');
});

test('patch: fields change, the ID number cannot, validation as on create', async () => {
  const admin = await fk.login(fk.users.admin);
  const p = expectJson(await admin.post('/api/v1/persons', person({ id_number: freshId(8) })), 201);
  const changed = expectJson(await admin.patch(`/api/v1/persons/${p.id}`, { name: '新名字', phone: null, categories: ['staff', 'student'] }));
  assert.equal(changed.name, '新名字');
  assert.equal(changed.phone, null);
  assert.deepEqual(changed.categories, ['staff', 'student']);
  expectError(await admin.patch(`/api/v1/persons/${p.id}`, { id_number: freshId(8) }), 422, 'invalid_field', 'id_number');
  expectError(await admin.patch(`/api/v1/persons/${p.id}`, { phone: '123' }), 422, 'invalid_field', 'phone');
  expectError(await admin.patch(`/api/v1/persons/${p.id}`, { region: '141102999999999' }), 422, 'invalid_field', 'region');
  expectError(await admin.patch('/api/v1/persons/abc', { name: 'x' }), 404, 'person_not_found');
  const inspector = await fk.login(fk.users.inspector);
  expectError(await inspector.patch(`/api/v1/persons/${p.id}`, { name: 'x' }), 403, 'forbidden');
});

test('households: create with a head, members, list, patch; outside the jurisdiction 404', async () => {
  const admin = await fk.login(fk.users.admin);
  const head = expectJson(await admin.post('/api/v1/persons', person({ id_number: freshId(9), name: '户主甲' })), 201);
  const h = expectJson(await admin.post('/api/v1/households', { region: compoundA, address: '测试小区9号楼901', head_person_id: head.id }), 201);
  assert.equal(h.head_name, '户主甲');
  assert.equal(h.member_count, 1);
  const member = expectJson(await admin.post('/api/v1/persons', person({ id_number: freshId(9), name: '成员乙', household_id: h.id })), 201);
  const full = expectJson(await admin.get(`/api/v1/households/${h.id}`));
  assert.deepEqual(full.members.map((m) => m.id).sort(), [head.id, member.id].sort());
  const withHousehold = expectJson(await admin.get(`/api/v1/persons/${member.id}`));
  assert.equal(withHousehold.household.id, h.id);
  const patched = expectJson(await admin.patch(`/api/v1/households/${h.id}`, { address: '测试小区9号楼902' }));
  assert.equal(patched.address, '测试小区9号楼902');
  assert.ok(expectList(await admin.get(`/api/v1/households?q=${encodeURIComponent('9号楼902')}`)).items.some((x) => x.id === h.id));
  const gridB = await fk.login(fk.users.gridB);
  expectError(await gridB.get(`/api/v1/households/${h.id}`), 404, 'household_not_found');
  expectError(await admin.post('/api/v1/households', { region: compoundA }), 422, 'missing_field', 'address');
  expectError(await admin.post('/api/v1/households', { region: compoundA, address: 'x', head_person_id: 99999999 }), 422, 'invalid_field', 'head_person_id');
});

test('duplicates: same name, birth date and phone are grouped; merge keeps the record and its history', async () => {
  const admin = await fk.login(fk.users.admin);
  const a = expectJson(await admin.post('/api/v1/persons', person({ id_number: idNumber('141102', '19770505', 111), name: '重复甲', phone: '13600000001', categories: ['staff'] })), 201);
  const b = expectJson(await admin.post('/api/v1/persons', person({ id_number: idNumber('142301', '19770505', 113), name: '重复甲', phone: '13600000001', categories: ['key_person'] })), 201);
  const dups = expectJson(await admin.get('/api/v1/persons/duplicates?per_page=200'));
  const group = dups.items.find((g) => g.persons.some((p) => p.id === a.id));
  assert.ok(group, 'the pair is listed');
  assert.deepEqual(group.persons.map((p) => p.id).sort(), [a.id, b.id].sort());
  const merged = expectJson(await admin.post(`/api/v1/persons/${a.id}/merge`, { duplicate_id: b.id }));
  assert.deepEqual(merged.categories.sort(), ['key_person', 'staff']);
  const gone = expectJson(await admin.get(`/api/v1/persons/${b.id}`));
  assert.equal(gone.merged_into, a.id, 'the duplicate is kept, marked merged');
  assert.equal(expectJson(await admin.get(`/api/v1/persons?q=${encodeURIComponent('重复甲')}`)).total, 1, 'merged records leave the lists');
  expectError(await admin.post(`/api/v1/persons/${a.id}/merge`, { duplicate_id: b.id }), 409, 'already_merged', 'duplicate_id');
  expectError(await admin.post(`/api/v1/persons/${a.id}/merge`, { duplicate_id: a.id }), 422, 'invalid_field', 'duplicate_id');
  expectError(await admin.post(`/api/v1/persons/${a.id}/merge`, {}), 422, 'missing_field', 'duplicate_id');
  const gridA = await fk.login(fk.users.gridA);
  expectError(await gridA.post(`/api/v1/persons/${a.id}/merge`, { duplicate_id: b.id }), 403, 'forbidden');
});

test('ledgers: xlsx and csv with Chinese headers, masked unless unmasked=1 by a district admin', async () => {
  const admin = await fk.login(fk.users.admin);
  const id = freshId(10);
  expectJson(await admin.post('/api/v1/persons', person({ id_number: id, name: '台账测试' })), 201);
  const csv = await admin.get(`/api/v1/persons/export?format=csv&region=${communities[0].code}`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers['content-type'], /text\/csv/);
  assert.match(csv.headers['content-disposition'], /attachment; filename="persons-\d{4}-\d{2}-\d{2}\.csv"/);
  const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
  assert.equal(lines[0], '"序号","姓名","性别","出生日期","身份证号","手机号","区划代码","所属区划","地址","类别","登记时间"');
  const row = lines.find((l) => l.includes('台账测试'));
  assert.ok(row && row.includes(`${id.slice(0, 4)}**********`), 'masked by default');
  const full = await admin.get(`/api/v1/persons/export?format=csv&unmasked=1&region=${communities[0].code}`);
  assert.ok(full.text.includes(id), 'full numbers on request');
  const gridA = await fk.login(fk.users.gridA);
  expectError(await gridA.get('/api/v1/persons/export?format=csv&unmasked=1'), 403, 'forbidden', 'unmasked');
  const xlsx = await admin.get('/api/v1/persons/export?format=xlsx');
  assert.equal(xlsx.status, 200);
  assert.equal(xlsx.buffer.subarray(0, 2).toString(), 'PK', 'an xlsx (zip) file');
  expectError(await admin.get('/api/v1/persons/export?format=pdf'), 422, 'invalid_field', 'format');
  const h = await admin.get('/api/v1/households/export?format=csv');
  assert.ok(h.text.includes('"户编号"'));
  const audit = expectJson(await admin.get('/api/v1/audit?action=person_export_full'));
  assert.ok(audit.total >= 1, 'a full export is audited separately');
});

// Checkpoints (卡口): the registry, duty shifts (值班) and incidents (闯卡,
// refused checks, assault on staff). Every endpoint, a 422 per invalid field,
// 409 on an overlapping shift, masking of the incident's person by role, the
// audit entries, the three ledgers (CSV parsed), and jurisdiction: staff of
// one township never see another township's checkpoints, shifts or incidents
// (list, id, export) unless they are district-level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, expectList, RFC3339 } from './lib/server.js';

let T0, T1, C0; // two townships, a community of the first
const fk = useServer({ now: '2022-03-02T08:00:00+08:00' }, async (fk) => {
  const admin = await fk.login(fk.users.admin);
  T0 = fk.townships[0].code;
  T1 = fk.townships[1].code;
  C0 = expectJson(await admin.get(`/api/v1/regions/${T0}`)).children[0].code;
  await fk.addUser({ key: 'officer1', username: 'cp_officer1', role: 'township_officer', region: T1, displayName: '乙镇干部' });
  await fk.addUser({ key: 'staff0', username: 'cp_staff0', role: 'checkpoint_staff', region: T0, displayName: '甲镇卡口员' });
  await fk.addUser({ key: 'staff0b', username: 'cp_staff0b', role: 'checkpoint_staff', region: T0, displayName: '甲镇卡口员二' });
  await fk.addUser({ key: 'staff1', username: 'cp_staff1', role: 'checkpoint_staff', region: T1, displayName: '乙镇卡口员' });
  await fk.addUser({ key: 'worker0', username: 'cp_worker0', role: 'community_worker', region: C0, displayName: '社区网格员' });
  await fk.addUser({ key: 'resident', username: 'cp_resident', role: 'resident', region: T0, displayName: '居民' });
  await fk.addUser({ key: 'districtStaff', username: 'cp_dstaff', role: 'checkpoint_staff', region: '141102', displayName: '区卡口专班' });
});

const cp = {}; // name -> checkpoint
const body = (over = {}) => ({
  name: '离石高速出口',
  level: 2,
  type: 'highway_exit',
  region: T0,
  location: '青银高速离石西收费站',
  lat: 37.5178,
  lng: 111.1342,
  sampling_point: '离石西收费站采样点',
  ...over,
});

test('checkpoints: create validates each field; officers within their township; lists, filters, get, patch', async () => {
  const officer = await fk.login(fk.users.officer);
  const cases = [
    [{ name: undefined }, 'missing_field', 'name'],
    [{ name: '长'.repeat(22) }, 'invalid_field', 'name'],
    [{ name: 'a\u0001b' }, 'invalid_field', 'name'],
    [{ level: 5 }, 'invalid_field', 'level'],
    [{ level: '2' }, 'invalid_field', 'level'],
    [{ level: undefined }, 'missing_field', 'level'],
    [{ type: 'bridge' }, 'invalid_field', 'type'],
    [{ type: undefined }, 'missing_field', 'type'],
    [{ region: undefined }, 'missing_field', 'region'],
    [{ region: '12' }, 'invalid_field', 'region'],
    [{ region: T1 }, 'invalid_field', 'region'],
    [{ lat: 91 }, 'invalid_field', 'lat'],
    [{ lng: -181 }, 'invalid_field', 'lng'],
    [{ lat: 'north' }, 'invalid_field', 'lat'],
    [{ lng: undefined }, 'invalid_field', 'lng'],
    [{ state: 'half' }, 'invalid_field', 'state'],
    [{ sampling_point: 'x'.repeat(65) }, 'invalid_field', 'sampling_point'],
    [{ note: 'x'.repeat(501) }, 'invalid_field', 'note'],
    [{ colour: 'red' }, 'invalid_field', 'colour'],
  ];
  for (const [over, code, field] of cases) {
    const b = body(over);
    for (const k of Object.keys(over)) if (over[k] === undefined) delete b[k];
    expectError(await officer.post('/api/v1/checkpoints', b), 422, code, field);
  }
  const made = expectJson(await officer.post('/api/v1/checkpoints', body()), 201);
  assert.equal(made.name, '离石高速出口');
  assert.equal(made.type_label, '高速出口');
  assert.equal(made.level, 2);
  assert.equal(made.state, 'open');
  assert.equal(made.region, T0);
  assert.ok(made.region_name.length > 0);
  assert.ok(Math.abs(made.lat - 37.5178) < 1e-6 && Math.abs(made.lng - 111.1342) < 1e-6);
  assert.equal(made.sampling_point, '离石西收费站采样点');
  assert.match(made.created_at, RFC3339);
  cp.t0 = made;

  // Community workers: only gates of level 4, in their community.
  const worker = await fk.login(fk.users.worker0);
  expectError(await worker.post('/api/v1/checkpoints', body({ region: C0 })), 422, 'invalid_field', 'type');
  expectError(await worker.post('/api/v1/checkpoints', body({ region: C0, type: 'compound_gate' })), 422, 'invalid_field', 'level');
  expectError(await worker.post('/api/v1/checkpoints', body({ type: 'compound_gate', level: 4 })), 422, 'invalid_field', 'region');
  cp.gate = expectJson(await worker.post('/api/v1/checkpoints', body({ name: '幸福小区东门', type: 'compound_gate', level: 4, region: C0, lat: null, lng: null })), 201);
  assert.equal(cp.gate.lat, null);
  assert.equal(cp.gate.type_label, '小区门岗');
  expectError(await worker.patch(`/api/v1/checkpoints/${cp.t0.id}`, { note: 'x' }), 404, 'checkpoint_not_found', 'id');

  // Checkpoint staff and residents do not register checkpoints.
  const staff = await fk.login(fk.users.staff0);
  assert.equal((await staff.post('/api/v1/checkpoints', body())).status, 403);
  const resident = await fk.login(fk.users.resident);
  assert.equal((await resident.get('/api/v1/checkpoints')).status, 403);

  const officer1 = await fk.login(fk.users.officer1);
  cp.t1 = expectJson(await officer1.post('/api/v1/checkpoints', body({ name: '吴城国道卡口', type: 'road', level: 3, region: T1, lat: undefined, lng: undefined })), 201);

  // Lists with filters.
  const list = expectList(await staff.get('/api/v1/checkpoints'));
  assert.deepEqual(list.items.map((c) => c.id).sort(), [cp.t0.id, cp.gate.id].sort());
  assert.equal(expectList(await staff.get('/api/v1/checkpoints?type=highway_exit')).total, 1);
  assert.equal(expectList(await staff.get('/api/v1/checkpoints?level=4')).items[0].id, cp.gate.id);
  assert.equal(expectList(await staff.get('/api/v1/checkpoints?q=%E9%AB%98%E9%80%9F')).items[0].id, cp.t0.id);
  assert.equal(expectList(await staff.get(`/api/v1/checkpoints?region=${C0}`)).total, 1);
  assert.equal(expectList(await staff.get('/api/v1/checkpoints?state=closed')).total, 0);
  expectError(await staff.get('/api/v1/checkpoints?type=x'), 422, 'invalid_field', 'type');
  expectError(await staff.get('/api/v1/checkpoints?level=9'), 422, 'invalid_field', 'level');
  expectError(await staff.get('/api/v1/checkpoints?state=x'), 422, 'invalid_field', 'state');
  const admin = await fk.login(fk.users.admin);
  assert.equal(expectList(await admin.get('/api/v1/checkpoints')).total, 3);

  // Get and patch.
  assert.equal(expectJson(await staff.get(`/api/v1/checkpoints/${cp.t0.id}`)).name, '离石高速出口');
  expectError(await officer.patch(`/api/v1/checkpoints/${cp.t0.id}`, { region: T1 }), 422, 'invalid_field', 'region');
  expectError(await officer.patch(`/api/v1/checkpoints/${cp.t0.id}`, {}), 422, 'invalid_field', 'body');
  expectError(await officer.patch(`/api/v1/checkpoints/${cp.t0.id}`, { level: 0 }), 422, 'invalid_field', 'level');
  expectError(await officer.patch(`/api/v1/checkpoints/${cp.t0.id}`, { lat: 10 }), 422, 'invalid_field', 'lng');
  const patched = expectJson(await officer.patch(`/api/v1/checkpoints/${cp.t0.id}`, { note: '24 小时值守', location: '离石西收费站出口' }));
  assert.equal(patched.note, '24 小时值守');
  assert.equal(patched.location, '离石西收费站出口');
  assert.equal(patched.name, '离石高速出口', 'untouched fields stay');
  assert.ok(Math.abs(patched.lat - 37.5178) < 1e-6, 'position kept');
  const audit = expectJson(await admin.get('/api/v1/audit?action=checkpoint_update&per_page=5'));
  assert.ok(audit.items.some((e) => e.target_id === String(cp.t0.id)));
});

test('shifts: validation, 24 h limit, user must cover the checkpoint, 409 overlap with the shift id, roster, delete', async () => {
  const officer = await fk.login(fk.users.officer);
  const url = `/api/v1/checkpoints/${cp.t0.id}/shifts`;
  const shift = (over = {}) => ({ user_id: fk.users.staff0.id, starts_at: '2022-03-02T08:00:00+08:00', ends_at: '2022-03-02T20:00:00+08:00', post: 'inspector', ...over });
  const cases = [
    [{ user_id: undefined }, 'missing_field', 'user_id'],
    [{ user_id: 'x' }, 'invalid_field', 'user_id'],
    [{ user_id: fk.users.staff1.id }, 'invalid_field', 'user_id'], // another township's staff
    [{ user_id: fk.users.resident.id }, 'invalid_field', 'user_id'],
    [{ user_id: 999999 }, 'invalid_field', 'user_id'],
    [{ starts_at: 'morning' }, 'invalid_field', 'starts_at'],
    [{ starts_at: undefined }, 'missing_field', 'starts_at'],
    [{ ends_at: '2022-03-02T07:00:00+08:00' }, 'invalid_field', 'ends_at'],
    [{ ends_at: '2022-03-03T08:00:01+08:00' }, 'invalid_field', 'ends_at'],
    [{ post: 'cook' }, 'invalid_field', 'post'],
    [{ note: 'x'.repeat(501) }, 'invalid_field', 'note'],
    [{ extra: 1 }, 'invalid_field', 'extra'],
  ];
  for (const [over, code, field] of cases) {
    const b = shift(over);
    for (const k of Object.keys(over)) if (over[k] === undefined) delete b[k];
    expectError(await officer.post(url, b), 422, code, field);
  }
  // Who may be put on duty here: T0 staff and district-level users, not T1's or residents.
  const pool = expectJson(await officer.get(`/api/v1/checkpoints/${cp.t0.id}/staff`)).items.map((u) => u.id);
  for (const k of ['staff0', 'staff0b', 'districtStaff', 'officer']) assert.ok(pool.includes(fk.users[k].id), k);
  for (const k of ['staff1', 'resident', 'officer1']) assert.ok(!pool.includes(fk.users[k].id), k);
  assert.equal((await (await fk.login(fk.users.staff0)).get(`/api/v1/checkpoints/${cp.t0.id}/staff`)).status, 403);
  const day = expectJson(await officer.post(url, shift({ post: 'leader', note: '白班' })), 201);
  assert.equal(day.user.id, fk.users.staff0.id);
  assert.equal(day.post_label, '带班负责人');
  assert.equal(day.starts_at, '2022-03-02T08:00:00+08:00');
  assert.equal(day.ends_at, '2022-03-02T20:00:00+08:00');
  // Exactly 24 h is fine; a district-level user may be on duty anywhere.
  expectJson(await officer.post(url, shift({ user_id: fk.users.staff0b.id, starts_at: '2022-03-02T20:00:00+08:00', ends_at: '2022-03-03T20:00:00+08:00' })), 201);
  expectJson(await officer.post(url, shift({ user_id: fk.users.districtStaff.id, post: 'police' })), 201);

  // Overlap anywhere (another checkpoint of the same township) -> 409 naming the shift.
  const overlap = await officer.post(`/api/v1/checkpoints/${cp.gate.id}/shifts`, shift({ starts_at: '2022-03-02T19:00:00+08:00', ends_at: '2022-03-02T23:00:00+08:00' }));
  expectError(overlap, 409, 'shift_overlap', 'starts_at');
  assert.equal(overlap.json.error.conflicting_shift_id, day.id);
  // Back to back is not an overlap.
  const night = expectJson(await officer.post(`/api/v1/checkpoints/${cp.gate.id}/shifts`, shift({ starts_at: '2022-03-02T20:00:00+08:00', ends_at: '2022-03-03T08:00:00+08:00' })), 201);

  // Per checkpoint, with a time window.
  const staff = await fk.login(fk.users.staff0);
  assert.equal(expectList(await staff.get(url)).total, 3);
  assert.equal(expectList(await staff.get(`${url}?from=2022-03-02T21:00:00%2B08:00&until=2022-03-03`)).total, 1);
  expectError(await staff.get(`${url}?from=soon`), 422, 'invalid_field', 'from');
  // Roster across checkpoints, mine.
  const mine = expectList(await staff.get('/api/v1/shifts?user=me'));
  assert.deepEqual(mine.items.map((s) => s.id), [day.id, night.id]);
  assert.equal(mine.items[1].checkpoint.name, '幸福小区东门');
  assert.equal(expectList(await staff.get('/api/v1/shifts?from=2022-03-02&until=2022-03-02')).total, 4);
  expectError(await staff.get('/api/v1/shifts?user=you'), 422, 'invalid_field', 'user');

  // Delete: managers only; the shift must belong to the checkpoint.
  assert.equal((await staff.delete(`/api/v1/checkpoints/${cp.gate.id}/shifts/${night.id}`)).status, 403);
  expectError(await officer.delete(`/api/v1/checkpoints/${cp.t0.id}/shifts/${night.id}`), 404, 'shift_not_found', 'shift_id');
  assert.equal((await officer.delete(`/api/v1/checkpoints/${cp.gate.id}/shifts/${night.id}`)).status, 204);
  assert.equal(expectList(await staff.get('/api/v1/shifts?user=me')).total, 1);
  const admin = await fk.login(fk.users.admin);
  for (const action of ['shift_create', 'shift_delete'])
    assert.ok(expectJson(await admin.get(`/api/v1/audit?action=${action}&per_page=1`)).total >= 1, action);

  // A closed checkpoint takes no more shifts.
  const officer1 = await fk.login(fk.users.officer1);
  expectJson(await officer1.post(`/api/v1/checkpoints/${cp.t1.id}/shifts`, shift({ user_id: fk.users.staff1.id })), 201);
  expectJson(await officer1.patch(`/api/v1/checkpoints/${cp.t1.id}`, { state: 'closed' }));
  expectError(await officer1.post(`/api/v1/checkpoints/${cp.t1.id}/shifts`, shift({ user_id: fk.users.staff1.id, starts_at: '2022-03-04T08:00:00+08:00', ends_at: '2022-03-04T09:00:00+08:00' })), 409, 'checkpoint_closed', 'id');
});

test('shifts: 20 overlapping shifts of one person at once — one is stored, 19 are 409 shift_overlap', async () => {
  const officer = await fk.login(fk.users.officer);
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      officer.post(`/api/v1/checkpoints/${cp.t0.id}/shifts`, {
        user_id: fk.users.staff0.id,
        starts_at: `2022-03-10T${String(8 + (i % 4)).padStart(2, '0')}:00:00+08:00`,
        ends_at: '2022-03-10T20:00:00+08:00',
        post: 'inspector',
      }),
    ),
  );
  const statuses = answers.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, ...Array(19).fill(409)], statuses.join(' '));
  for (const r of answers) if (r.status === 409) expectError(r, 409, 'shift_overlap', 'starts_at');
  const staff = await fk.login(fk.users.staff0);
  assert.equal(expectList(await staff.get('/api/v1/shifts?user=me&from=2022-03-10&until=2022-03-10')).total, 1);
});

const incident = (over = {}) => ({
  kind: 'ran_checkpoint',
  occurred_at: '2022-03-02T07:30:00+08:00',
  plate: '晋J12345',
  person: { id_number: '141102199003071236', name: '张三', phone: '13812345678' },
  description: '车辆未停车接受检查，强行驶离',
  police_referral: true,
  police_station: '离石区公安分局城北派出所',
  ...over,
});

test('incidents: validation per field, sealed person masked by role, list per checkpoint and across, patch, audit', async () => {
  const staff = await fk.login(fk.users.staff0);
  const url = `/api/v1/checkpoints/${cp.t0.id}/incidents`;
  const cases = [
    [{ kind: 'speeding' }, 'invalid_field', 'kind'],
    [{ kind: undefined }, 'missing_field', 'kind'],
    [{ occurred_at: 'now' }, 'invalid_field', 'occurred_at'],
    [{ occurred_at: '2022-03-03T08:00:00+08:00' }, 'invalid_field', 'occurred_at'],
    [{ plate: 'J12345' }, 'invalid_field', 'plate'],
    [{ person: 'x' }, 'invalid_field', 'person'],
    [{ person: { id_number: '141102199003071235' } }, 'invalid_field', 'person.id_number'],
    [{ person: { phone: '1234' } }, 'invalid_field', 'person.phone'],
    [{ person: { name: 7 } }, 'invalid_field', 'person.name'],
    [{ person: { age: 7 } }, 'invalid_field', 'person'],
    [{ person: {} }, 'invalid_field', 'person'],
    [{ description: undefined }, 'missing_field', 'description'],
    [{ description: 'x'.repeat(501) }, 'invalid_field', 'description'],
    [{ police_referral: undefined }, 'missing_field', 'police_referral'],
    [{ police_referral: 'yes' }, 'invalid_field', 'police_referral'],
    [{ police_referral: false }, 'invalid_field', 'police_station'],
  ];
  for (const [over, code, field] of cases) {
    const b = incident(over);
    for (const k of Object.keys(over)) if (over[k] === undefined) delete b[k];
    expectError(await staff.post(url, b), 422, code, field);
  }
  const made = expectJson(await staff.post(url, incident()), 201);
  assert.equal(made.kind_label, '闯卡');
  assert.equal(made.plate, '晋J12345');
  assert.equal(made.person.name, '张三');
  assert.equal(made.person.id_number, '1411**********1236', 'checkpoint staff see the ID masked');
  assert.equal(made.person.phone, '138****5678');
  assert.equal(made.police_referral, true);
  assert.equal(made.checkpoint.id, cp.t0.id);
  cp.incident = made;
  const assault = expectJson(await staff.post(url, incident({ kind: 'assault', plate: undefined, person: { name: '李四' }, occurred_at: '2022-03-01T22:00:00+08:00', description: '拒绝测温并推搡工作人员' })), 201);
  assert.equal(assault.person.id_number, null);
  const gateIncident = expectJson(await staff.post(`/api/v1/checkpoints/${cp.gate.id}/incidents`, incident({ kind: 'refused_check', person: null, police_referral: false, police_station: undefined, description: '拒不出示健康码' })), 201);
  assert.equal(gateIncident.person, null);
  const staff1 = await fk.login(fk.users.staff1);
  cp.t1incident = expectJson(await staff1.post(`/api/v1/checkpoints/${cp.t1.id}/incidents`, incident({ description: '乙镇闯卡' })), 201);

  // Masking by role: the township officer sees the phone in full, not the ID.
  const officer = await fk.login(fk.users.officer);
  const seen = expectJson(await officer.get(`/api/v1/incidents/${made.id}`));
  assert.equal(seen.person.phone, '13812345678');
  assert.equal(seen.person.id_number, '1411**********1236');

  // Lists: per checkpoint and across, newest first, with filters.
  const per = expectList(await staff.get(url));
  assert.deepEqual(per.items.map((i) => i.id), [made.id, assault.id]);
  const across = expectList(await staff.get('/api/v1/incidents'));
  assert.equal(across.total, 3);
  assert.equal(expectList(await staff.get('/api/v1/incidents?kind=assault')).items[0].id, assault.id);
  assert.equal(expectList(await staff.get('/api/v1/incidents?from=2022-03-02')).total, 2);
  assert.equal(expectList(await staff.get('/api/v1/incidents?until=2022-03-01')).total, 1);
  expectError(await staff.get('/api/v1/incidents?kind=x'), 422, 'invalid_field', 'kind');

  // Patch: referral outcome and note.
  expectError(await staff.patch(`/api/v1/incidents/${made.id}`, { plate: '晋J00000' }), 422, 'invalid_field', 'plate');
  expectError(await staff.patch(`/api/v1/incidents/${made.id}`, { police_referral: 'no' }), 422, 'invalid_field', 'police_referral');
  expectError(await staff.patch(`/api/v1/incidents/${made.id}`, { police_referral: false }), 422, 'invalid_field', 'police_station');
  const patched = expectJson(await staff.patch(`/api/v1/incidents/${made.id}`, { referral_outcome: '已行政拘留 5 日', note: '已结案' }));
  assert.equal(patched.referral_outcome, '已行政拘留 5 日');
  assert.equal(patched.note, '已结案');
  assert.equal(patched.police_station, '离石区公安分局城北派出所');

  const admin = await fk.login(fk.users.admin);
  for (const action of ['incident_create', 'incident_read', 'incident_list', 'incident_update']) {
    const a = expectJson(await admin.get(`/api/v1/audit?action=${action}&per_page=5`));
    assert.ok(a.total >= 1, action);
  }
  const reads = expectJson(await admin.get('/api/v1/audit?action=incident_read&per_page=5'));
  assert.ok(reads.items.some((e) => e.target_id === String(made.id) && e.actor === fk.users.officer.username));
});

test('jurisdiction: another township sees none of T0 (checkpoints, shifts, incidents: list, id, export) unless district-level', async () => {
  const staff1 = await fk.login(fk.users.staff1);
  const officer1 = await fk.login(fk.users.officer1);
  for (const c of [staff1, officer1]) {
    assert.deepEqual(expectList(await c.get('/api/v1/checkpoints')).items.map((x) => x.id), [cp.t1.id]);
    expectError(await c.get(`/api/v1/checkpoints/${cp.t0.id}`), 404, 'checkpoint_not_found', 'id');
    expectError(await c.get(`/api/v1/checkpoints/${cp.t0.id}/shifts`), 404, 'checkpoint_not_found', 'id');
    expectError(await c.get(`/api/v1/checkpoints/${cp.t0.id}/incidents`), 404, 'checkpoint_not_found', 'id');
    expectError(await c.post(`/api/v1/checkpoints/${cp.t0.id}/incidents`, incident()), 404, 'checkpoint_not_found', 'id');
    expectError(await c.get(`/api/v1/incidents/${cp.incident.id}`), 404, 'incident_not_found', 'id');
    expectError(await c.patch(`/api/v1/incidents/${cp.incident.id}`, { note: 'x' }), 404, 'incident_not_found', 'id');
    expectError(await c.get(`/api/v1/checkpoints?region=${T0}`), 404, 'region_not_found', 'region');
    const roster = expectList(await c.get('/api/v1/shifts'));
    assert.ok(roster.items.every((s) => s.checkpoint.region.startsWith(T1.slice(0, 9))), 'only T1 shifts');
    assert.deepEqual(expectList(await c.get('/api/v1/incidents')).items.map((i) => i.id), [cp.t1incident.id]);
    for (const path of ['checkpoints', 'shifts', 'incidents']) {
      const rows = parseCsv((await c.get(`/api/v1/${path}/export?format=csv`)).text);
      assert.ok(rows.slice(1).every((r) => !r.join(',').includes('离石高速出口') && !r.join(',').includes('幸福小区东门')), `${path} export`);
    }
  }
  expectError(await officer1.patch(`/api/v1/checkpoints/${cp.t0.id}`, { note: 'x' }), 404, 'checkpoint_not_found', 'id');
  expectError(await officer1.delete(`/api/v1/checkpoints/${cp.t0.id}/shifts/1`), 404, 'checkpoint_not_found', 'id');
  // District-level staff see both townships.
  const district = await fk.login(fk.users.districtStaff);
  assert.equal(expectList(await district.get('/api/v1/checkpoints')).total, 3);
  assert.equal(expectList(await district.get('/api/v1/incidents')).total, 4);
  expectJson(await district.get(`/api/v1/incidents/${cp.incident.id}`));
  expectJson(await district.get(`/api/v1/incidents/${cp.t1incident.id}`));
});

test('exports: Chinese headers and rows of checkpoints, the roster and incidents (csv), xlsx, bad format', async () => {
  const officer = await fk.login(fk.users.officer);
  let rows = parseCsv((await officer.get('/api/v1/checkpoints/export?format=csv')).text);
  let h = rows[0];
  for (const x of ['序号', '卡口名称', '级别', '类型', '所属区划', '采样点', '状态']) assert.ok(h.includes(x), x);
  assert.equal(rows.length, 3);
  const r = rows.find((row) => row[h.indexOf('卡口名称')] === '离石高速出口');
  assert.equal(r[h.indexOf('类型')], '高速出口');
  assert.equal(r[h.indexOf('级别')], '二级（区县界）');
  assert.equal(r[h.indexOf('纬度')], '37.517800');

  rows = parseCsv((await officer.get('/api/v1/shifts/export?format=csv&from=2022-03-02&until=2022-03-02')).text);
  h = rows[0];
  for (const x of ['卡口', '值班人员', '岗位', '开始时间', '结束时间']) assert.ok(h.includes(x), x);
  const lead = rows.find((row) => row[h.indexOf('值班人员')] === '甲镇卡口员');
  assert.equal(lead[h.indexOf('岗位')], '带班负责人');
  assert.equal(lead[h.indexOf('开始时间')], '2022-03-02 08:00');

  rows = parseCsv((await officer.get('/api/v1/incidents/export?format=csv')).text);
  h = rows[0];
  for (const x of ['卡口', '事件类型', '发生时间', '车牌号', '当事人', '身份证号', '手机号', '移交公安', '派出所', '处理结果']) assert.ok(h.includes(x), x);
  assert.equal(rows.length, 4);
  const ran = rows.find((row) => row[h.indexOf('事件类型')] === '闯卡');
  assert.equal(ran[h.indexOf('身份证号')], '1411**********1236');
  assert.equal(ran[h.indexOf('手机号')], '13812345678');
  assert.equal(ran[h.indexOf('移交公安')], '是');
  assert.equal(ran[h.indexOf('处理结果')], '已行政拘留 5 日');
  assert.equal(parseCsv((await officer.get('/api/v1/incidents/export?format=csv&kind=assault')).text).length, 2);

  const xlsx = await officer.get('/api/v1/incidents/export');
  assert.equal(xlsx.status, 200);
  assert.match(xlsx.headers['content-type'], /spreadsheetml/);
  assert.equal(xlsx.buffer.subarray(0, 2).toString(), 'PK');
  expectError(await officer.get('/api/v1/shifts/export?format=pdf'), 422, 'invalid_field', 'format');
  const admin = await fk.login(fk.users.admin);
  for (const action of ['checkpoint_export', 'shift_export', 'incident_export'])
    assert.ok(expectJson(await admin.get(`/api/v1/audit?action=${action}&per_page=1`)).total >= 1, action);
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
  return rows;
}

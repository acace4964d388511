// Check-ins (扫码登记): one or a batch (1..1000, every item checked first,
// one bad item → 422 naming it and nothing written), a 422 per field, the
// colour at the time with red and yellow refused but recorded, idempotent
// retries and 10 concurrent duplicates storing one, the venue code instead of
// the id, the staff scan by ID number and by personal code, venue and person
// lists with time windows, the ledger, jurisdiction on every endpoint, the
// resident role (only persons it may act for), and the retention purge at
// its boundary (exactly 28 days old is kept, one second older deleted) from
// the command line, at server start and on demand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { useServer, expectError, expectJson, expectList } from './lib/server.js';
import { freshId } from './lib/ids.js';

const NOW = '2022-03-02T08:00:00+08:00';
const NOW_MS = Date.parse(NOW);
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
const at = (minutes) => iso(NOW_MS + minutes * 60000);
const key = () => randomBytes(8).toString('hex');

let T0, T1, COM;
const venues = {};
const people = {}; // persons created with known ID numbers
const fk = useServer({ now: NOW }, async (fk) => {
  const admin = await fk.login(fk.users.admin);
  T0 = fk.townships[0].code;
  T1 = fk.townships[1].code;
  const com = expectJson(await admin.get(`/api/v1/regions/${T0}`)).children[0];
  COM = com.code;
  const compound = expectJson(await admin.get(`/api/v1/regions/${COM}`)).children[0].code;
  const t1com = expectJson(await admin.get(`/api/v1/regions/${T1}`)).children[0].code;
  const t1compound = expectJson(await admin.get(`/api/v1/regions/${t1com}`)).children[0].code;
  await fk.addUser({ key: 'officer1', username: 'k_officer1', role: 'township_officer', region: T1, displayName: '乙镇干部' });
  await fk.addUser({ key: 'staff0', username: 'k_staff0', role: 'checkpoint_staff', region: T0, displayName: '甲镇场所人员' });
  await fk.addUser({ key: 'resident', username: 'k_resident', role: 'resident', region: compound, displayName: '居民' });
  await fk.addUser({ key: 'sampler', username: 'k_sampler', role: 'sampler', region: '141102', displayName: '采样员' });
  await fk.addUser({ key: 'enterprise', username: 'k_enterprise', role: 'enterprise', region: T0, displayName: '甲镇企业' });
  for (const [k, region] of [['green', compound], ['red', compound], ['yellowish', compound], ['far', t1compound]]) {
    const id_number = freshId(11);
    const p = expectJson(await admin.post('/api/v1/persons', { id_number, name: `测试${k}`, phone: '13912340000', region }), 201);
    people[k] = { ...p, full_id: id_number };
  }
  const officer = await fk.login(fk.users.officer);
  venues.main = expectJson(await officer.post('/api/v1/venues', { name: '幸福超市', category: 'supermarket', region: COM }), 201);
  venues.closed = expectJson(await officer.post('/api/v1/venues', { name: '停业饭店', category: 'restaurant', region: COM, status: 'suspended' }), 201);
  const officer1 = await fk.login(fk.users.officer1);
  venues.far = expectJson(await officer1.post('/api/v1/venues', { name: '乙镇车站', category: 'transport', region: T1 }), 201);
});

const checkin = (over = {}) => ({ venue_id: venues.main.id, person_id: people.green.id, at: at(0), idempotency_key: key(), ...over });

test('a single check-in: 201 green and allowed; a retry with the same key answers the first result', async () => {
  const staff = await fk.login(fk.users.staff0);
  const body = checkin({ at: at(-40), left_at: at(-10) });
  const first = expectJson(await staff.post('/api/v1/checkins', body), 201);
  assert.equal(first.color, 'green');
  assert.equal(first.color_label, '绿码');
  assert.equal(first.allowed, true);
  assert.equal(first.reason, '');
  assert.equal(first.duplicate, false);
  assert.equal(Date.parse(first.at), NOW_MS - 40 * 60000);
  assert.equal(Date.parse(first.left_at), NOW_MS - 10 * 60000);
  const again = expectJson(await staff.post('/api/v1/checkins', { ...body, at: at(-39) }), 200);
  assert.equal(again.id, first.id);
  assert.equal(again.duplicate, true);
  assert.equal(Date.parse(again.at), NOW_MS - 40 * 60000, 'the first result, not the retry');
  // Keys are scoped per caller: another user's same key is a new check-in.
  const officer = await fk.login(fk.users.officer);
  const other = expectJson(await officer.post('/api/v1/checkins', body), 201);
  assert.notEqual(other.id, first.id);
});

test('20 concurrent duplicates store exactly one check-in', async () => {
  const staff = await fk.login(fk.users.staff0);
  const body = checkin({ at: at(-2) });
  const results = await Promise.all(Array.from({ length: 20 }, () => staff.post('/api/v1/checkins', body)));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [...Array(19).fill(200), 201], results.map((r) => r.text.slice(0, 120)).join('\n'));
  assert.equal(new Set(results.map((r) => r.json.id)).size, 1);
  const list = expectList(await staff.get(`/api/v1/venues/${venues.main.id}/checkins?from=${encodeURIComponent(at(-2))}&until=${encodeURIComponent(at(-1))}`));
  assert.equal(list.total, 1);
});

test('validation: a 422 naming every bad field; 404 for unknown venues and persons; closed venues refuse', async () => {
  const staff = await fk.login(fk.users.staff0);
  const cases = [
    [{ venue_id: undefined }, 422, 'missing_field', 'venue_id'],
    [{ venue_id: 'x' }, 422, 'invalid_field', 'venue_id'],
    [{ venue_id: 0 }, 422, 'invalid_field', 'venue_id'],
    [{ venue_id: 99999999 }, 404, 'venue_not_found', 'venue_id'],
    [{ venue_id: venues.far.id }, 404, 'venue_not_found', 'venue_id'],
    [{ venue_id: venues.closed.id }, 422, 'venue_closed', 'venue_id'],
    [{ venue_id: undefined, venue_code: 'FKS:XYZ' }, 422, 'invalid_field', 'venue_code'],
    [{ person_id: undefined }, 422, 'missing_field', 'person_id'],
    [{ person_id: -3 }, 422, 'invalid_field', 'person_id'],
    [{ person_id: 99999999 }, 404, 'person_not_found', 'person_id'],
    [{ at: undefined }, 422, 'missing_field', 'at'],
    [{ at: 'yesterday' }, 422, 'invalid_field', 'at'],
    [{ at: at(60) }, 422, 'invalid_field', 'at'],
    [{ at: at(-8 * 24 * 60) }, 422, 'invalid_field', 'at'],
    [{ left_at: at(-10) }, 422, 'invalid_field', 'left_at'],
    [{ left_at: 5 }, 422, 'invalid_field', 'left_at'],
    [{ idempotency_key: undefined }, 422, 'missing_field', 'idempotency_key'],
    [{ idempotency_key: 'has space' }, 422, 'invalid_field', 'idempotency_key'],
    [{ idempotency_key: 'k'.repeat(65) }, 422, 'invalid_field', 'idempotency_key'],
  ];
  for (const [over, status, code, field] of cases) {
    const body = checkin(over);
    for (const k of Object.keys(over)) if (over[k] === undefined) delete body[k];
    expectError(await staff.post('/api/v1/checkins', body), status, code, field);
  }
  const sampler = await fk.login(fk.users.sampler);
  expectError(await sampler.post('/api/v1/checkins', checkin()), 403, 'forbidden');
});

test('the venue code instead of the id', async () => {
  const staff = await fk.login(fk.users.staff0);
  const c = expectJson(await staff.post('/api/v1/checkins', checkin({ venue_id: undefined, venue_code: venues.main.code, at: at(-3) })), 201);
  assert.equal(c.venue_id, venues.main.id);
});

test('batches: 1000 stored in one request, 1001 refused, one bad item refuses all and writes nothing', async () => {
  const staff = await fk.login(fk.users.staff0);
  const count = async () => expectList(await staff.get(`/api/v1/venues/${venues.main.id}/checkins?per_page=1`), { perPage: 1 }).total;
  const before = await count();
  const items = Array.from({ length: 1000 }, (_, i) => checkin({ at: at(-(i % 600)) }));
  const res = expectJson(await staff.post('/api/v1/checkins', { items }), 201);
  assert.equal(res.created, 1000);
  assert.equal(res.duplicates, 0);
  assert.equal(res.items.length, 1000);
  assert.ok(res.items.every((it) => it.allowed && it.color === 'green'));
  assert.equal(await count(), before + 1000);
  // The same batch again: all duplicates, the first ids.
  const again = expectJson(await staff.post('/api/v1/checkins', { items }), 200);
  assert.equal(again.created, 0);
  assert.equal(again.duplicates, 1000);
  assert.deepEqual(again.items.map((i) => i.id), res.items.map((i) => i.id));
  // The same key twice in one batch: one check-in, the second answers the first.
  const twin = checkin({ at: at(-30) });
  const pair = expectJson(await staff.post('/api/v1/checkins', { items: [twin, { ...twin, at: at(-29) }] }), 201);
  assert.equal(pair.created, 1);
  assert.equal(pair.duplicates, 1);
  assert.equal(pair.items[0].id, pair.items[1].id);
  assert.equal(pair.items[1].duplicate, true);
  assert.equal(Date.parse(pair.items[1].at), NOW_MS - 30 * 60000);
  const tooMany = Array.from({ length: 1001 }, () => checkin());
  expectError(await staff.post('/api/v1/checkins', { items: tooMany }), 422, 'invalid_field', 'items');
  expectError(await staff.post('/api/v1/checkins', { items: [] }), 422, 'invalid_field', 'items');
  expectError(await staff.post('/api/v1/checkins', { items: 'x' }), 422, 'invalid_field', 'items');
  const bad = Array.from({ length: 10 }, () => checkin());
  bad[3].at = 'not a time';
  expectError(await staff.post('/api/v1/checkins', { items: bad }), 422, 'invalid_field', 'items[3].at');
  bad[3].at = at(0);
  bad[5].venue_id = venues.far.id;
  expectError(await staff.post('/api/v1/checkins', { items: bad }), 422, 'invalid_field', 'items[5].venue_id');
  bad[5].venue_id = venues.main.id;
  bad[7].person_id = 99999999;
  expectError(await staff.post('/api/v1/checkins', { items: bad }), 422, 'invalid_field', 'items[7].person_id');
  bad[7] = 'x';
  expectError(await staff.post('/api/v1/checkins', { items: bad }), 422, 'invalid_field', 'items[7].');
  assert.equal(await count(), before + 1001, 'nothing written by refused batches');
});

const team = [
  { role: 'township_cadre', name: '乡镇干部甲', phone: '13800000001' },
  { role: 'village_cadre', name: '村干部乙', phone: '13800000002' },
  { role: 'village_doctor', name: '村医丙', phone: '13800000003' },
  { role: 'police', name: '民警丁', phone: '13800000004' },
  { role: 'grid_worker', name: '网格员戊', phone: '13800000005' },
];

test('a red person (home quarantine) is refused entry with the reason, and recorded', async () => {
  const officer = await fk.login(fk.users.officer);
  expectJson(await officer.post('/api/v1/home-quarantines', { person_id: people.red.id, starts_at: at(-60), days: 14, reason: 'close_contact', team }), 201);
  const staff = await fk.login(fk.users.staff0);
  const c = expectJson(await staff.post('/api/v1/checkins', checkin({ person_id: people.red.id, at: at(-4) })), 201);
  assert.equal(c.color, 'red');
  assert.equal(c.allowed, false);
  assert.match(c.reason, /^红码人员，禁止进入/);
  const list = expectList(await staff.get(`/api/v1/venues/${venues.main.id}/checkins?allowed=0`));
  assert.ok(list.items.some((i) => i.id === c.id && i.color === 'red' && i.allowed === false));
});

test('staff scan: by typed ID number and by personal code; masked person; 422/404 per field', async () => {
  const staff = await fk.login(fk.users.staff0);
  const url = `/api/v1/venues/${venues.main.id}/scans`;
  const s = expectJson(await staff.post(url, { id_number: people.green.full_id, at: at(-5), idempotency_key: key() }), 201);
  assert.equal(s.allowed, true);
  assert.equal(s.color, 'green');
  assert.equal(s.person.id, people.green.id);
  assert.match(s.person.name, /^测\*+$/);
  assert.match(s.person.id_number, /^\d{4}\*{10}[\dX]{4}$/);
  assert.equal(s.venue_name, '幸福超市');
  const red = expectJson(await staff.post(url, { id_number: people.red.full_id, at: at(-5), idempotency_key: key() }), 201);
  assert.equal(red.allowed, false);
  assert.match(red.reason, /红码人员，禁止进入/);
  // A personal code issued from the command line.
  const r = await fk.cliOk(['keys', 'issue', '--db', fk.db, '--type', 'personal', '--id', String(people.far.id), '--expires', at(60 * 24)]);
  const code = r.stdout.trim().split('\n').pop().trim();
  assert.match(code, /^FKP:/);
  const byCode = expectJson(await staff.post(url, { code, at: at(-6), idempotency_key: key() }), 201);
  assert.equal(byCode.person.id, people.far.id, 'visitors from another township check in too');
  expectError(await staff.post(url, { code: venues.main.code, at: at(-6), idempotency_key: key() }), 422, 'invalid_field', 'code');
  expectError(await staff.post(url, { at: at(-6), idempotency_key: key() }), 422, 'missing_field', 'code');
  expectError(await staff.post(url, { code, id_number: people.green.full_id, at: at(-6), idempotency_key: key() }), 422, 'missing_field', 'code');
  expectError(await staff.post(url, { id_number: '141102198501011234', at: at(-6), idempotency_key: key() }), 422, 'invalid_field', 'id_number');
  expectError(await staff.post(url, { id_number: freshId(12), at: at(-6), idempotency_key: key() }), 404, 'person_not_found', 'id_number');
  expectError(await staff.post(url, { id_number: people.green.full_id, at: 'x', idempotency_key: key() }), 422, 'invalid_field', 'at');
  expectError(await staff.post(url, { id_number: people.green.full_id, at: at(-6) }), 422, 'missing_field', 'idempotency_key');
  expectError(await staff.post(`/api/v1/venues/${venues.closed.id}/scans`, { id_number: people.green.full_id, at: at(-6), idempotency_key: key() }), 422, 'venue_closed', 'venue_id');
});

test('lists: a venue\'s and a person\'s check-ins with time windows; the ledger; jurisdiction; audit', async () => {
  const officer = await fk.login(fk.users.officer);
  const v = expectList(await officer.get(`/api/v1/venues/${venues.main.id}/checkins?from=${encodeURIComponent(at(-7))}&until=${encodeURIComponent(at(-3))}`));
  assert.ok(v.total >= 3);
  assert.ok(v.items.every((i) => Date.parse(i.at) >= NOW_MS - 7 * 60000 && Date.parse(i.at) < NOW_MS - 3 * 60000));
  assert.equal(v.items[0].venue.name, '幸福超市');
  assert.equal(v.items[0].venue.category_label, '超市');
  expectError(await officer.get(`/api/v1/venues/${venues.main.id}/checkins?from=x`), 422, 'invalid_field', 'from');
  expectError(await officer.get(`/api/v1/venues/${venues.main.id}/checkins?from=${encodeURIComponent(at(-5))}&until=${encodeURIComponent(at(-6))}`), 422, 'invalid_field', 'until');
  const p = expectList(await officer.get(`/api/v1/persons/${people.red.id}/checkins`));
  assert.equal(p.total, 2);
  assert.ok(p.items.every((i) => i.person.id === people.red.id && i.color === 'red'));
  const csv = await officer.get(`/api/v1/venues/${venues.main.id}/checkins/export?format=csv`);
  assert.equal(csv.status, 200);
  assert.match(csv.text, /红码/);
  assert.match(csv.text, /红码人员，禁止进入/);
  // Another township: 404 on the venue's lists and the person's, nothing in its own.
  const other = await fk.login(fk.users.officer1);
  expectError(await other.get(`/api/v1/venues/${venues.main.id}/checkins`), 404, 'venue_not_found');
  expectError(await other.get(`/api/v1/persons/${people.red.id}/checkins`), 404, 'person_not_found');
  expectError(await other.post(`/api/v1/checkins`, checkin()), 404, 'venue_not_found', 'venue_id');
  const far = expectList(await other.get(`/api/v1/venues/${venues.far.id}/checkins`));
  assert.equal(far.total, 0);
  const farPerson = expectList(await other.get(`/api/v1/persons/${people.far.id}/checkins`));
  assert.equal(farPerson.total, 1, 'the T1 resident\'s visit to a T0 venue is in their itinerary');
  const admin = await fk.login(fk.users.admin);
  for (const action of ['checkin_create', 'checkin_batch', 'venue_checkin_list', 'person_checkin_list', 'venue_checkin_export'])
    assert.ok(expectList(await admin.get(`/api/v1/audit?action=${action}`)).total >= 1, action);
});

test('no colour oracle: a bare person_id of another township\'s resident is answered as a non-existent id, writes nothing and is audited; what the visitor presents still checks them in', async () => {
  const admin = await fk.login(fk.users.admin);
  const farCheckins = async () => expectList(await admin.get(`/api/v1/persons/${people.far.id}/checkins?per_page=1`), { perPage: 1 }).total;
  const venueCheckins = async () => expectList(await admin.get(`/api/v1/venues/${venues.main.id}/checkins?per_page=1`), { perPage: 1 }).total;
  const farBefore = await farCheckins();
  const venueBefore = await venueCheckins();
  for (const who of [fk.users.officer, fk.users.staff0]) {
    const client = await fk.login(who);
    // The same status and body for a T1 resident as for an id nobody has: no colour, no hint.
    const foreign = await client.post('/api/v1/checkins', checkin({ person_id: people.far.id }));
    const absent = await client.post('/api/v1/checkins', checkin({ person_id: 99999999 }));
    expectError(foreign, 404, 'person_not_found', 'person_id');
    assert.equal(foreign.status, absent.status);
    assert.deepEqual(foreign.json, absent.json);
    assert.equal(foreign.json.error.message, '人员不存在或无权为其登记');
    assert.ok(!('color' in foreign.json) && !/绿码|黄码|红码|green|yellow|red/.test(foreign.text), foreign.text);
    // A batch with one foreign id is refused whole, like one with an unknown id.
    const items = [checkin(), checkin({ person_id: people.far.id }), checkin()];
    const batchForeign = await client.post('/api/v1/checkins', { items });
    const batchAbsent = await client.post('/api/v1/checkins', { items: [items[0], checkin({ person_id: 99999999 }), items[2]] });
    expectError(batchForeign, 422, 'invalid_field', 'items[1].person_id');
    assert.equal(batchForeign.status, batchAbsent.status);
    assert.deepEqual(batchForeign.json, batchAbsent.json);
  }
  assert.equal(await farCheckins(), farBefore, 'no visit written into the T1 resident\'s itinerary');
  assert.equal(await venueCheckins(), venueBefore, 'nothing written by the refused batches');
  // The refusals are audited with why (the admin may tell them apart, the caller may not).
  const audit = expectList(await admin.get('/api/v1/audit?action=checkin_refused&per_page=50'), { perPage: 50 }).items;
  const mine = audit.filter((e) => e.actor === 'k_staff0');
  assert.ok(mine.some((e) => e.person_id === people.far.id && e.detail.reason === 'outside_jurisdiction' && e.detail.field === 'person_id'), JSON.stringify(mine));
  assert.ok(mine.some((e) => e.person_id === people.far.id && e.detail.field === 'items[1].person_id'), JSON.stringify(mine));
  assert.ok(mine.some((e) => e.person_id === null && e.target_id === '99999999' && e.detail.reason === 'not_found'), JSON.stringify(mine));
  // Presenting the ID card (or personal code, above) is the consent: the stranger checks in.
  const staff = await fk.login(fk.users.staff0);
  const s = expectJson(await staff.post(`/api/v1/venues/${venues.main.id}/scans`, { id_number: people.far.full_id, at: at(-8), idempotency_key: key() }), 201);
  assert.equal(s.person.id, people.far.id);
  assert.equal(s.color, 'green');
  assert.equal(await farCheckins(), farBefore + 1);
  // An enterprise does not follow residents' trips, not even of its own township.
  const enterprise = await fk.login(fk.users.enterprise);
  expectError(await enterprise.get(`/api/v1/persons/${people.green.id}/checkins`), 403, 'forbidden');
  // Inside the jurisdiction a bare id still works (the T1 officer for the T1 resident, at a T1 venue).
  const officer1 = await fk.login(fk.users.officer1);
  expectJson(await officer1.post('/api/v1/checkins', checkin({ venue_id: venues.far.id, person_id: people.far.id, at: at(-9) })), 201);
  assert.equal(await farCheckins(), farBefore + 2);
});

test('resident role: only persons it may act for (none before self-service links them)', async () => {
  const resident = await fk.login(fk.users.resident);
  expectError(await resident.post('/api/v1/checkins', checkin({ venue_id: venues.far.id })), 404, 'person_not_found', 'person_id');
  expectError(await resident.get(`/api/v1/persons/${people.green.id}/checkins`), 404, 'person_not_found');
  expectError(await resident.get('/api/v1/venues'), 403, 'forbidden');
  expectError(await resident.post(`/api/v1/venues/${venues.main.id}/scans`, { id_number: people.green.full_id, at: at(-6), idempotency_key: key() }), 403, 'forbidden');
});

test('retention: exactly 28 days old is kept, one second older deleted — CLI, server start, on demand', async () => {
  // The boundaries are exact to the second, so the server and the CLI run on
  // a frozen clock (a CLI that takes a second to start on a busy machine must
  // not move "now"): restart the server at NOW with time standing still.
  await fk.stopServer();
  fk.options.now = iso(NOW_MS);
  fk.options.clock = 'frozen';
  await fk.serve();
  const staff = await fk.login(fk.users.staff0);
  const T = NOW_MS - 7 * 86400000; // the oldest `at` accepted now
  // Check-ins just after T (fresh keys; everything else is newer), with 20 s to spare.
  const a = expectJson(await staff.post('/api/v1/checkins', checkin({ at: iso(T + 20000) })), 201);
  const b = expectJson(await staff.post('/api/v1/checkins', checkin({ at: iso(T + 21000) })), 201);
  const D28 = 28 * 86400000;
  const exists = async (client, id, personId = people.green.id) =>
    expectList(await client.get(`/api/v1/persons/${personId}/checkins?until=${encodeURIComponent(iso(T + 22000))}&per_page=200`), { perPage: 200 }).items.some((i) => i.id === id);
  await fk.stopServer();
  const purge = async (nowMs) => {
    fk.options.now = iso(nowMs);
    const r = await fk.cliOk(['purge', '--checkins', '--db', fk.db]);
    return Number(/deleted (\d+)/.exec(r.stdout)[1]);
  };
  assert.equal(await purge(T + 20000 + D28), 0, 'exactly 28 days old: kept');
  assert.equal(await purge(T + 20000 + D28 + 1000), 1, 'one second older: deleted');
  const bad = await fk.cli(['purge', '--db', fk.db]);
  assert.equal(bad.code, 64);
  // The server purges at start: b (one second older than 28 days) goes.
  fk.options.now = iso(T + 21000 + D28 + 1000);
  await fk.serve();
  // The start-up purge runs on its own thread: wait for it (the machine may be busy).
  const admin = await fk.login(fk.users.admin);
  const deadline = Date.now() + 30000;
  while ((await exists(admin, b.id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await exists(admin, b.id), false, 'b purged at server start');
  assert.equal(await exists(admin, a.id), false);
  assert.match(fk.log(), /checkins_purged/);
  // On demand: district admins only; nothing more to delete now.
  const officer = await fk.login(fk.users.officer);
  expectError(await officer.post('/api/v1/checkins/purge', {}), 403, 'forbidden');
  const res = expectJson(await admin.post('/api/v1/checkins/purge', {}));
  assert.equal(res.deleted, 0);
  assert.equal(res.retention_days, 28);
  const audit = expectList(await admin.get('/api/v1/audit?action=checkin_purge'));
  assert.ok(audit.total >= 4, `purges audited: ${audit.total}`);
});

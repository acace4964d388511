// Four-colour community cards (四色通行证) and gate scans (门岗扫码): issue
// with a 422 per field, 409 card_exists / green_taken, replace, list, detail,
// revoke, QR, ledger, bulk issue for a compound; the gate rule for every
// colour (green at 47 h and 49 h by scanned_at), in-direction, revoked,
// expired, forged, unknown and other-type codes, a card turning yellow when
// its holder enters home quarantine, concurrent duplicates with one
// idempotency key, jurisdiction of gate logs and cards, and the refusals task
// list of the compound's grid worker; the green rule in both directions of
// time (a backdated sequence, the same scanned_at twice, the household's
// green slot), 20 parallel exits at one and at three gates (one allowed), and
// an offline exit synced late stored refused for review (green_exit_conflict).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { useServer, expectError, expectJson, expectList, RFC3339 } from './lib/server.js';

const NOW = '2022-03-02T08:00:00+08:00';
const NOW_MS = Date.parse(NOW);
const at = (hours) => new Date(NOW_MS + hours * 3600 * 1000).toISOString().replace('.000Z', 'Z');

let T0, T1, COM, KB; // townships, the gate's community, the bulk compound
let people = []; // persons of COM
let other; // a person of T0 outside COM
let farPerson; // a person of T1
const gate = {};
const fk = useServer({ now: NOW, people: 1500 }, async (fk) => {
  const admin = await fk.login(fk.users.admin);
  T0 = fk.townships[0].code;
  T1 = fk.townships[1].code;
  const all = [];
  for (let page = 1; page <= 20; page++) {
    const list = expectJson(await admin.get(`/api/v1/persons?region=${T0}&per_page=200&page=${page}`));
    all.push(...list.items);
    if (list.items.length < 200) break;
  }
  const byCommunity = {};
  for (const p of all) (byCommunity[p.region.slice(0, 12)] ??= []).push(p);
  // The gate's community: the one with most persons and a household of two.
  const communities = Object.keys(byCommunity).sort((a, b) => byCommunity[b].length - byCommunity[a].length);
  COM = communities[0];
  people = byCommunity[COM];
  assert.ok(people.length >= 10, `community ${COM} has ${people.length} persons`);
  const byCompound = {};
  for (const p of all) if (p.region.slice(0, 12) !== COM) (byCompound[p.region] ??= []).push(p);
  KB = Object.keys(byCompound).sort((a, b) => byCompound[b].length - byCompound[a].length)[0];
  other = all.find((p) => p.region.slice(0, 12) !== COM && p.region !== KB);
  farPerson = expectJson(await admin.get(`/api/v1/persons?region=${T1}&per_page=1`)).items[0];
  await fk.addUser({ key: 'officer1', username: 'c_officer1', role: 'township_officer', region: T1, displayName: '乙镇干部' });
  await fk.addUser({ key: 'worker', username: 'c_worker', role: 'community_worker', region: COM, displayName: '网格员甲' });
  await fk.addUser({ key: 'staff0', username: 'c_staff0', role: 'checkpoint_staff', region: T0, displayName: '甲镇门岗' });
  await fk.addUser({ key: 'staff1', username: 'c_staff1', role: 'checkpoint_staff', region: T1, displayName: '乙镇门岗' });
  await fk.addUser({ key: 'districtStaff', username: 'c_dstaff', role: 'checkpoint_staff', region: '141102', displayName: '区卡口专班' });
  gate.main = expectJson(await admin.post('/api/v1/checkpoints', { name: '幸福小区东门', type: 'compound_gate', level: 4, region: COM }), 201);
  gate.road = expectJson(await admin.post('/api/v1/checkpoints', { name: '国道卡口', type: 'road', level: 3, region: T0 }), 201);
});

// Persons of COM by household: the first household with two members gives
// the green pair; everyone else is used once.
let pool;
function take(pred = () => true) {
  const i = pool.findIndex(pred);
  assert.ok(i >= 0, 'a person left in the pool');
  return pool.splice(i, 1)[0];
}

const cards = {};
const scan = (client, code, direction, scannedAt, key = randomBytes(8).toString('hex'), gateId = gate.main.id) =>
  client.post(`/api/v1/gates/${gateId}/scans`, { code, direction, scanned_at: scannedAt, idempotency_key: key });

test('issue: a 422 per field, 404 outside the jurisdiction, 201 with a signed code, 409 card_exists, replace, green_taken', async () => {
  pool = [...people];
  const worker = await fk.login(fk.users.worker);
  const counts = {};
  for (const p of pool) counts[p.household_id] = (counts[p.household_id] || 0) + 1;
  const pairHousehold = Object.keys(counts).find((h) => counts[h] >= 2 && h !== 'null');
  assert.ok(pairHousehold, 'a household with two members');
  const g1 = take((p) => String(p.household_id) === pairHousehold);
  const g2 = take((p) => String(p.household_id) === pairHousehold);
  const red = take();
  const cases = [
    [{ person_id: undefined }, 422, 'missing_field', 'person_id'],
    [{ person_id: 'x' }, 422, 'invalid_field', 'person_id'],
    [{ color: undefined }, 422, 'missing_field', 'color'],
    [{ color: 'purple' }, 422, 'invalid_field', 'color'],
    [{ valid_days: 0 }, 422, 'invalid_field', 'valid_days'],
    [{ valid_days: 31 }, 422, 'invalid_field', 'valid_days'],
    [{ note: 'a\u0001b' }, 422, 'invalid_field', 'note'],
    [{ replace: 'yes' }, 422, 'invalid_field', 'replace'],
    [{ person_id: other.id }, 404, 'person_not_found', 'person_id'],
  ];
  for (const [over, status, code, field] of cases) {
    const b = { person_id: red.id, color: 'red', ...over };
    for (const k of Object.keys(over)) if (over[k] === undefined) delete b[k];
    expectError(await worker.post('/api/v1/cards', b), status, code, field);
  }
  const officer1 = await fk.login(fk.users.officer1);
  expectError(await officer1.post('/api/v1/cards', { person_id: red.id, color: 'red' }), 404, 'person_not_found', 'person_id');

  const c = expectJson(await worker.post('/api/v1/cards', { person_id: red.id, color: 'red', note: '重点人员' }), 201);
  assert.match(c.code, /^FKC:[0-9A-Z $%*+\-./:]+$/);
  assert.equal(c.color, 'red');
  assert.equal(c.color_label, '红卡');
  assert.equal(c.state, 'active');
  assert.equal(c.person.id, red.id);
  assert.equal(c.person.name, red.name);
  assert.match(c.person.id_number, /\*/, 'ID masked for a community worker');
  assert.equal(c.region, red.region);
  assert.ok(c.region_name.length > 0);
  assert.match(c.issued_at, RFC3339);
  assert.equal(Date.parse(c.expires_at) - Date.parse(c.issued_at), 30 * 86400 * 1000);
  assert.equal(c.issued_by.name, '网格员甲');
  cards.red = c;

  const dup = expectError(await worker.post('/api/v1/cards', { person_id: red.id, color: 'blue' }), 409, 'card_exists', 'person_id');
  assert.equal(dup.existing_id, c.id);
  // Replace: the old card is revoked, its code too.
  const blueFirst = take();
  cards.toReplace = expectJson(await worker.post('/api/v1/cards', { person_id: blueFirst.id, color: 'green', valid_days: 7 }), 201);
  assert.equal(Date.parse(cards.toReplace.expires_at) - Date.parse(cards.toReplace.issued_at), 7 * 86400 * 1000);
  cards.blue = expectJson(await worker.post('/api/v1/cards', { person_id: blueFirst.id, color: 'blue', replace: true }), 201);
  assert.notEqual(cards.blue.id, cards.toReplace.id);
  const old = expectJson(await worker.get(`/api/v1/cards/${cards.toReplace.id}`));
  assert.equal(old.state, 'revoked');
  assert.equal(old.revoked_reason, '重新发放');

  cards.green = expectJson(await worker.post('/api/v1/cards', { person_id: g1.id, color: 'green' }), 201);
  const taken = expectError(await worker.post('/api/v1/cards', { person_id: g2.id, color: 'green' }), 409, 'green_taken', 'color');
  assert.equal(taken.existing_id, cards.green.id);
  cards.g2 = g2;
  cards.yellow = expectJson(await worker.post('/api/v1/cards', { person_id: take().id, color: 'yellow' }), 201);
  assert.equal(cards.yellow.color_label, '黄卡');
});

test('list, detail, QR, ledger; revoke validates and revokes once; jurisdiction hides cards', async () => {
  const worker = await fk.login(fk.users.worker);
  const list = expectList(await worker.get(`/api/v1/cards?region=${COM}&per_page=50`), { perPage: 50 });
  const ids = list.items.map((c) => c.id);
  for (const c of [cards.red, cards.blue, cards.green, cards.yellow]) assert.ok(ids.includes(c.id));
  assert.ok(!ids.includes(cards.toReplace.id), 'revoked cards are not listed by default');
  assert.equal(expectList(await worker.get('/api/v1/cards?state=revoked')).items[0].id, cards.toReplace.id);
  assert.deepEqual(expectList(await worker.get('/api/v1/cards?color=green')).items.map((c) => c.id), [cards.green.id]);
  assert.equal(expectList(await worker.get(`/api/v1/cards?q=${encodeURIComponent(cards.red.person.name)}`)).items.some((c) => c.id === cards.red.id), true);
  expectError(await worker.get('/api/v1/cards?color=pink'), 422, 'invalid_field', 'color');
  expectError(await worker.get('/api/v1/cards?state=lost'), 422, 'invalid_field', 'state');
  expectError(await worker.get(`/api/v1/cards?region=${T1}`), 404, 'region_not_found', 'region');

  const qr = await worker.get(`/api/v1/cards/${cards.red.id}/qr.svg`);
  assert.equal(qr.status, 200);
  assert.match(qr.headers['content-type'], /^image\/svg\+xml/);
  assert.match(qr.text, /<svg/);

  const csv = await worker.get(`/api/v1/cards/export?format=csv&region=${COM}`);
  assert.equal(csv.status, 200);
  assert.match(csv.headers['content-disposition'], /cards-\d{4}-\d{2}-\d{2}\.csv/);
  assert.match(csv.text, /四色通行证|颜色/);
  assert.ok(csv.text.includes(cards.red.person.name));
  assert.ok(csv.text.includes('红卡'));
  const xlsx = await worker.get('/api/v1/cards/export');
  assert.equal(xlsx.status, 200);
  assert.equal(xlsx.buffer.subarray(0, 2).toString(), 'PK');

  // Another township's officer and staff: the card does not exist for them.
  const officer1 = await fk.login(fk.users.officer1);
  expectError(await officer1.get(`/api/v1/cards/${cards.red.id}`), 404, 'card_not_found', 'id');
  expectError(await officer1.get(`/api/v1/cards/${cards.red.id}/qr.svg`), 404, 'card_not_found', 'id');
  expectError(await officer1.post(`/api/v1/cards/${cards.red.id}/revoke`, { reason: 'x' }), 404, 'card_not_found', 'id');
  assert.equal(expectList(await officer1.get('/api/v1/cards')).total, 0);
  const staff0 = await fk.login(fk.users.staff0);
  assert.equal((await staff0.get('/api/v1/cards')).status, 403);

  // Revoke.
  cards.revoked = expectJson(await worker.post('/api/v1/cards', { person_id: take().id, color: 'blue' }), 201);
  expectError(await worker.post(`/api/v1/cards/${cards.revoked.id}/revoke`, {}), 422, 'missing_field', 'reason');
  const r = expectJson(await worker.post(`/api/v1/cards/${cards.revoked.id}/revoke`, { reason: '已搬离' }));
  assert.equal(r.state, 'revoked');
  assert.equal(r.revoked_reason, '已搬离');
  expectError(await worker.post(`/api/v1/cards/${cards.revoked.id}/revoke`, { reason: '再次' }), 409, 'card_revoked', 'state');

  // Reads and changes are audited.
  const admin = await fk.login(fk.users.admin);
  const audit = expectJson(await admin.get('/api/v1/audit?per_page=200'));
  const actions = new Set(audit.items.map((a) => a.action));
  for (const a of ['card_issue', 'card_read', 'card_list', 'card_revoke', 'card_export', 'card_qr']) assert.ok(actions.has(a), a);
});

test('gate rules: red and yellow never out, blue out, green once per 48 h (47 h refused, 49 h allowed), in always', async () => {
  const staff = await fk.login(fk.users.staff0);
  const check = async (code, direction, when, allowed, reasonCode) => {
    const res = expectJson(await scan(staff, code, direction, when), 201);
    assert.equal(res.allowed, allowed, `${direction} at ${when}: ${JSON.stringify(res)}`);
    if (reasonCode) assert.equal(res.reason_code, reasonCode);
    assert.match(res.reason, /[\u4e00-\u9fff]/, 'Chinese reason');
    return res;
  };
  const red = await check(cards.red.code, 'out', at(-1), false, 'red_card');
  assert.equal(red.color, 'red');
  assert.equal(red.color_label, '红卡');
  assert.equal(red.person.name, cards.red.person.name);
  assert.match(red.person.id_number, /\*/);
  assert.equal(red.direction, 'out');
  assert.equal(Date.parse(red.scanned_at), Date.parse(at(-1)));
  await check(cards.red.code, 'in', at(-1), true, 'ok');
  await check(cards.yellow.code, 'out', at(-1), false, 'yellow_card');
  await check(cards.yellow.code, 'in', at(-1), true);
  await check(cards.blue.code, 'out', at(-1), true, 'ok');
  await check(cards.blue.code, 'out', at(-0.5), true, 'ok');
  // Green: first exit, 47 h later refused, 49 h later allowed, 47 h after that refused.
  await check(cards.green.code, 'out', at(-100), true, 'ok');
  const used = await check(cards.green.code, 'out', at(-53), false, 'green_used');
  assert.match(used.reason, /48 小时/);
  await check(cards.green.code, 'out', at(-51), true, 'ok');
  await check(cards.green.code, 'in', at(-50), true, 'ok');
  await check(cards.green.code, 'out', at(-4), false, 'green_used');
  // The replaced and the revoked card, a forged code, another type, an unknown card.
  await check(cards.toReplace.code, 'out', at(-1), false, 'revoked');
  await check(cards.revoked.code, 'in', at(-1), false, 'revoked');
  const c = cards.blue.code;
  const i = 20;
  const forged = c.slice(0, i) + (c[i] === 'A' ? 'B' : 'A') + c.slice(i + 1);
  const f = await check(forged, 'out', at(-1), false);
  assert.ok(['forged', 'unreadable'].includes(f.reason_code), f.reason_code);
  await check('hello', 'out', at(-1), false, 'unreadable');
  const expires = at(24 * 10);
  const personal = (await fk.cliOk(['keys', 'issue', '--db', fk.db, '--type', 'personal', '--id', '1', '--expires', expires])).stdout.trim();
  await check(personal, 'out', at(-1), false, 'not_card');
  const ghost = (await fk.cliOk(['keys', 'issue', '--db', fk.db, '--type', 'card', '--id', '999999', '--expires', expires])).stdout.trim();
  await check(ghost, 'out', at(-1), false, 'unknown_card');
  // A card of another community is refused at this gate.
  const admin = await fk.login(fk.users.admin);
  cards.other = expectJson(await admin.post('/api/v1/cards', { person_id: other.id, color: 'blue' }), 201);
  const o = await check(cards.other.code, 'out', at(-1), false, 'other_compound');
  assert.equal(o.reason, '非本小区（社区）通行证');
});

test('gate scan validation: a 422 per field; only gates; checkpoints outside the jurisdiction do not exist', async () => {
  const staff = await fk.login(fk.users.staff0);
  const good = { code: cards.blue.code, direction: 'out', scanned_at: at(-1), idempotency_key: 'k-1' };
  const cases = [
    [{ code: undefined }, 'missing_field', 'code'],
    [{ direction: 'up' }, 'invalid_field', 'direction'],
    [{ direction: undefined }, 'missing_field', 'direction'],
    [{ scanned_at: 'yesterday' }, 'invalid_field', 'scanned_at'],
    [{ scanned_at: at(1) }, 'invalid_field', 'scanned_at'],
    [{ scanned_at: at(-8 * 24) }, 'invalid_field', 'scanned_at'],
    [{ idempotency_key: undefined }, 'missing_field', 'idempotency_key'],
    [{ idempotency_key: 'a b' }, 'invalid_field', 'idempotency_key'],
    [{ idempotency_key: 'k'.repeat(65) }, 'invalid_field', 'idempotency_key'],
  ];
  for (const [over, code, field] of cases) {
    const b = { ...good, ...over };
    for (const k of Object.keys(over)) if (over[k] === undefined) delete b[k];
    expectError(await staff.post(`/api/v1/gates/${gate.main.id}/scans`, b), 422, code, field);
  }
  expectError(await staff.post(`/api/v1/gates/${gate.road.id}/scans`, good), 422, 'invalid_field', 'checkpoint_id');
  expectError(await staff.post('/api/v1/gates/999999/scans', good), 404, 'checkpoint_not_found', 'checkpoint_id');
  const staff1 = await fk.login(fk.users.staff1);
  expectError(await staff1.post(`/api/v1/gates/${gate.main.id}/scans`, good), 404, 'checkpoint_not_found', 'checkpoint_id');
});

test('concurrent duplicates with one idempotency key store one scan; all answers agree', async () => {
  const staff = await fk.login(fk.users.staff0);
  const before = expectList(await staff.get(`/api/v1/gates/${gate.main.id}/scans?per_page=200`), { perPage: 200 }).total;
  const key = `dup-${randomBytes(6).toString('hex')}`;
  const answers = await Promise.all(Array.from({ length: 10 }, () => scan(staff, cards.blue.code, 'out', at(-0.25), key)));
  const statuses = answers.map((r) => r.status).sort();
  assert.equal(statuses.filter((s) => s === 201).length, 1, `statuses ${statuses}`);
  assert.equal(statuses.filter((s) => s === 200).length, 9, `statuses ${statuses}`);
  const ids = new Set(answers.map((r) => r.json.scan_id));
  assert.equal(ids.size, 1);
  assert.ok(answers.every((r) => r.json.allowed === true && r.json.reason === answers[0].json.reason));
  const log = expectList(await staff.get(`/api/v1/gates/${gate.main.id}/scans?per_page=200`), { perPage: 200 });
  assert.equal(log.total, before + 1);
  assert.equal(log.items.filter((s) => s.scan_id === answers[0].json.scan_id).length, 1);
});

test('gate log: filters; another township never sees it, district-level does', async () => {
  const staff = await fk.login(fk.users.staff0);
  const log = expectList(await staff.get(`/api/v1/gates/${gate.main.id}/scans?per_page=200`), { perPage: 200 });
  assert.ok(log.total >= 19, `log total ${log.total}`);
  assert.ok(log.items.every((s) => s.checkpoint_id === gate.main.id && s.checkpoint_name === '幸福小区东门'));
  const refused = expectList(await staff.get(`/api/v1/gates/${gate.main.id}/scans?allowed=0&per_page=200`), { perPage: 200 });
  assert.ok(refused.total > 0 && refused.items.every((s) => s.allowed === false));
  const window = expectList(await staff.get(`/api/v1/gates/${gate.main.id}/scans?from=${encodeURIComponent(at(-101))}&until=${encodeURIComponent(at(-52))}`));
  assert.equal(window.total, 2, 'the green exits at -100 h and -53 h');
  expectError(await staff.get(`/api/v1/gates/${gate.main.id}/scans?allowed=maybe`), 422, 'invalid_field', 'allowed');
  const officer1 = await fk.login(fk.users.officer1);
  expectError(await officer1.get(`/api/v1/gates/${gate.main.id}/scans`), 404, 'checkpoint_not_found', 'checkpoint_id');
  const staff1 = await fk.login(fk.users.staff1);
  expectError(await staff1.get(`/api/v1/gates/${gate.main.id}/scans`), 404, 'checkpoint_not_found', 'checkpoint_id');
  assert.equal(expectList(await staff1.get('/api/v1/gates/refusals')).total, 0);
  const admin = await fk.login(fk.users.admin);
  assert.equal(expectList(await admin.get(`/api/v1/gates/${gate.main.id}/scans`)).total, log.total);
  const districtStaff = await fk.login(fk.users.districtStaff);
  assert.equal(expectList(await districtStaff.get(`/api/v1/gates/${gate.main.id}/scans`)).total, log.total);
});

test('refusals: the compound grid worker\'s task list (mine=1), handled once followed up', async () => {
  const worker = await fk.login(fk.users.worker);
  const mine = expectList(await worker.get('/api/v1/gates/refusals?mine=1&handled=0&per_page=200'), { perPage: 200 });
  assert.ok(mine.items.length > 0);
  assert.ok(mine.items.every((s) => s.allowed === false && s.direction === 'out' && s.card_region.startsWith(COM)));
  const red = mine.items.find((s) => s.reason_code === 'red_card');
  assert.ok(red, 'the red card refusal is listed');
  // The other community's card refused at this gate is not this worker's resident.
  assert.ok(!mine.items.some((s) => s.reason_code === 'other_compound'));
  const atGate = expectList(await worker.get('/api/v1/gates/refusals?per_page=200'), { perPage: 200 });
  assert.ok(atGate.items.some((s) => s.reason_code === 'other_compound'), 'refusals at the gates of the jurisdiction');
  const officer1 = await fk.login(fk.users.officer1);
  expectError(await officer1.patch(`/api/v1/gates/refusals/${red.scan_id}`, { handled: true }), 404, 'scan_not_found', 'scan_id');
  expectError(await worker.patch(`/api/v1/gates/refusals/${red.scan_id}`, {}), 422, 'missing_field', 'handled');
  const done = expectJson(await worker.patch(`/api/v1/gates/refusals/${red.scan_id}`, { handled: true, note: '已电话劝返' }));
  assert.equal(done.handled, true);
  assert.equal(done.note, '已电话劝返');
  assert.match(done.handled_at, RFC3339);
  const after = expectList(await worker.get('/api/v1/gates/refusals?mine=1&handled=0&per_page=200'), { perPage: 200 });
  assert.equal(after.total, mine.total - 1);
  assert.ok(expectList(await worker.get('/api/v1/gates/refusals?mine=1&handled=1')).items.some((s) => s.scan_id === red.scan_id));
});

test('entering home quarantine turns the card yellow (and frees the green slot); yellow is refused out', async () => {
  const admin = await fk.login(fk.users.admin);
  const staff = await fk.login(fk.users.staff0);
  const team = [
    { role: 'township_cadre', user_id: fk.users.officer.id },
    { role: 'village_cadre', name: '村干部', phone: '13800001111' },
    { role: 'village_doctor', name: '村医', phone: '13800001112' },
    { role: 'police', name: '民警', phone: '13800001113' },
    { role: 'grid_worker', user_id: fk.users.worker.id },
  ];
  const hq = expectJson(await admin.post('/api/v1/home-quarantines', { person_id: cards.green.person.id, days: 14, reason: 'close_contact', team }), 201);
  const card = expectJson(await admin.get(`/api/v1/cards/${cards.green.id}`));
  assert.equal(card.color, 'yellow');
  const res = expectJson(await scan(staff, cards.green.code, 'out', at(0)), 201);
  assert.equal(res.allowed, false);
  assert.equal(res.reason_code, 'yellow_card');
  // The household's green slot is free again.
  expectJson(await admin.post('/api/v1/cards', { person_id: cards.g2.id, color: 'green' }), 201);
  // A quarantined person gets only a yellow card.
  const q = take();
  const hq2 = expectJson(await admin.post('/api/v1/home-quarantines', { person_id: q.id, days: 14, reason: 'close_contact', team }), 201);
  expectError(await admin.post('/api/v1/cards', { person_id: q.id, color: 'green' }), 422, 'invalid_field', 'color');
  const qc = expectJson(await admin.post('/api/v1/cards', { person_id: q.id, color: 'yellow' }), 201);

  // Released, a card gets back the colour it had — green only while the household's slot is free.
  const release = (id) => admin.patch(`/api/v1/home-quarantines/${id}`, { outcome: 'released' });
  expectJson(await release(hq.id));
  assert.equal(expectJson(await admin.get(`/api/v1/cards/${cards.green.id}`)).color, 'yellow', 'g2 holds the green slot');
  expectJson(await release(hq2.id));
  assert.equal(expectJson(await admin.get(`/api/v1/cards/${qc.id}`)).color, 'yellow', 'issued yellow, stays yellow');
  const b = take();
  const blue = expectJson(await admin.post('/api/v1/cards', { person_id: b.id, color: 'blue' }), 201);
  const hq3 = expectJson(await admin.post('/api/v1/home-quarantines', { person_id: b.id, days: 14, reason: 'returnee', team }), 201);
  assert.equal(expectJson(await admin.get(`/api/v1/cards/${blue.id}`)).color, 'yellow');
  expectJson(await release(hq3.id));
  const back = expectJson(await admin.get(`/api/v1/cards/${blue.id}`));
  assert.equal(back.color, 'blue');
  assert.equal(expectJson(await scan(staff, blue.code, 'out', at(0)), 201).allowed, true);
});

test('bulk issue for a compound: by rule, one green per household, idempotent', async () => {
  const admin = await fk.login(fk.users.admin);
  const members = expectJson(await admin.get(`/api/v1/persons?region=${KB}&per_page=200`)).items;
  assert.ok(members.length >= 3, `compound ${KB} has ${members.length} persons`);
  expectJson(await admin.patch(`/api/v1/persons/${members[0].id}`, { categories: ['key_person'] }));
  expectJson(await admin.patch(`/api/v1/persons/${members[1].id}`, { categories: ['staff'] }));
  expectError(await admin.post('/api/v1/cards/bulk', {}), 422, 'missing_field', 'region');
  expectError(await admin.post('/api/v1/cards/bulk', { region: KB.slice(0, 12) }), 422, 'invalid_field', 'region');
  expectError(await admin.post('/api/v1/cards/bulk', { region: KB, valid_days: 40 }), 422, 'invalid_field', 'valid_days');
  const officer1 = await fk.login(fk.users.officer1);
  expectError(await officer1.post('/api/v1/cards/bulk', { region: KB }), 404, 'region_not_found', 'region');
  const r = expectJson(await admin.post('/api/v1/cards/bulk', { region: KB }));
  assert.equal(r.issued.red, 1);
  assert.equal(r.issued.blue, 1);
  assert.equal(r.issued.yellow, 0);
  const households = new Set(members.map((m) => m.household_id));
  assert.ok(r.issued.green >= 1 && r.issued.green <= households.size, JSON.stringify(r));
  assert.equal(r.issued.red + r.issued.yellow + r.issued.blue + r.issued.green + r.skipped, members.length);
  const greens = expectList(await admin.get(`/api/v1/cards?region=${KB}&color=green`)).items;
  assert.equal(greens.length, r.issued.green);
  assert.equal(new Set(greens.map((c) => c.household_id)).size, greens.length, 'one green per household');
  // Exactly the expected holders: the head if still colourless, else the oldest adult (18–65).
  const coloured = new Set([members[0].id, members[1].id]);
  const expected = [];
  for (const h of households) {
    const household = expectJson(await admin.get(`/api/v1/households/${h}`));
    const inside = members.filter((m) => m.household_id === h && !coloured.has(m.id));
    const head = inside.find((m) => m.id === household.head_person_id);
    const adults = inside.filter((m) => m.age >= 18 && m.age <= 65).sort((a, b) => a.birth_date.localeCompare(b.birth_date) || a.id - b.id);
    const pick = head || adults[0];
    if (pick) expected.push(pick.id);
  }
  assert.deepEqual(greens.map((c) => c.person.id).sort((a, b) => a - b), expected.sort((a, b) => a - b));
  const red = expectList(await admin.get(`/api/v1/cards?region=${KB}&color=red`)).items;
  assert.deepEqual(red.map((c) => c.person.id), [members[0].id]);
  const again = expectJson(await admin.post('/api/v1/cards/bulk', { region: KB }));
  assert.deepEqual(again.issued, { red: 0, yellow: 0, blue: 0, green: 0 });
  assert.equal(again.skipped, r.skipped);
});

// A green card for someone of the pool whose household holds none yet.
async function freshGreen(client) {
  for (;;) {
    const p = take();
    const res = await client.post('/api/v1/cards', { person_id: p.id, color: 'green' });
    if (res.status === 201) return res.json;
    expectError(res, 409, 'green_taken', 'color');
  }
}

const extraGates = [];
async function gates(n) {
  const admin = await fk.login(fk.users.admin);
  while (extraGates.length < n)
    extraGates.push(expectJson(await admin.post('/api/v1/checkpoints', { name: `幸福小区${extraGates.length + 2}号门`, type: 'compound_gate', level: 4, region: COM }), 201));
  return extraGates.slice(0, n);
}

test('green exits hold in both directions of time: the backdated sequence, the same scanned_at twice, the household slot', async () => {
  const worker = await fk.login(fk.users.worker);
  const staff = await fk.login(fk.users.staff0);
  const [g] = await gates(1);
  // now, −1 h, −5 h, −2 d 1 h, −4 d, one after the other: only exits 48 h
  // from every allowed one pass — now and −49 h (−96 h is 47 h before −49 h).
  const card = await freshGreen(worker);
  const got = [];
  for (const h of [0, -1, -5, -49, -96]) {
    const r = expectJson(await scan(staff, card.code, 'out', at(h), undefined, g.id), 201);
    got.push(r.allowed);
    if (!r.allowed) assert.equal(r.reason_code, 'green_used', JSON.stringify(r));
  }
  assert.deepEqual(got, [true, false, false, true, false]);
  // Two exits with the same scanned_at, one after the other.
  const twice = await freshGreen(worker);
  assert.equal(expectJson(await scan(staff, twice.code, 'out', at(-10), undefined, g.id), 201).allowed, true);
  const second = expectJson(await scan(staff, twice.code, 'out', at(-10), undefined, g.id), 201);
  assert.equal(second.allowed, false);
  assert.equal(second.reason_code, 'green_used');
  // Coming back in is never limited.
  assert.equal(expectJson(await scan(staff, twice.code, 'in', at(-9), undefined, g.id), 201).allowed, true);

  // The household's green slot: the card is revoked and another member gets
  // the green card; their exits are held against the first holder's.
  const byHousehold = {};
  for (const p of pool) if (p.household_id != null) (byHousehold[p.household_id] ??= []).push(p);
  let a, b, first;
  for (const members of Object.values(byHousehold)) {
    if (members.length < 2) continue;
    const res = await worker.post('/api/v1/cards', { person_id: members[0].id, color: 'green' });
    if (res.status !== 201) continue;
    [a, b] = members;
    first = res.json;
    break;
  }
  assert.ok(first, 'a household of two without a green card');
  pool = pool.filter((p) => p.id !== a.id && p.id !== b.id);
  assert.equal(expectJson(await scan(staff, first.code, 'out', at(-20), undefined, g.id), 201).allowed, true);
  expectJson(await worker.post(`/api/v1/cards/${first.id}/revoke`, { reason: '改由家人采购' }));
  const other = expectJson(await worker.post('/api/v1/cards', { person_id: b.id, color: 'green' }), 201);
  const held = expectJson(await scan(staff, other.code, 'out', at(-10), undefined, g.id), 201);
  assert.equal(held.allowed, false, JSON.stringify(held));
  assert.equal(held.reason_code, 'green_used');
  assert.equal(expectJson(await scan(staff, other.code, 'out', at(-30), undefined, g.id), 201).allowed, false, '10 h before');
  assert.equal(expectJson(await scan(staff, other.code, 'out', at(-69), undefined, g.id), 201).allowed, true, '49 h before');
});

test('20 parallel exits of one green card: exactly one allowed at one gate, and over three gates', async () => {
  const worker = await fk.login(fk.users.worker);
  const staff = await fk.login(fk.users.staff0);
  const three = await gates(3);
  for (const spread of [[three[0]], three]) {
    const card = await freshGreen(worker);
    // scanned_at spread over 3 s, the gates taken in turn.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => scan(staff, card.code, 'out', new Date(NOW_MS - 3600e3 + i * 150).toISOString(), undefined, spread[i % spread.length].id)),
    );
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [201]);
    const allowed = answers.filter((r) => r.json.allowed);
    assert.equal(allowed.length, 1, `${spread.length} gate(s): ${allowed.length} of 20 allowed`);
    assert.ok(answers.filter((r) => !r.json.allowed).every((r) => r.json.reason_code === 'green_used'));
  }
});

test('an offline exit that collides with a recorded one is stored refused, flagged for review and listed for the grid worker', async () => {
  const worker = await fk.login(fk.users.worker);
  const staff = await fk.login(fk.users.staff0);
  const [g] = await gates(1);
  const card = await freshGreen(worker);
  const post = (scannedAt, key, offline = true) =>
    staff.post(`/api/v1/gates/${g.id}/scans`, { code: card.code, direction: 'out', scanned_at: scannedAt, idempotency_key: key, offline });
  const online = expectJson(await post(at(-3), `on-${randomBytes(4).toString('hex')}`, false), 201);
  assert.equal(online.allowed, true);
  assert.equal(online.offline, false);
  assert.equal(online.review, false);
  // The phone let the person out 2 h earlier and synced now.
  const key = `off-${randomBytes(4).toString('hex')}`;
  const late = expectJson(await post(at(-5), key), 201);
  assert.equal(late.allowed, false, 'never allowed twice');
  assert.equal(late.offline, true);
  assert.equal(late.review, true);
  assert.equal(late.reason_code, 'green_exit_conflict');
  assert.match(late.reason, /待核查/);
  // A retry of the same sync answers the stored scan.
  const again = await post(at(-5), key);
  assert.equal(again.status, 200);
  assert.equal(again.json.scan_id, late.scan_id);
  assert.equal(again.json.reason_code, 'green_exit_conflict');
  expectError(await staff.post(`/api/v1/gates/${g.id}/scans`, { code: card.code, direction: 'out', scanned_at: at(-5), idempotency_key: 'x-1', offline: 'yes' }), 422, 'invalid_field', 'offline');
  // The grid worker's task list and the gate log's 待核查 filter show it.
  const mine = expectList(await worker.get('/api/v1/gates/refusals?mine=1&review=1&per_page=200'), { perPage: 200 });
  assert.ok(mine.items.some((s) => s.scan_id === late.scan_id), 'in the grid worker\'s list');
  assert.ok(mine.items.every((s) => s.review === true));
  const log = expectList(await staff.get(`/api/v1/gates/${g.id}/scans?review=1&per_page=200`), { perPage: 200 });
  assert.ok(log.items.some((s) => s.scan_id === late.scan_id));
  assert.ok(log.items.every((s) => s.review === true));
  assert.ok(!log.items.some((s) => s.scan_id === online.scan_id));
  // An offline exit 48 h from every other is simply allowed; an offline red
  // card exit (the phone cannot see colours) is refused and flagged.
  assert.equal(expectJson(await post(at(-51), `off-${randomBytes(4).toString('hex')}`), 201).allowed, true);
  const red = expectJson(await staff.post(`/api/v1/gates/${g.id}/scans`, { code: cards.red.code, direction: 'out', scanned_at: at(-2), idempotency_key: `off-${randomBytes(4).toString('hex')}`, offline: true }), 201);
  assert.equal(red.reason_code, 'red_card');
  assert.equal(red.review, true);
});

test('an expired card is refused (server restarted two days later); a late-synced scan is judged at scanned_at', async () => {
  const worker = await fk.login(fk.users.worker);
  const staff = await fk.login(fk.users.staff0);
  const short = expectJson(await worker.post('/api/v1/cards', { person_id: take().id, color: 'blue', valid_days: 1 }), 201);
  expectJson(await scan(staff, short.code, 'out', at(0)), 201);
  await fk.stopServer();
  fk.options.now = '2022-03-04T08:00:00+08:00';
  await fk.serve();
  // Sessions do not outlive two days: log in again.
  const staffLater = await fk.login(fk.users.staff0);
  const res = expectJson(await scan(staffLater, short.code, 'out', '2022-03-04T08:00:00+08:00'), 201);
  assert.equal(res.allowed, false);
  assert.equal(res.reason_code, 'expired');
  assert.equal(res.reason, '通行证已过期');
  // A scan made offline while the card was still valid and synced late is judged at scanned_at.
  const late = expectJson(await scan(staffLater, short.code, 'in', '2022-03-02T20:00:00+08:00'), 201);
  assert.equal(late.allowed, true, JSON.stringify(late));
  const workerLater = await fk.login(fk.users.worker);
  assert.equal(expectJson(await workerLater.get(`/api/v1/cards/${short.id}`)).expired, true);
});

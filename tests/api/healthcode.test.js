// Health codes (健康码): facts recorded by staff and by modules → colours with
// reasons, precedence, expiry at a controlled clock (the server is restarted
// with a later FANGKONG_NOW, never slept), home quarantine start → red and
// end → green, a fever reading → yellow, the change history, counts by
// township, the recompute job, rule sets and a scheduled switch to the
// twenty measures (5+3), and jurisdiction on every endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, expectList, RFC3339 } from './lib/server.js';

const NOW = '2022-08-01T08:00:00+08:00';
const T0 = Date.parse(NOW);
const at = (hours) => new Date(T0 + hours * 3600e3).toISOString().replace('.000Z', 'Z');
// Relative to the server clock's current start (after restarts).
const rel = (hours) => new Date(Date.parse(fk.options.now) + hours * 3600e3).toISOString().replace('.000Z', 'Z');

const persons = {}; // township code -> persons
let C0; // a community of the first township
const fk = useServer({ now: NOW }, async (fk) => {
  const admin = await fk.login(fk.users.admin);
  for (const t of fk.townships.slice(0, 2)) {
    const list = expectJson(await admin.get(`/api/v1/persons?region=${t.code}&per_page=200`));
    persons[t.code] = list.items;
    assert.ok(list.items.length >= 8, `persons in ${t.code}`);
  }
  const byCommunity = {};
  for (const x of persons[fk.townships[0].code]) (byCommunity[x.region.slice(0, 12)] ??= []).push(x);
  C0 = Object.keys(byCommunity).sort((a, b) => byCommunity[b].length - byCommunity[a].length)[0];
  assert.ok(byCommunity[C0].length >= 2);
  await fk.addUser({ key: 'grid', username: 'h_grid', role: 'community_worker', region: C0, displayName: '网格员' });
  await fk.addUser({ key: 'doctor', username: 'h_doctor', role: 'community_worker', region: C0, displayName: '村医' });
  await fk.addUser({ key: 'cadre', username: 'h_cadre', role: 'community_worker', region: C0, displayName: '村干部' });
  await fk.addUser({ key: 'tracer', username: 'h_tracer', role: 'tracer', region: '141102', displayName: '流调员' });
  await fk.addUser({ key: 'qstaff', username: 'h_qstaff', role: 'quarantine_staff', region: '141102', displayName: '隔离专班' });
});

const p = (town, i) => persons[fk.townships[town].code][i];
const inC0 = () => persons[fk.townships[0].code].filter((x) => x.region.startsWith(C0));

async function restartAt(now, ...clients) {
  await fk.stopServer();
  fk.options.now = now;
  await fk.serve();
  for (const c of clients) c.base = fk.base;
}

async function code(client, person) {
  const body = expectJson(await client.get(`/api/v1/persons/${person.id}/health-code`));
  assert.ok(Array.isArray(body.reasons));
  return body;
}

test('a person without facts is green under the ninth plan', async () => {
  const admin = await fk.login(fk.users.admin);
  const c = await code(admin, p(0, 0));
  assert.equal(c.color, 'green');
  assert.equal(c.label, '绿码');
  assert.deepEqual(c.reasons, []);
  assert.match(c.rules_version, /^ninth-2022-06/);
});

test('staff facts: close contact → red with reason; ending it → green; history logs both', async () => {
  const tracer = await fk.login(fk.users.tracer);
  const person = p(0, 1);
  const fact = expectJson(
    await tracer.post(`/api/v1/persons/${person.id}/health-facts`, {
      kind: 'close_contact', started_at: at(-24), detail: '协查：太原市小店区病例密接',
    }),
    201,
  );
  assert.equal(fact.color, 'red');
  assert.equal(fact.source, 'staff');
  const c = await code(tracer, person);
  assert.equal(c.color, 'red');
  assert.equal(c.reasons[0].rule, 'close_contact');
  assert.equal(c.reasons[0].color, 'red');
  assert.equal(c.reasons[0].label, '密切接触者');
  assert.equal(c.reasons[0].cause, '协查：太原市小店区病例密接');
  assert.match(c.reasons[0].since, RFC3339);
  assert.equal(c.reasons[0].until, null);
  assert.match(c.since, RFC3339);
  const list = expectList(await tracer.get(`/api/v1/persons/${person.id}/health-facts`));
  assert.equal(list.items.length, 1);
  assert.equal(list.items[0].kind_label, '密切接触者');

  const ended = expectJson(await tracer.post(`/api/v1/health-facts/${fact.id}/end`, {}));
  assert.equal(ended.color, 'green');
  assert.equal(ended.open, false);
  expectError(await tracer.post(`/api/v1/health-facts/${fact.id}/end`, {}), 409, 'fact_ended', 'id');
  assert.equal((await code(tracer, person)).color, 'green');
  const hist = expectList(await tracer.get(`/api/v1/persons/${person.id}/health-code/history`));
  assert.deepEqual(hist.items.map((h) => [h.from_color, h.to_color, h.rule]), [
    ['red', 'green', 'none'],
    [null, 'red', 'close_contact'],
  ]);
  // The audit log has the reads and the change of colour.
  const admin = await fk.login(fk.users.admin);
  const audit = expectJson(await admin.get('/api/v1/audit?action=health_code_change&per_page=50'));
  assert.ok(audit.items.some((e) => e.person_id === person.id));
});

test('precedence: red beats yellow; both reasons listed, red first', async () => {
  const tracer = await fk.login(fk.users.tracer);
  const person = p(0, 2);
  expectJson(await tracer.post(`/api/v1/persons/${person.id}/health-facts`, { kind: 'overdue_test', started_at: at(-2) }), 201);
  assert.equal((await code(tracer, person)).color, 'yellow');
  expectJson(await tracer.post(`/api/v1/persons/${person.id}/health-facts`, { kind: 'case', started_at: at(-1) }), 201);
  const c = await code(tracer, person);
  assert.equal(c.color, 'red');
  assert.deepEqual(c.reasons.map((r) => [r.rule, r.color]), [['case', 'red'], ['overdue_test', 'yellow']]);
});

test('every yellow kind of the ninth plan gives yellow; risk stays need a level', async () => {
  const qs = await fk.login(fk.users.qstaff);
  const kinds = ['tests_owed', 'overdue_test', 'fever', 'pool_recall'];
  for (const [i, kind] of kinds.entries()) {
    const person = p(1, i);
    const body = { kind, started_at: at(-1) };
    if (kind === 'fever') body.ended_at = at(-1);
    expectJson(await qs.post(`/api/v1/persons/${person.id}/health-facts`, body), 201);
    assert.equal((await code(qs, person)).color, 'yellow', kind);
  }
  const reds = ['secondary_contact', 'central_quarantine'];
  for (const [i, kind] of reds.entries()) {
    const person = p(1, 4 + i);
    expectJson(await qs.post(`/api/v1/persons/${person.id}/health-facts`, { kind, started_at: at(-1) }), 201);
    assert.equal((await code(qs, person)).color, 'red', kind);
  }
  // A stay in a medium-risk area within 7 days is red; a low-risk one is not.
  const stay = p(1, 6);
  expectJson(await qs.post(`/api/v1/persons/${stay.id}/health-facts`, { kind: 'risk_stay', level: 'low', started_at: at(-24), ended_at: at(-20) }), 201);
  assert.equal((await code(qs, stay)).color, 'green');
  expectJson(await qs.post(`/api/v1/persons/${stay.id}/health-facts`, { kind: 'risk_stay', level: 'medium', region: '140105', started_at: at(-24), ended_at: at(-20) }), 201);
  const c = await code(qs, stay);
  assert.equal(c.color, 'red');
  assert.equal(c.reasons[0].rule, 'risk_stay');
  assert.match(c.reasons[0].until, RFC3339); // 7 days after the stay began

  const target = `/api/v1/persons/${p(1, 7).id}/health-facts`;
  expectError(await qs.post(target, { kind: 'flu', started_at: at(0) }), 422, 'invalid_field', 'kind');
  expectError(await qs.post(target, { kind: 'risk_stay', started_at: at(0) }), 422, 'missing_field', 'level');
  expectError(await qs.post(target, { kind: 'case', started_at: 'yesterday' }), 422, 'invalid_field', 'started_at');
  expectError(await qs.post(target, { kind: 'case' }), 422, 'missing_field', 'started_at');
  expectError(await qs.post(target, { kind: 'case', started_at: at(0), ended_at: at(-5) }), 422, 'invalid_field', 'ended_at');
  expectError(await qs.post(target, { kind: 'case', started_at: at(0), level: 'severe' }), 422, 'invalid_field', 'level');
  expectError(await qs.post(target, { kind: 'case', started_at: at(0), colour: 'red' }), 422, 'invalid_field', 'colour');
  expectError(await qs.post(target, { kind: 'arrival', started_at: at(0), region: '14' }), 422, 'invalid_field', 'region');
  assert.equal((await code(qs, p(1, 7))).color, 'green', 'nothing half-written');
});

test('home quarantine start → red; fever reading → yellow reason; end → yellow until the fever expires → green', async () => {
  const admin = await fk.login(fk.users.admin);
  const person = inC0()[0];
  const team = [
    { role: 'township_cadre', user_id: fk.users.officer.id },
    { role: 'village_cadre', user_id: fk.users.cadre.id },
    { role: 'village_doctor', user_id: fk.users.doctor.id },
    { role: 'police', name: '派出所王警官', phone: '13800001111' },
    { role: 'grid_worker', user_id: fk.users.grid.id },
  ];
  const q = expectJson(
    await admin.post('/api/v1/home-quarantines', { person_id: person.id, starts_at: at(-1), days: 7, reason: 'close_contact', team }),
    201,
  );
  let c = await code(admin, person);
  assert.equal(c.color, 'red');
  assert.equal(c.reasons[0].rule, 'home_quarantine');
  expectJson(await admin.post(`/api/v1/home-quarantines/${q.id}/temperatures`, { celsius: 38.1, measured_at: at(0) }), 201);
  c = await code(admin, person);
  assert.equal(c.color, 'red');
  assert.deepEqual(c.reasons.map((r) => r.rule), ['home_quarantine', 'fever']);
  assert.match(c.reasons[1].cause, /38\.1/);
  expectJson(await admin.patch(`/api/v1/home-quarantines/${q.id}`, { outcome: 'released', ended_at: at(0) }));
  c = await code(admin, person);
  assert.equal(c.color, 'yellow', 'the fever keeps it yellow for a day (expire_days 1)');
  // A day later the fever reason has expired: re-evaluated on read.
  await restartAt(at(25));
  const again = await fk.login(fk.users.admin);
  c = await code(again, person);
  assert.equal(c.color, 'green');
  const hist = expectList(await again.get(`/api/v1/persons/${person.id}/health-code/history`));
  assert.deepEqual(hist.items.map((h) => h.to_color), ['green', 'yellow', 'red']);
});

test('counts by township for the dashboard', async () => {
  const admin = await fk.login(fk.users.admin);
  const s = expectJson(await admin.get('/api/v1/health-codes/stats'));
  assert.equal(s.region.code, '141102000000');
  assert.ok(s.items.length >= 2);
  const t1 = s.items.find((i) => i.region === fk.townships[1].code);
  assert.ok(t1.red >= 3 && t1.yellow >= 3, JSON.stringify(t1)); // the fever expired a day later
  assert.equal(t1.total, t1.green + t1.yellow + t1.red);
  const officer = await fk.login(fk.users.officer);
  const own = expectJson(await officer.get('/api/v1/health-codes/stats'));
  assert.equal(own.region.code, fk.townships[0].code);
  expectError(await officer.get(`/api/v1/health-codes/stats?region=${fk.townships[1].code}`), 404, 'region_not_found', 'region');
});

test('jurisdiction: outside persons do not exist; roles are enforced', async () => {
  const officer = await fk.login(fk.users.officer);
  const other = p(1, 0);
  expectError(await officer.get(`/api/v1/persons/${other.id}/health-code`), 404, 'person_not_found');
  expectError(await officer.get(`/api/v1/persons/${other.id}/health-code/history`), 404, 'person_not_found');
  expectError(await officer.get(`/api/v1/persons/${other.id}/health-facts`), 404, 'person_not_found');
  expectError(await officer.post(`/api/v1/persons/${other.id}/health-facts`, { kind: 'case', started_at: at(0) }), 404, 'person_not_found');
  const qs = await fk.login(fk.users.qstaff);
  const f = expectJson(await qs.post(`/api/v1/persons/${other.id}/health-facts`, { kind: 'overdue_test', started_at: at(0) }), 201);
  expectError(await officer.post(`/api/v1/health-facts/${f.id}/end`, {}), 404, 'fact_not_found');
  const grid = await fk.login(fk.users.grid);
  assert.equal((await grid.post(`/api/v1/persons/${inC0()[1].id}/health-facts`, { kind: 'case', started_at: at(0) })).status, 403);
  expectJson(await grid.get(`/api/v1/persons/${inC0()[1].id}/health-code`));
  assert.equal((await officer.post('/api/v1/health-codes/recompute', {})).status, 403);
  assert.equal((await officer.post('/api/v1/health-rules/schedule', { name: 'twenty-2022-11', effective_from: at(1) })).status, 403);
  // Facts recorded by a module are ended in that module.
  const admin = await fk.login(fk.users.admin);
  const hq = expectList(await admin.get(`/api/v1/persons/${inC0()[0].id}/health-facts`));
  const homeq = hq.items.find((i) => i.source === 'homeq');
  expectError(await admin.post(`/api/v1/health-facts/${homeq.id}/end`, {}), 409, 'fact_owned_by_module');
});

test('full recompute runs as a job with progress', async () => {
  const admin = await fk.login(fk.users.admin);
  const r = expectJson(await admin.post('/api/v1/health-codes/recompute', {}), 202);
  assert.ok(r.job_id > 0);
  let job;
  for (let i = 0; i < 100; i++) {
    job = expectJson(await admin.get(`/api/v1/jobs/${r.job_id}`));
    if (job.state === 'done' || job.state === 'failed') break;
    await new Promise((ok) => setTimeout(ok, 100)); // polling a job, not waiting for time
  }
  assert.equal(job.state, 'done', JSON.stringify(job));
  assert.ok(job.total >= 300 && job.done === job.total, JSON.stringify(job));
});

test('rule sets: listed; a switch to the twenty measures scheduled ahead takes effect when the clock passes it (5+3)', async () => {
  let admin = await fk.login(fk.users.admin);
  const rules = expectJson(await admin.get('/api/v1/health-rules'));
  assert.deepEqual(rules.sets.map((s) => s.name).sort(), ['ninth-2022-06', 'twenty-2022-11']);
  assert.equal(rules.active.name, 'ninth-2022-06');
  const twenty = rules.sets.find((s) => s.name === 'twenty-2022-11');
  assert.deepEqual(twenty.risk_levels, ['high', 'low']);
  assert.equal(twenty.title, '二十条优化措施（2022-11-11，密接“5+3”）');
  expectError(await admin.post('/api/v1/health-rules/schedule', { name: 'tenth', effective_from: rel(2) }), 422, 'invalid_field', 'name');
  expectError(await admin.post('/api/v1/health-rules/schedule', { name: 'twenty-2022-11', effective_from: 'soon' }), 422, 'invalid_field', 'effective_from');
  expectError(await admin.post('/api/v1/health-rules/schedule', { name: 'twenty-2022-11' }), 422, 'missing_field', 'effective_from');

  // A close contact since 6 days: red under the ninth plan; under 5+3, day 6 is home quarantine: yellow.
  let tracer = await fk.login(fk.users.tracer);
  const contact = p(0, 3);
  const secondary = p(0, 4);
  expectJson(await tracer.post(`/api/v1/persons/${contact.id}/health-facts`, { kind: 'close_contact', started_at: rel(-6 * 24) }), 201);
  expectJson(await tracer.post(`/api/v1/persons/${secondary.id}/health-facts`, { kind: 'secondary_contact', started_at: rel(-24) }), 201);
  assert.equal((await code(tracer, contact)).color, 'red');
  assert.equal((await code(tracer, secondary)).color, 'red');

  const s = expectJson(await admin.post('/api/v1/health-rules/schedule', { name: 'twenty-2022-11', effective_from: rel(2) }), 201);
  assert.equal(s.job_id, null, 'not in force yet: no recompute');
  assert.equal(s.active, 'ninth-2022-06');
  const listed = expectJson(await admin.get('/api/v1/health-rules'));
  assert.equal(listed.next.name, 'twenty-2022-11');
  assert.equal((await code(tracer, contact)).color, 'red');

  await restartAt(rel(3));
  admin = await fk.login(fk.users.admin);
  tracer = await fk.login(fk.users.tracer);
  const after = expectJson(await admin.get('/api/v1/health-rules'));
  assert.equal(after.active.name, 'twenty-2022-11');
  const c = await code(tracer, contact);
  assert.equal(c.color, 'yellow');
  assert.equal(c.reasons[0].rule, 'close_contact_home');
  assert.match(c.rules_version, /^twenty-2022-11/);
  // Secondary contacts are no longer identified under the twenty measures.
  assert.equal((await code(tracer, secondary)).color, 'green');
  // Three days later the 5+3 is over.
  await restartAt(rel(2 * 24 + 1));
  tracer = await fk.login(fk.users.tracer);
  assert.equal((await code(tracer, contact)).color, 'green');
});

test('--rules-dir: a bad file refuses to start naming file and field; a good one adds a set', async () => {
  const { mkdtempSync, writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'fk-rules-'));
  const ninth = JSON.parse(readFileSync(new URL('../../rules/ninth-2022-06.json', import.meta.url), 'utf8'));
  const bad = { ...ninth, name: 'local-bad', rules: [{ ...ninth.rules[0], color: 'purple' }] };
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
  const r = await fk.cli(['serve', '--db', fk.db, '--listen', '127.0.0.1:1', '--rules-dir', dir], { timeoutMs: 20000 });
  assert.equal(r.code, 64, r.stderr);
  assert.match(r.stderr, /bad\.json: rules\[0\]\.color: must be red or yellow/);

  const good = { ...ninth, name: 'lishi-2022-12', version: 'lishi-2022-12.1', effective_date: '2022-12-01', title: '离石区本地规则' };
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(good));
  fk.options.serveArgs = ['--rules-dir', dir];
  await restartAt(rel(0));
  const admin = await fk.login(fk.users.admin);
  const rules = expectJson(await admin.get('/api/v1/health-rules'));
  const local = rules.sets.find((s) => s.name === 'lishi-2022-12');
  assert.equal(local.origin, 'rules-dir');
  assert.equal(local.title, '离石区本地规则');
  fk.options.serveArgs = [];
});

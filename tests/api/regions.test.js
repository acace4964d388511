// GET /api/v1/regions/{code}: the demo district, code forms, jurisdiction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, DISTRICT } from './lib/server.js';

let admin, officer, own, sibling;
const fk = useServer({}, async () => {
  admin = await fk.login(fk.users.admin);
  officer = await fk.login(fk.users.officer);
  own = fk.townships[0];
  sibling = fk.townships[1];
});

/** 141102000000 → 141102, 141102001000 → 141102001; longer codes as they are. */
function significant(code) {
  if (code.length !== 12) return code;
  if (code.endsWith('000000')) return code.slice(0, 6);
  if (code.endsWith('000')) return code.slice(0, 9);
  return code;
}

const COUNT_KEYS = ['children', 'compounds', 'households', 'persons'];

function checkCounts(counts, where, keys = COUNT_KEYS) {
  assert.ok(counts && typeof counts === 'object', `${where}: counts`);
  for (const k of keys) {
    assert.ok(Number.isInteger(counts[k]) && counts[k] >= 0, `${where}: counts.${k} = ${counts?.[k]}`);
  }
}

function checkRegion(r, where) {
  for (const k of ['code', 'name', 'level', 'parent', 'path', 'counts', 'children']) assert.ok(k in r, `${where}: key ${k}`);
  assert.match(r.code, /^\d{12}(\d{3}){0,2}$/, `${where}: code ${r.code}`);
  assert.equal(typeof r.name, 'string');
  assert.ok(r.name.length > 0, `${where}: name`);
  assert.ok(['string', 'number'].includes(typeof r.level), `${where}: level ${r.level}`);
  assert.ok(r.parent === null || typeof r.parent === 'string', `${where}: parent`);
  assert.ok(Array.isArray(r.path), `${where}: path is an array`);
  for (const p of r.path) {
    assert.equal(typeof p.code, 'string');
    assert.equal(typeof p.name, 'string');
  }
  checkCounts(r.counts, where);
  assert.ok(Array.isArray(r.children), `${where}: children`);
  assert.equal(r.counts.children, r.children.length, `${where}: counts.children = number of children`);
  for (const c of r.children) {
    for (const k of ['code', 'name', 'level', 'counts']) assert.ok(k in c, `${where}: child key ${k}`);
    // counts.children of a child: checked by its own test below
    checkCounts(c.counts, `${where} child ${c.code}`, ['compounds', 'households', 'persons']);
    assert.notEqual(c.level, r.level, `${where}: a child's level differs from its parent's`);
  }
  const codes = r.children.map((c) => c.code);
  assert.equal(new Set(codes).size, codes.length, `${where}: child codes unique`);
}

test('the demo district by its significant and padded codes: same region, 11 townships', async () => {
  const short = expectJson(await admin.get('/api/v1/regions/141102'));
  const padded = expectJson(await admin.get('/api/v1/regions/141102000000'));
  assert.deepEqual(short, padded);
  checkRegion(short, 'district');
  assert.equal(short.code, DISTRICT, 'shown padded to 12 digits');
  assert.equal(short.children.length, 11, 'the demo district has 11 townships and streets');
  for (const c of short.children) {
    assert.match(c.code, /^141102\d{3}000$/, `township code ${c.code}`);
    assert.notEqual(c.code, DISTRICT);
  }
  // DESIGN §6: the townships of Lishi
  const names = short.children.map((c) => c.name).join(' ');
  for (const n of ['滨河', '凤山', '莲花池', '西属巴', '城北', '田家会', '交口', '吴城', '信义', '坪头', '红眼川'])
    assert.ok(names.includes(n), `a township named ${n}… in ${names}`);
});

test('district counts: 300 demo residents, and the children add up to the parent', async () => {
  const d = expectJson(await admin.get('/api/v1/regions/141102'));
  assert.equal(d.counts.persons, 300, '--people 300');
  assert.ok(d.counts.households > 0 && d.counts.households <= d.counts.persons, 'households in 1..persons');
  assert.ok(d.counts.households * 6 >= d.counts.persons, 'households of at most 6 people');
  assert.ok(d.counts.compounds > 0, 'compounds exist');
  for (const k of ['compounds', 'households', 'persons']) {
    const sum = d.children.reduce((s, c) => s + c.counts[k], 0);
    assert.equal(sum, d.counts[k], `sum of township ${k} = district ${k}`);
  }
});

test('a township: both code forms, path through the district, children are communities', async () => {
  const short = own.code.replace(/000$/, '');
  assert.equal(short.length, 9);
  const a = expectJson(await admin.get(`/api/v1/regions/${short}`));
  const b = expectJson(await admin.get(`/api/v1/regions/${own.code}`));
  assert.deepEqual(a, b);
  checkRegion(a, 'township');
  assert.equal(a.code, own.code);
  assert.equal(a.name, own.name);
  assert.equal(a.parent, DISTRICT);
  assert.ok(a.path.some((p) => p.code === DISTRICT), 'path includes the district');
  for (const p of a.path) assert.ok(own.code.startsWith(significant(p.code)), `path holds ancestors (or the region): ${p.code}`);
  assert.ok(a.children.length > 0, 'a township has communities');
  for (const c of a.children) assert.ok(c.code.startsWith(own.code.slice(0, 9)) && c.code.length === 12, `community code ${c.code}`);
  for (const k of ['compounds', 'households', 'persons'])
    assert.equal(a.counts[k], own.counts[k], `the township's ${k} agree with the district's view of it`);
  for (const k of ['compounds', 'households', 'persons']) {
    const sum = a.children.reduce((s, c) => s + c.counts[k], 0);
    assert.equal(sum, a.counts[k], `sum of community ${k} = township ${k}`);
  }
});

test('a community and a compound can be fetched and point back to their parent', async () => {
  const t = expectJson(await admin.get(`/api/v1/regions/${own.code}`));
  const community = t.children.find((c) => c.counts.compounds > 0) || t.children[0];
  const cm = expectJson(await admin.get(`/api/v1/regions/${community.code}`));
  checkRegion(cm, 'community');
  assert.equal(cm.parent, own.code);
  assert.ok(cm.path.some((p) => p.code === own.code), 'path includes the township');
  if (cm.children.length > 0) {
    const compound = cm.children[0];
    assert.match(compound.code, /^\d{15}$/, 'compound codes have 15 digits');
    assert.ok(compound.code.startsWith(community.code));
    const cp = expectJson(await admin.get(`/api/v1/regions/${compound.code}`));
    assert.equal(cp.parent, community.code);
    if (cp.children.length > 0) {
      const building = cp.children[0];
      assert.match(building.code, /^\d{18}$/, 'building codes have 18 digits');
      assert.ok(building.code.startsWith(compound.code));
      const b = expectJson(await admin.get(`/api/v1/regions/${building.code}`));
      assert.equal(b.parent, compound.code);
      assert.deepEqual(b.children, []);
    }
  }
});

test("each child's counts has the same four keys as the region's counts", async () => {
  const d = expectJson(await admin.get('/api/v1/regions/141102'));
  const t = expectJson(await admin.get(`/api/v1/regions/${own.code}`));
  for (const c of [...d.children, ...t.children]) checkCounts(c.counts, `child ${c.code}`);
  // and they agree with the child's own answer
  const first = expectJson(await admin.get(`/api/v1/regions/${d.children[0].code}`));
  assert.deepEqual(d.children[0].counts, first.counts);
});

test('a township officer sees their township, and 404 for a sibling township and the district', async () => {
  const mine = expectJson(await officer.get(`/api/v1/regions/${own.code}`));
  assert.equal(mine.code, own.code);
  // below is fine too
  expectJson(await officer.get(`/api/v1/regions/${mine.children[0].code}`));
  expectError(await officer.get(`/api/v1/regions/${sibling.code}`), 404, 'region_not_found', 'code');
  expectError(await officer.get(`/api/v1/regions/${sibling.code.replace(/000$/, '')}`), 404, 'region_not_found', 'code');
  expectError(await officer.get('/api/v1/regions/141102'), 404, 'region_not_found', 'code');
  expectError(await officer.get('/api/v1/regions/141102000000'), 404, 'region_not_found', 'code');
  // exactly as if it did not exist
  const outside = await officer.get(`/api/v1/regions/${sibling.code}`);
  const missing = await officer.get('/api/v1/regions/141102099000');
  assert.equal(outside.status, missing.status);
  assert.deepEqual(outside.json, missing.json);
});

test('malformed codes → 422 invalid_field naming code', async () => {
  for (const code of ['abc', '14110', '1411020', '14110200100', '1411020010001', '14110A', '141102%20', '0000000000000000000', '-141102']) {
    expectError(await admin.get(`/api/v1/regions/${code}`), 422, 'invalid_field', 'code');
  }
});

test('unknown codes → 404 region_not_found naming code', async () => {
  expectError(await admin.get('/api/v1/regions/141102099000'), 404, 'region_not_found', 'code');
  expectError(await admin.get('/api/v1/regions/141102099'), 404, 'region_not_found', 'code');
  expectError(await admin.get('/api/v1/regions/110105'), 404, 'region_not_found', 'code');
  expectError(await admin.get('/api/v1/regions/141102001999999'), 404, 'region_not_found', 'code');
});

test('regions need a login', async () => {
  expectError(await fk.get('/api/v1/regions/141102'), 401, 'unauthenticated');
});

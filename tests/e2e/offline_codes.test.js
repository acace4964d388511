// web/src/offline/codes.js (local verification for offline scanning), run
// in node without a browser or a server: codes are built here exactly as
// src/codes/codes.c lays them out and signed with a throwaway Ed25519 key.
// A code issued by the server itself is checked in offline_gate.test.js.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import nacl from '../../web/node_modules/tweetnacl/nacl-fast.js'
import { base45Decode, parseCode, verifyLocally, revocationIndex } from '../../web/src/offline/codes.js'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:'
function base45Encode(bytes) {
  let s = ''
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const n = bytes[i] * 256 + bytes[i + 1]
    s += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45) % 45] + ALPHABET[Math.floor(n / 2025)]
  }
  if (bytes.length % 2) {
    const n = bytes[bytes.length - 1]
    s += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45)]
  }
  return s
}
const u32 = (v) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]
function leb128(id) {
  const out = []
  let v = BigInt(id)
  do {
    const b = Number(v & 0x7fn)
    v >>= 7n
    out.push(v ? b | 0x80 : b)
  } while (v)
  return out
}
const PREFIX = { 1: 'FKV:', 2: 'FKC:', 3: 'FKP:' }
function makeCode({ type = 2, id = 42, keyId = 0x01020304, issuedAt, expiresAt, secretKey, idBytes }) {
  const body = Uint8Array.from([1, type, ...(idBytes || leb128(id)), ...u32(keyId), ...u32(issuedAt), ...u32(expiresAt)])
  const sig = nacl.sign.detached(body, secretKey)
  const payload = new Uint8Array(body.length + 64)
  payload.set(body)
  payload.set(sig, body.length)
  return PREFIX[type] + base45Encode(payload)
}

const kp = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(7))
const other = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(9))
const now = 1_800_000_000
const keys = {
  keys: [{ key_id: '01020304', algorithm: 'ed25519', public_key: Buffer.from(kp.publicKey).toString('base64'), state: 'active', retired_at: null }],
  max_validity_seconds: 31 * 86400,
}
const fresh = { issuedAt: now - 3600, expiresAt: now + 86400, secretKey: kp.secretKey }

test('base45: RFC 9285 examples and invalid input', () => {
  assert.equal(Buffer.from(base45Decode('BB8')).toString(), 'AB')
  assert.equal(Buffer.from(base45Decode('%69 VD92EX0')).toString(), 'Hello!!')
  assert.equal(Buffer.from(base45Decode('UJCLQE7W581')).toString(), 'base-45')
  assert.equal(Buffer.from(base45Decode('QED8WEX0')).toString(), 'ietf!')
  assert.equal(base45Decode('GGW'), null) // 65535 + 1
  assert.equal(base45Decode('ZZZ'), null) // above 0xffff
  assert.equal(base45Decode('A'), null) // length % 3 == 1
  assert.equal(base45Decode('ab'), null) // lower case is not in the alphabet
  assert.equal(base45Decode(':Z'), null) // one last byte above 0xff
})

test('a genuine card code verifies, with its fields', () => {
  const code = makeCode({ ...fresh, id: 123456 })
  assert.equal(code.length, 126)
  const v = verifyLocally(code, keys, [], now)
  assert.deepEqual(v, { valid: true, reason: 'valid', type: 2, typeName: 'card', id: 123456, issuedAt: fresh.issuedAt, expiresAt: fresh.expiresAt })
  assert.equal(verifyLocally(makeCode({ ...fresh, type: 1 }), keys, [], now).typeName, 'vehicle_pass')
  // the largest id
  const big = makeCode({ ...fresh, id: 0x7fffffffffffffffn })
  assert.equal(big.length, 135) // 87 bytes → 131 base45 characters + 4
  assert.equal(verifyLocally(big, keys, [], now).id, '9223372036854775807')
})

test('tampered, forged, unknown key, expired, revoked, malformed', () => {
  const code = makeCode(fresh)
  // change one character of the signature part: still base45, the signature fails
  const i = code.length - 10
  const tampered = code.slice(0, i) + (code[i] === '0' ? '1' : '0') + code.slice(i + 1)
  assert.equal(verifyLocally(tampered, keys, [], now).reason, 'bad_signature')
  assert.equal(verifyLocally(makeCode({ ...fresh, secretKey: other.secretKey }), keys, [], now).reason, 'bad_signature')
  assert.equal(verifyLocally(makeCode({ ...fresh, keyId: 0x0a0b0c0d }), keys, [], now).reason, 'unknown_key')
  const expired = verifyLocally(code, keys, [], fresh.expiresAt)
  assert.equal(expired.reason, 'expired')
  assert.equal(expired.id, 42)
  assert.equal(verifyLocally(code, keys, [], new Date((fresh.expiresAt - 1) * 1000)).reason, 'valid')
  // revoked at or after issue → revoked (before expiry is looked at); a re-issue after the revocation is valid
  const revs = [{ type: 'card', id: 42, revoked_at: new Date((now - 60) * 1000).toISOString() }]
  assert.equal(verifyLocally(code, keys, revs, now).reason, 'revoked')
  assert.equal(verifyLocally(code, keys, revocationIndex(revs), fresh.expiresAt + 5).reason, 'revoked')
  assert.equal(verifyLocally(makeCode({ ...fresh, issuedAt: now - 30 }), keys, revs, now).reason, 'valid')
  assert.equal(verifyLocally(makeCode({ ...fresh, type: 1 }), keys, revs, now).reason, 'valid') // another type
  for (const bad of ['', 'FKC:', 'FKX:' + code.slice(4), 'fkc:' + code.slice(4), code.slice(0, -1), code + '00', code.toLowerCase(), 'FKV:' + code.slice(4), 'x'.repeat(600)])
    assert.equal(verifyLocally(bad, keys, [], now).reason, 'malformed', bad.slice(0, 20))
  assert.equal(verifyLocally(makeCode({ ...fresh, idBytes: [0x80, 0x00] }), keys, [], now).reason, 'malformed') // not shortest
  assert.equal(verifyLocally(makeCode({ ...fresh, id: 0 }), keys, [], now).reason, 'malformed')
  assert.equal(verifyLocally(makeCode({ ...fresh, expiresAt: fresh.issuedAt }), keys, [], now).reason, 'malformed')
  assert.equal(parseCode(tampered).id, 42)
})

test('a retired key is trusted for 31 days after its retirement', () => {
  const code = makeCode(fresh)
  const retired = (at) => ({ ...keys, keys: [{ ...keys.keys[0], state: 'retired', retired_at: new Date(at * 1000).toISOString() }] })
  assert.equal(verifyLocally(code, retired(now - 86400), [], now).reason, 'valid')
  assert.equal(verifyLocally(code, retired(now - 31 * 86400), [], now).reason, 'unknown_key')
  assert.equal(verifyLocally(code, keys.keys, [], now).reason, 'valid') // the bare keys array
})

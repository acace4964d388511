// Local verification of fangkong signed codes, for scanning without a
// network: the same parsing and the same answers as src/codes/codes.c
// (docs/internals/codes.md). No browser API is used, so node can import it.
//
// Text: prefix (FKV: vehicle pass, FKC: card, FKP: personal, FKS: venue) + base45 (RFC 9285)
// of the payload: version(1)=1, type(1), object id (unsigned LEB128, shortest
// form, 1..2^63-1), key id(4), issued_at(4), expires_at(4) — big-endian — then
// a 64-byte Ed25519 signature over every byte before it.
// Order of the checks, as on the server: parse → key → signature → revocation → expiry.
import nacl from 'tweetnacl'

export const PREFIXES = { 'FKV:': 1, 'FKC:': 2, 'FKP:': 3, 'FKS:': 4 }
export const TYPE_NAMES = { 1: 'vehicle_pass', 2: 'card', 3: 'personal', 4: 'venue' }
export const MAX_INPUT = 512 // FK_CODE_MAX_INPUT
export const MAX_LEN = 144 // FK_CODE_MAX_LEN: a code is shorter than this
export const MAX_VALIDITY = 31 * 86400 // FK_CODE_MAX_VALIDITY
const SIG_LEN = 64
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:'

// RFC 9285 base45 → Uint8Array, or null for any invalid character, group or length.
export function base45Decode(text) {
  if (text.length % 3 === 1) return null
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 ? 1 : 0))
  let o = 0
  for (let i = 0; i < text.length; i += 3) {
    const c = ALPHABET.indexOf(text[i])
    const d = ALPHABET.indexOf(text[i + 1])
    if (c < 0 || d < 0) return null
    if (i + 2 < text.length) {
      const e = ALPHABET.indexOf(text[i + 2])
      if (e < 0) return null
      const n = c + d * 45 + e * 2025
      if (n > 0xffff) return null
      out[o++] = n >> 8
      out[o++] = n & 0xff
    } else {
      const n = c + d * 45
      if (n > 0xff) return null
      out[o++] = n
    }
  }
  return out
}

const u32 = (b, p) => ((b[p] << 24) >>> 0) + (b[p + 1] << 16) + (b[p + 2] << 8) + b[p + 3]

// Parses a code: { type, typeName, id, keyId (8 hex digits), issuedAt, expiresAt,
// body, sig } or null when malformed (fk_code_parse).
export function parseCode(code) {
  if (typeof code !== 'string' || code.length === 0 || code.length > MAX_INPUT || code.length >= MAX_LEN) return null
  const type = PREFIXES[code.slice(0, 4)]
  if (!type) return null
  const payload = base45Decode(code.slice(4))
  if (!payload) return null
  const n = payload.length
  if (n < 3 + 12 + SIG_LEN || payload[0] !== 1 || payload[1] !== type) return null
  let id = 0n
  let p = 2
  for (let shift = 0; ; shift += 7) {
    if (p >= n || shift > 56) return null
    const b = payload[p++]
    id |= BigInt(b & 0x7f) << BigInt(shift)
    if (!(b & 0x80)) {
      if (b === 0 && shift > 0) return null // not the shortest form
      break
    }
  }
  if (id < 1n || id > 0x7fffffffffffffffn || n !== p + 12 + SIG_LEN) return null
  const keyId = u32(payload, p).toString(16).padStart(8, '0')
  const issuedAt = u32(payload, p + 4)
  const expiresAt = u32(payload, p + 8)
  if (expiresAt <= issuedAt) return null
  return {
    type,
    typeName: TYPE_NAMES[type],
    id: id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : String(id),
    keyId,
    issuedAt,
    expiresAt,
    body: payload.subarray(0, p + 12),
    sig: payload.subarray(p + 12),
  }
}

function base64Decode(s) {
  if (typeof atob === 'function') return Uint8Array.from(atob(s), (c) => c.charCodeAt(0))
  return new Uint8Array(Buffer.from(s, 'base64'))
}

const epoch = (t) => (t == null ? null : typeof t === 'number' ? t : Math.floor(new Date(t).getTime() / 1000))

// The public key (Uint8Array) of `keyId` if it is trusted at `now`: active, or
// retired less than `maxValidity` seconds ago (trusted_key in codes.c).
function trustedKey(keys, keyId, now, maxValidity) {
  const k = (keys || []).find((x) => x.key_id === keyId)
  if (!k) return null
  const retired = epoch(k.retired_at)
  if (k.state !== 'active' && !(retired != null && now < retired + maxValidity)) return null
  try {
    const pk = base64Decode(k.public_key)
    return pk.length === 32 ? pk : null
  } catch {
    return null
  }
}

// The latest revocation time per "type:id" from GET /api/v1/revocations items.
export function revocationIndex(items, into = new Map()) {
  for (const r of items || []) {
    const key = `${r.type}:${r.id}`
    const at = epoch(r.revoked_at)
    if (!(into.get(key) >= at)) into.set(key, at)
  }
  return into
}

// Verifies `code` as the server would, with the keys of GET /api/v1/keys
// ({keys, max_validity_seconds} or the keys array) and the revocations (a Map
// from revocationIndex, or the list). `now`: epoch seconds or a Date.
// → { valid, reason: valid|malformed|unknown_key|bad_signature|revoked|expired,
//     type, typeName, id, issuedAt, expiresAt } (fields null when malformed).
export function verifyLocally(code, keys, revocations, now = Date.now() / 1000) {
  const t = now instanceof Date ? now.getTime() / 1000 : now
  const list = Array.isArray(keys) ? keys : keys?.keys || []
  const maxValidity = (!Array.isArray(keys) && keys?.max_validity_seconds) || MAX_VALIDITY
  const c = parseCode(code)
  const answer = (reason) => ({
    valid: reason === 'valid',
    reason,
    type: c ? c.type : null,
    typeName: c ? c.typeName : null,
    id: c ? c.id : null,
    issuedAt: c ? c.issuedAt : null,
    expiresAt: c ? c.expiresAt : null,
  })
  if (!c) return answer('malformed')
  const pk = trustedKey(list, c.keyId, t, maxValidity)
  if (!pk) return answer('unknown_key')
  if (!nacl.sign.detached.verify(c.body, c.sig, pk)) return answer('bad_signature')
  const revs = revocations instanceof Map ? revocations : revocationIndex(revocations)
  const revokedAt = revs.get(`${c.typeName}:${c.id}`)
  if (revokedAt != null && c.issuedAt <= revokedAt) return answer('revoked')
  if (t >= c.expiresAt) return answer('expired')
  return answer('valid')
}

// The gate's Chinese wording of each answer (as src/cards/gates_api.c says it).
export const REASON_TEXT = {
  malformed: '无法识别的二维码',
  bad_signature: '伪造的通行证（签名无效）',
  unknown_key: '非本区签发的通行证',
  revoked: '通行证已作废',
  expired: '通行证已过期',
  not_card: '不是四色通行证',
}

import { http, API } from './http.js'

// 一码通 (one-code vehicle passes) and checkpoint passages (卡口通行).
export const PASS_STAFF = ['district_admin', 'township_officer', 'checkpoint_staff', 'community_worker']
export const PASSAGE_STAFF = ['district_admin', 'township_officer', 'checkpoint_staff']
export const VEHICLE_TYPES = ['car', 'truck', 'bus', 'van', 'motorcycle', 'other']
export const DECISIONS = ['pass', 'test_here', 'turn_back', 'refer_quarantine']
// Compound and community gates scan four-colour cards instead.
export const GATE_TYPES = ['compound_gate', 'community_gate']

const base = `${API}/vehicle-passes`
const one = (id) => `${base}/${encodeURIComponent(id)}`
const cp = (id) => `${API}/checkpoints/${encodeURIComponent(id)}`

export const listPasses = (params = {}) => http.get(base, { page: 1, per_page: 20, ...params })
export const getPass = (id) => http.get(one(id))
export const createPass = (body) => http.post(base, body)
export const revokePass = (id, reason) => http.post(`${one(id)}/revoke`, { reason })
export const passQrUrl = (id) => `${one(id)}/qr.svg`

// Public (no login): the driver registers in advance and sees the QR.
export const selfRegisterPass = (body) => http.post(`${API}/public/vehicle-passes`, body, { skipAuthRedirect: true })
export const publicQrUrl = (code) => `${API}/public/vehicle-passes/qr.svg?code=${encodeURIComponent(code)}`

export const scanPass = (checkpointId, code) => http.post(`${cp(checkpointId)}/scan`, { code })
export const recordPassage = (checkpointId, body) => http.post(`${cp(checkpointId)}/passages`, body)
export const listPassages = (checkpointId, params = {}) => http.get(`${cp(checkpointId)}/passages`, { page: 1, per_page: 20, ...params })
export const passageStats = (checkpointId, date) => http.get(`${cp(checkpointId)}/passages/stats`, { date })

export function passagesExportUrl({ format = 'xlsx', ...filters } = {}) {
  const q = new URLSearchParams({ format })
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  return `${API}/passages/export?${q}`
}

// A fresh idempotency key per passage (a retry of the same passage reuses it).
export const newPassageKey = () => `p-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`

import { http, API } from './http.js'

// 四色通行证 (four-colour community cards) and gate scans (门岗扫码).
export const CARD_STAFF = ['district_admin', 'township_officer', 'community_worker']
export const GATE_STAFF = [...CARD_STAFF, 'checkpoint_staff']
export const COLORS = ['red', 'yellow', 'blue', 'green']

const base = `${API}/cards`
const one = (id) => `${base}/${encodeURIComponent(id)}`

export const listCards = (params = {}) => http.get(base, { page: 1, per_page: 20, ...params })
export const getCard = (id) => http.get(one(id))
export const issueCard = (body) => http.post(base, body)
export const bulkIssue = (body) => http.post(`${base}/bulk`, body)
export const revokeCard = (id, reason) => http.post(`${one(id)}/revoke`, { reason })
export const cardQrUrl = (id) => `${one(id)}/qr.svg`

export function cardsExportUrl({ format = 'xlsx', ...filters } = {}) {
  const q = new URLSearchParams({ format })
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  return `${base}/export?${q}`
}

const gate = (id) => `${API}/gates/${encodeURIComponent(id)}`
export const scanCard = (checkpointId, body) => http.post(`${gate(checkpointId)}/scans`, body)
export const listScans = (checkpointId, params = {}) => http.get(`${gate(checkpointId)}/scans`, { page: 1, per_page: 20, ...params })
export const listRefusals = (params = {}) => http.get(`${API}/gates/refusals`, { page: 1, per_page: 20, ...params })
export const handleRefusal = (scanId, body) => http.patch(`${API}/gates/refusals/${encodeURIComponent(scanId)}`, body)

// A fresh idempotency key per scan (a retry of the same scan reuses it).
export const newScanKey = () => `g-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`

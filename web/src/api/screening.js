// Door-knock screening (敲门行动): campaigns, grids, visits, progress, pending
// households, concern flags and the visit ledger (docs/api.md).
import { http, API } from './http.js'

const base = (id) => `${API}/screening/campaigns/${encodeURIComponent(id)}`

export function listCampaigns({ page = 1, per_page = 20 } = {}) {
  return http.get(`${API}/screening/campaigns`, { page, per_page })
}

export function getCampaign(id) {
  return http.get(base(id))
}

export function createCampaign(campaign) {
  return http.post(`${API}/screening/campaigns`, campaign)
}

export function updateCampaign(id, patch) {
  return http.patch(base(id), patch)
}

export function listGrids(id, { page = 1, per_page = 20, region } = {}) {
  return http.get(`${base(id)}/grids`, { page, per_page, region })
}

// Replaces what the worker covers; [] removes the assignment.
export function putGrid(id, userId, regions) {
  return http.put(`${base(id)}/grids/${encodeURIComponent(userId)}`, { regions })
}

// Enabled community workers the caller may give a grid in this campaign.
export function listWorkers(id, { page = 1, per_page = 20, q } = {}) {
  return http.get(`${base(id)}/workers`, { page, per_page, q })
}

// level: township | community | compound | grid
export function getProgress(id, { level = 'township', region } = {}) {
  return http.get(`${base(id)}/progress`, { level, region })
}

// outcome: not_visited | nobody_home | refused (empty: all not yet reached)
export function listPending(id, { page = 1, per_page = 20, region, outcome } = {}) {
  return http.get(`${base(id)}/pending`, { page, per_page, region, outcome })
}

export function listFlags(id, { page = 1, per_page = 20, region } = {}) {
  return http.get(`${base(id)}/flags`, { page, per_page, region })
}

export function createVisit(id, visit) {
  return http.post(`${base(id)}/visits`, visit)
}

export function visitsExportUrl(id, { format = 'xlsx', region } = {}) {
  const q = new URLSearchParams({ format })
  if (region) q.set('region', region)
  return `${base(id)}/visits/export?${q}`
}

export function pendingExportUrl(id, { format = 'xlsx', region, outcome } = {}) {
  const q = new URLSearchParams({ format })
  if (region) q.set('region', region)
  if (outcome) q.set('outcome', outcome)
  return `${base(id)}/pending/export?${q}`
}

export const SYMPTOMS = [
  'fever', 'cough', 'sore_throat', 'fatigue', 'loss_of_smell',
  'runny_nose', 'diarrhea', 'muscle_pain', 'shortness_of_breath', 'conjunctivitis',
]

export const OUTCOMES = ['reached', 'nobody_home', 'refused']

// Same rule as fk_screening_area_code_check (src/screening/screening.c):
// 2 digits for a province, 4 for a city, 6 for a county; a known province;
// no "00" city or county part. Returns '' when valid, else a reason key.
const PROVINCES = new Set([
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
  43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
])
export function areaCodeProblem(code) {
  const s = String(code ?? '').trim()
  if (!/^(\d{2}|\d{4}|\d{6})$/.test(s)) return 'format'
  if (!PROVINCES.has(Number(s.slice(0, 2)))) return 'province'
  if ((s.length >= 4 && s.slice(2, 4) === '00') || (s.length === 6 && s.slice(4, 6) === '00')) return 'zero'
  return ''
}

// A key for one visit form: replaying it after a network error returns the
// first visit instead of recording a second one.
export function newIdempotencyKey() {
  const c = globalThis.crypto
  if (c && typeof c.randomUUID === 'function') return `v-${c.randomUUID()}`
  const bytes = new Uint8Array(16)
  if (c && c.getRandomValues) c.getRandomValues(bytes)
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256)
  return `v-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
}

// Who may do what (the server enforces the same; the UI only hides what would be refused).
export const SCREENING_MANAGERS = ['district_admin', 'township_officer']
export const SCREENERS = [...SCREENING_MANAGERS, 'community_worker']

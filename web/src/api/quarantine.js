import { http, API } from './http.js'

// 居家隔离 (home quarantine, 五包一).
export const HOMEQ_STAFF = ['district_admin', 'township_officer', 'community_worker', 'quarantine_staff']
export const TEAM_ROLES = ['township_cadre', 'village_cadre', 'village_doctor', 'police', 'grid_worker']
export const FEVER = 37.3

const base = `${API}/home-quarantines`
const one = (id) => `${base}/${encodeURIComponent(id)}`

export function listHomeQuarantines(params = {}) {
  return http.get(base, { page: 1, per_page: 20, ...params })
}

export function getHomeQuarantine(id) {
  return http.get(one(id))
}

export function createHomeQuarantine(body) {
  return http.post(base, body)
}

export function updateHomeQuarantine(id, patch) {
  return http.patch(one(id), patch)
}

export function recordLetter(id, kind, action, at) {
  return http.post(`${one(id)}/letters`, at ? { kind, action, at } : { kind, action })
}

export function recordTemperature(id, body) {
  return http.post(`${one(id)}/temperatures`, body)
}

export function listTemperatures(id, params = {}) {
  return http.get(`${one(id)}/temperatures`, { page: 1, per_page: 200, ...params })
}

export function listOverdue(params = {}) {
  return http.get(`${base}/overdue`, { page: 1, per_page: 20, ...params })
}

export function listFevers(params = {}) {
  return http.get(`${base}/fevers`, { page: 1, per_page: 20, ...params })
}

export function listTeamCandidates(region, q = '') {
  return http.get(`${base}/members`, { region, q })
}

export function homeQuarantineExportUrl({ format = 'xlsx', ...filters } = {}) {
  const q = new URLSearchParams({ format })
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  return `${base}/export?${q}`
}

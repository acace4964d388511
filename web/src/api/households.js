import { http, API } from './http.js'

export function listHouseholds({ page = 1, per_page = 20, q, region } = {}) {
  return http.get(`${API}/households`, { page, per_page, q, region })
}

export function getHousehold(id) {
  return http.get(`${API}/households/${encodeURIComponent(id)}`)
}

export function createHousehold(household) {
  return http.post(`${API}/households`, household)
}

export function updateHousehold(id, patch) {
  return http.patch(`${API}/households/${encodeURIComponent(id)}`, patch)
}

export function householdsExportUrl({ format = 'xlsx', region } = {}) {
  const q = new URLSearchParams({ format })
  if (region) q.set('region', region)
  return `${API}/households/export?${q}`
}

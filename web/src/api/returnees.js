import { http, API } from './http.js'

// Staff: list / detail / create / update / flags / ledger.
export function listReturnees(params = {}) {
  return http.get(`${API}/returnees`, { page: 1, per_page: 20, ...params })
}

export function listReturneeFlags(params = {}) {
  return http.get(`${API}/returnees/flags`, { page: 1, per_page: 20, ...params })
}

export function getReturnee(id) {
  return http.get(`${API}/returnees/${encodeURIComponent(id)}`)
}

export function createReturnee(body) {
  return http.post(`${API}/returnees`, body)
}

export function updateReturnee(id, patch) {
  return http.patch(`${API}/returnees/${encodeURIComponent(id)}`, patch)
}

export function returneesExportUrl({ format = 'xlsx', ...filters } = {}) {
  const q = new URLSearchParams({ format })
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  return `${API}/returnees/export?${q}`
}

// Public (no login): self-registration and the region tree (names and codes only).
export function selfRegister(body) {
  return http.post(`${API}/public/returnees`, body, { skipAuthRedirect: true })
}

export function publicRegions(code) {
  return http.get(code ? `${API}/public/regions/${encodeURIComponent(code)}` : `${API}/public/regions`, undefined, { skipAuthRedirect: true })
}

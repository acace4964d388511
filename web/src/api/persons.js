import { http, API } from './http.js'

export function listPersons({ page = 1, per_page = 20, q, region, category, household_id } = {}) {
  return http.get(`${API}/persons`, { page, per_page, q, region, category, household_id })
}

export function getPerson(id) {
  return http.get(`${API}/persons/${encodeURIComponent(id)}`)
}

export function createPerson(person) {
  return http.post(`${API}/persons`, person)
}

export function updatePerson(id, patch) {
  return http.patch(`${API}/persons/${encodeURIComponent(id)}`, patch)
}

export function listDuplicates({ page = 1, per_page = 20, region } = {}) {
  return http.get(`${API}/persons/duplicates`, { page, per_page, region })
}

// Keep `id`; the duplicate is marked merged into it (kept, not deleted).
export function mergePerson(id, duplicateId) {
  return http.post(`${API}/persons/${encodeURIComponent(id)}/merge`, { duplicate_id: duplicateId })
}

export function personsExportUrl({ format = 'xlsx', region, category } = {}) {
  const q = new URLSearchParams({ format })
  if (region) q.set('region', region)
  if (category) q.set('category', category)
  return `${API}/persons/export?${q}`
}

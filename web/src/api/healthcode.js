import { http, API } from './http.js'

// 健康码与风险区 (src/healthcode).
export const HC_READERS = ['district_admin', 'township_officer', 'community_worker', 'checkpoint_staff', 'tracer', 'quarantine_staff', 'inspector']
export const FACT_WRITERS = ['district_admin', 'township_officer', 'tracer', 'quarantine_staff']
export const AREA_DECLARERS = ['district_admin', 'township_officer']
export const LEVELS = ['high', 'medium', 'low']

const person = (id) => `${API}/persons/${encodeURIComponent(id)}`

export function getHealthCode(id) {
  return http.get(`${person(id)}/health-code`)
}
export function getHealthHistory(id, params = {}) {
  return http.get(`${person(id)}/health-code/history`, { page: 1, per_page: 20, ...params })
}
export function listHealthFacts(id, params = {}) {
  return http.get(`${person(id)}/health-facts`, { page: 1, per_page: 50, ...params })
}
export function getHealthStats(region) {
  return http.get(`${API}/health-codes/stats`, { region })
}
export function startRecompute() {
  return http.post(`${API}/health-codes/recompute`, {})
}
export function getJob(id) {
  return http.get(`${API}/jobs/${encodeURIComponent(id)}`)
}
export function getRules() {
  return http.get(`${API}/health-rules`)
}
export function scheduleRules(name, effective_from) {
  return http.post(`${API}/health-rules/schedule`, { name, effective_from })
}
export function listRiskAreas(params = {}) {
  return http.get(`${API}/risk-areas`, { page: 1, per_page: 50, ...params })
}
export function declareRiskArea(body) {
  return http.post(`${API}/risk-areas`, body)
}
export function updateRiskArea(id, patch) {
  return http.patch(`${API}/risk-areas/${encodeURIComponent(id)}`, patch)
}
export function liftRiskArea(id, body = {}) {
  return http.post(`${API}/risk-areas/${encodeURIComponent(id)}/lift`, body)
}
export function listPublicRiskAreas() {
  return http.get(`${API}/public/risk-areas`)
}

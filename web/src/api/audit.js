import { http, API } from './http.js'

export function listAudit({ page = 1, per_page = 20, actor, action, from, until } = {}) {
  return http.get(`${API}/audit`, { page, per_page, actor, action, from, until })
}

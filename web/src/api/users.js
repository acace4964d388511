import { http, API } from './http.js'

export function listUsers({ page = 1, per_page = 20, q, role, region } = {}) {
  return http.get(`${API}/users`, { page, per_page, q, role, region })
}

export function createUser(user) {
  return http.post(`${API}/users`, user)
}

export function updateUser(id, patch) {
  return http.patch(`${API}/users/${encodeURIComponent(id)}`, patch)
}

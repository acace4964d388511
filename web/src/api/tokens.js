import { http, API } from './http.js'

export function listTokens({ page = 1, per_page = 20 } = {}) {
  return http.get(`${API}/tokens`, { page, per_page })
}

export function createToken({ username, name }) {
  return http.post(`${API}/tokens`, { username, name })
}

export function revokeToken(id) {
  return http.del(`${API}/tokens/${encodeURIComponent(id)}`)
}

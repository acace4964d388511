import { http, API } from './http.js'

export function getRegion(code) {
  return http.get(`${API}/regions/${encodeURIComponent(code)}`)
}

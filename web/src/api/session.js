import { http, API } from './http.js'

export function login(username, password) {
  return http.post(`${API}/session`, { username, password }, { skipAuthRedirect: true })
}

export function currentSession() {
  return http.get(`${API}/session`, undefined, { skipAuthRedirect: true })
}

export function logout() {
  return http.del(`${API}/session`, { skipAuthRedirect: true })
}

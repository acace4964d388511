// Resident self-service (居民端): sign-in by phone and one-time code, the
// account, family members, the personal code, health reports, check-ins.
import { http, API } from './http.js'

export const RESIDENT = 'resident'
// Staff roles that read the health reports of their jurisdiction.
export const REPORT_STAFF = ['district_admin', 'township_officer', 'community_worker', 'quarantine_staff', 'tracer']

export const sendCode = (phone) => http.post(`${API}/resident/otp`, { phone }, { skipAuthRedirect: true })
export const signIn = (phone, code) => http.post(`${API}/resident/session`, { phone, code }, { skipAuthRedirect: true })

export const getMe = () => http.get(`${API}/me`)
export const link = (body) => http.post(`${API}/me/link`, body)
export const addFamily = (body) => http.post(`${API}/me/family`, body)
export const removeFamily = (personId) => http.del(`${API}/me/family/${personId}`)

export const getCode = (personId) => http.get(`${API}/me/code`, { person_id: personId })
export const codeSvgUrl = (personId, stamp) => `${API}/me/code.svg?person_id=${encodeURIComponent(personId)}&t=${encodeURIComponent(stamp)}`

export const submitReport = (body) => http.post(`${API}/me/health-reports`, body)
export const myReports = (personId) => http.get(`${API}/me/health-reports`, { person_id: personId })

// Check-ins belong to the venues module (GET /persons/{id}/checkins, POST /checkins).
export const personCheckins = (personId, from) => http.get(`${API}/persons/${personId}/checkins`, { from })
export const checkIn = (body) => http.post(`${API}/checkins`, body)
export const verifyScan = (code) => http.post(`${API}/scans/verify`, { code })
export const newCheckinKey = () => `r-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`

// Staff side.
export const listReports = (query) => http.get(`${API}/health-reports`, query)
export const reportsExportUrl = (query) => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.append(k, String(v))
  return `${API}/health-reports/export?${q}`
}

import { http, API } from './http.js'

// 场所 (venues), place codes and check-ins (扫码登记).
export const VENUE_ADMIN = ['district_admin', 'township_officer', 'community_worker']
export const VENUE_STAFF = [...VENUE_ADMIN, 'checkpoint_staff', 'school_admin', 'enterprise', 'inspector', 'tracer']
export const CATEGORIES = ['gate', 'village', 'government', 'school', 'hospital', 'supermarket', 'market', 'mall', 'restaurant', 'hotel', 'entertainment', 'workplace', 'transport']
export const STATUSES = ['open', 'suspended', 'sealed']

const base = `${API}/venues`
const one = (id) => `${base}/${encodeURIComponent(id)}`

export const listVenues = (params = {}) => http.get(base, { page: 1, per_page: 20, ...params })
export const getVenue = (id) => http.get(one(id))
export const createVenue = (body) => http.post(base, body)
export const updateVenue = (id, body) => http.patch(one(id), body)
export const reissueCode = (id, validDays) => http.post(`${one(id)}/code`, validDays ? { valid_days: validDays } : {})
export const venueQrUrl = (id, v = '') => `${one(id)}/qr.svg${v ? `?v=${encodeURIComponent(v)}` : ''}`
export const listCategories = () => http.get(`${base}/categories`)
export const listVenueCheckins = (id, params = {}) => http.get(`${one(id)}/checkins`, { page: 1, per_page: 20, ...params })
export const scanAtVenue = (id, body) => http.post(`${one(id)}/scans`, body)
export const listPersonCheckins = (personId, params = {}) =>
  http.get(`${API}/persons/${encodeURIComponent(personId)}/checkins`, { page: 1, per_page: 20, ...params })
export const postCheckins = (body) => http.post(`${API}/checkins`, body)
// The file itself is the body (CSV or .xlsx); the answer is {job_id}.
export const importVenues = (file) => http.upload(`${base}/import`, file)
export const venueTemplateUrl = `${base}/import/template.csv`

function withQuery(path, { format = 'xlsx', ...filters } = {}) {
  const q = new URLSearchParams({ format })
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  return `${path}?${q}`
}
export const venuesExportUrl = (opts) => withQuery(`${base}/export`, opts)
export const venueCheckinsExportUrl = (id, opts) => withQuery(`${one(id)}/checkins/export`, opts)

export const newCheckinKey = () => `v-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`

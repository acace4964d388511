import { http, API } from './http.js'

// 三码查验: health code, itinerary and place code of one person. Not the
// enterprise role (the server answers it 403): it checks its workers with the
// venue scan at its own venue.
export const THREE_CODES_STAFF = ['district_admin', 'township_officer', 'community_worker', 'checkpoint_staff', 'tracer']
// A personal code (FKP:) or an 18-character ID number.
export const scanThreeCodes = (text) => http.post(`${API}/scans/three-codes`, /^FKP:/.test(text) ? { code: text } : { id_number: text })
export const personThreeCodes = (id) => http.get(`${API}/persons/${encodeURIComponent(id)}/three-codes`)

import { http, API } from './http.js'

// 卡口: registry, duty shifts (值班) and incidents.
export const CP_READERS = ['district_admin', 'township_officer', 'community_worker', 'checkpoint_staff']
export const CP_MANAGERS = ['district_admin', 'township_officer', 'community_worker']

const base = `${API}/checkpoints`
const one = (id) => `${base}/${encodeURIComponent(id)}`

function exportUrl(path, { format = 'xlsx', ...filters } = {}) {
  const q = new URLSearchParams({ format })
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  return `${API}/${path}/export?${q}`
}

export const listCheckpoints = (params = {}) => http.get(base, { page: 1, per_page: 20, ...params })
export const getCheckpoint = (id) => http.get(one(id))
export const createCheckpoint = (body) => http.post(base, body)
export const updateCheckpoint = (id, patch) => http.patch(one(id), patch)
export const checkpointsExportUrl = (o) => exportUrl('checkpoints', o)

export const listCheckpointShifts = (id, params = {}) => http.get(`${one(id)}/shifts`, { page: 1, per_page: 200, ...params })
export const createShift = (id, body) => http.post(`${one(id)}/shifts`, body)
export const deleteShift = (id, shiftId) => http.del(`${one(id)}/shifts/${encodeURIComponent(shiftId)}`)
export const listDutyStaff = (id) => http.get(`${one(id)}/staff`)
export const listShifts = (params = {}) => http.get(`${API}/shifts`, { page: 1, per_page: 200, ...params })
export const shiftsExportUrl = (o) => exportUrl('shifts', o)

export const listCheckpointIncidents = (id, params = {}) => http.get(`${one(id)}/incidents`, { page: 1, per_page: 50, ...params })
export const createIncident = (id, body) => http.post(`${one(id)}/incidents`, body)
export const listIncidents = (params = {}) => http.get(`${API}/incidents`, { page: 1, per_page: 20, ...params })
export const updateIncident = (id, patch) => http.patch(`${API}/incidents/${encodeURIComponent(id)}`, patch)
export const incidentsExportUrl = (o) => exportUrl('incidents', o)

import { http, API } from './http.js'

export const TEMPLATE_XLSX = `${API}/imports/persons/template.xlsx`
export const TEMPLATE_CSV = `${API}/imports/persons/template.csv`

// Upload a .csv / .xlsx file as multipart field `file`; answers {job_id}.
export function importPersons(file) {
  const form = new FormData()
  form.append('file', file, file.name)
  return http.upload(`${API}/imports/persons`, form)
}

export function getJob(id) {
  return http.get(`${API}/jobs/${encodeURIComponent(id)}`)
}

// Shared fetch wrapper for the fangkong API: JSON in and out, same-origin
// cookies, X-CSRF-Token on mutating methods, and error JSON turned into an
// ApiError carrying status / code / field / message.
import { common } from '../i18n/zh-CN/index.js'

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

let csrfToken = ''
let unauthorizedHandler = null

export function setCsrfToken(token) {
  csrfToken = token || ''
}

// Called on any 401 except for the login request itself.
export function onUnauthorized(fn) {
  unauthorizedHandler = fn
}

export class ApiError extends Error {
  constructor({ status = 0, code = 'unknown', field = null, message = '', data = null } = {}) {
    super(message || common.serverError)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
    // the whole error body, for extra members such as `existing_id` on a 409
    this.data = data
  }
}

function buildQuery(params) {
  if (!params) return ''
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue
    q.append(k, String(v))
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

// `form` (a FormData) is sent as multipart/form-data instead of a JSON body;
// the browser sets the boundary. `raw` returns the successful Response itself
// (for downloads) instead of parsing JSON.
export async function request(method, path, { query, body, form, raw = false, skipAuthRedirect = false } = {}) {
  method = method.toUpperCase()
  const headers = { Accept: raw ? '*/*' : 'application/json' }
  const init = { method, headers, credentials: 'same-origin' }
  if (form !== undefined) {
    init.body = form
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  if (MUTATING.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken

  let res
  try {
    res = await fetch(path + buildQuery(query), init)
  } catch (e) {
    throw new ApiError({ status: 0, code: 'network_error', message: common.networkError })
  }
  if (raw && res.ok) return res

  const text = res.status === 204 ? '' : await res.text()
  let data = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = null
    }
  }

  if (!res.ok) {
    const e = (data && data.error) || {}
    const err = new ApiError({
      status: res.status,
      code: e.code || `http_${res.status}`,
      field: e.field ?? null,
      message: e.message || (res.status >= 500 ? common.serverError : `${common.loadFailed}（HTTP ${res.status}）`),
      data,
    })
    if (res.status === 401 && !skipAuthRedirect && unauthorizedHandler) unauthorizedHandler(err)
    throw err
  }
  return data
}

export const http = {
  get: (path, query, opts = {}) => request('GET', path, { ...opts, query }),
  post: (path, body, opts = {}) => request('POST', path, { ...opts, body }),
  patch: (path, body, opts = {}) => request('PATCH', path, { ...opts, body }),
  put: (path, body, opts = {}) => request('PUT', path, { ...opts, body }),
  del: (path, opts = {}) => request('DELETE', path, opts),
  upload: (path, form, opts = {}) => request('POST', path, { ...opts, form }),
}

// File name from a Content-Disposition header (RFC 6266 filename* first).
function dispositionName(header) {
  if (!header) return ''
  const star = /filename\*\s*=\s*([^']*)''([^;]+)/i.exec(header)
  if (star) {
    try {
      return decodeURIComponent(star[2].trim().replace(/^"|"$/g, ''))
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header)
  return plain ? plain[1].trim() : ''
}

// Download a GET endpoint as a file. Errors (403, 404, …) come back as an
// ApiError instead of replacing the page with the error JSON.
export async function downloadFile(path, fallbackName) {
  const res = await request('GET', path, { raw: true })
  const blob = await res.blob()
  const name = dispositionName(res.headers.get('Content-Disposition')) || fallbackName || 'download'
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  document.body.removeChild(a)
  setTimeout(() => URL.revokeObjectURL(url), 30000)
  return name
}

export const API = '/api/v1'

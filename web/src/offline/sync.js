// Sends one queued item (queue.js flush) with its own idempotency key and its
// original scanned_at: the server stores it once (201) or answers the stored
// record again (200). Gate scans go to /gates/{id}/scans marked "offline" (an
// exit refused at sync, e.g. a second green exit within 48 h, is stored with
// review=true for the grid worker); checkpoint passages
// to /checkpoints/{id}/passages marked "offline" (the phone could not see the
// occupants' status: the server records the passage and flags what forbids it).
import { request, API } from '../api/http.js'

function target(item) {
  const id = encodeURIComponent(item.checkpoint_id)
  if (item.kind === 'passage')
    return {
      path: `${API}/checkpoints/${id}/passages`,
      body: { code: item.code, temperatures: item.temperatures, decision: item.decision, scanned_at: item.scanned_at, idempotency_key: item.idempotency_key, offline: true },
    }
  // items queued before kinds existed are gate scans
  return {
    path: `${API}/gates/${id}/scans`,
    // "offline": the phone judged only the signature and may have let the
    // person through; the server stores a refused exit for review.
    body: { code: item.code, direction: item.direction, scanned_at: item.scanned_at, idempotency_key: item.idempotency_key, offline: true },
  }
}

export async function sendQueued(item) {
  const { path, body: payload } = target(item)
  const res = await request('POST', path, {
    body: payload,
    raw: true,
    // a background sync must not yank the scanning page to the login form
    skipAuthRedirect: true,
  })
  let body = null
  try {
    body = await res.json()
  } catch {
    body = null
  }
  return { status: res.status, body }
}
// The gate page's name for it.
export const sendQueuedScan = sendQueued

// A failure that means "no network or no server right now": scan offline.
export const isOfflineError = (e) => !e?.status || e.status === 502 || e.status === 503 || e.status === 504

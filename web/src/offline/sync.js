// Sends one queued gate scan (queue.js flush) with the scan's own
// idempotency key and its original scanned_at: the server stores it once
// (201) or answers the stored scan again (200).
import { request, API } from '../api/http.js'

export async function sendQueuedScan(item) {
  const res = await request('POST', `${API}/gates/${encodeURIComponent(item.checkpoint_id)}/scans`, {
    body: { code: item.code, direction: item.direction, scanned_at: item.scanned_at, idempotency_key: item.idempotency_key },
    raw: true,
    // a background sync must not yank the gate page to the login form
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

// A failure that means "no network or no server right now": scan offline.
export const isOfflineError = (e) => !e?.status || e.status === 502 || e.status === 503 || e.status === 504

// The published keys and revocation list, kept in localStorage for scanning
// offline and refreshed while online (GET /api/v1/keys, GET
// /api/v1/revocations?since=, both public). Revocations are merged into one
// map "type:id" → latest revoked_at (epoch seconds).
import { revocationIndex } from './codes.js'

const STORE = 'fk.offline.trust'
export const REFRESH_MS = 60 * 1000

function empty() {
  return { keys: null, revocations: new Map(), since: null, fetchedAt: 0 }
}

export function loadTrust() {
  try {
    const raw = JSON.parse(localStorage.getItem(STORE) || 'null')
    if (!raw) return empty()
    return { keys: raw.keys, revocations: new Map(raw.revocations || []), since: raw.since || null, fetchedAt: raw.fetchedAt || 0 }
  } catch {
    return empty()
  }
}

function save(t) {
  try {
    localStorage.setItem(STORE, JSON.stringify({ keys: t.keys, revocations: [...t.revocations], since: t.since, fetchedAt: t.fetchedAt }))
  } catch {
    /* storage full: keep the copy in memory */
  }
}

async function getJson(url) {
  const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' })
  if (!res.ok) throw new Error(`HTTP ${res.status}`)
  return res.json()
}

// Fetches the keys and the revocations made since the last refresh; returns
// the updated trust (throws when offline, leaving the stored copy as it was).
export async function refreshTrust(current = loadTrust()) {
  const keys = await getJson('/api/v1/keys')
  const revocations = new Map(current.revocations)
  let since = current.since
  for (let i = 0; i < 20; i++) {
    const q = since ? `?since=${encodeURIComponent(since)}` : ''
    const page = await getJson(`/api/v1/revocations${q}`)
    revocationIndex(page.revocations, revocations)
    const last = page.revocations[page.revocations.length - 1]
    if (last) since = last.revoked_at
    if (!page.truncated) break
  }
  const t = { keys, revocations, since, fetchedAt: Date.now() }
  save(t)
  return t
}

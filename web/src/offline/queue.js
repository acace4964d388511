// Pending scans kept in IndexedDB while the network is down, one queue per
// device for both scanning pages: gate scans { seq (auto), kind: 'gate',
// idempotency_key, checkpoint_id, code, direction, scanned_at } and
// checkpoint passages { kind: 'passage', idempotency_key, checkpoint_id, code,
// temperatures, decision, scanned_at }.
// flush(send) sends them oldest first; an item goes only after the server
// answered it: 200/201 (stored, or already stored under that idempotency
// key), or a definitive 4xx other than 401/403 (dropped, its answer kept for
// display). A network error, 401/403 or 5xx stops the flush and keeps the
// rest for the next one. Never two flushes at once: a second call shares the
// running one.
const DB = 'fangkong-offline'
const STORE = 'scans'

let dbPromise = null
function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1)
      req.onupgradeneeded = () => {
        const s = req.result.createObjectStore(STORE, { keyPath: 'seq', autoIncrement: true })
        s.createIndex('idempotency_key', 'idempotency_key', { unique: true })
      }
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    })
    dbPromise.catch(() => (dbPromise = null))
  }
  return dbPromise
}

async function tx(mode, fn) {
  const db = await openDb()
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode)
    const s = t.objectStore(STORE)
    let result
    const r = fn(s)
    if (r) r.onsuccess = () => (result = r.result)
    t.oncomplete = () => resolve(result)
    t.onerror = () => reject(t.error)
    t.onabort = () => reject(t.error)
  })
}

const listeners = new Set()
// fn(count) after every change of the queue.
export function onQueueChange(fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}
async function changed() {
  const n = await count()
  for (const fn of listeners) fn(n)
}

const FIELDS = {
  gate: ['direction'],
  passage: ['temperatures', 'decision'],
}

export async function enqueue(scan) {
  const kind = scan.kind || 'gate'
  if (!FIELDS[kind]) throw new Error(`unknown queued kind ${kind}`)
  const item = {
    kind,
    idempotency_key: scan.idempotency_key,
    checkpoint_id: scan.checkpoint_id,
    code: scan.code,
    scanned_at: scan.scanned_at,
  }
  for (const f of FIELDS[kind]) item[f] = scan[f]
  try {
    await tx('readwrite', (s) => s.add(item))
  } catch (e) {
    // the same idempotency key is queued already: one scan, one item
    if (e?.name !== 'ConstraintError') throw e
  }
  await changed()
}

export const count = () => tx('readonly', (s) => s.count())
export const pending = () => tx('readonly', (s) => s.getAll())
const remove = (seq) => tx('readwrite', (s) => s.delete(seq))

let running = null

// send(item) → resolves with { status, body } (2xx) or throws an error with
// `.status` (0: network). Returns { stored, replayed, dropped: [{item, status,
// error}], remaining, stopped: null | 'network' | 'auth' | 'server' }.
export function flush(send) {
  if (running) return running
  running = (async () => {
    const out = { stored: 0, replayed: 0, dropped: [], remaining: 0, stopped: null }
    try {
      for (const item of await pending()) {
        let res
        try {
          res = await send(item)
        } catch (e) {
          const st = e?.status || 0
          if (st === 0) out.stopped = 'network'
          else if (st === 401 || st === 403) out.stopped = 'auth'
          else if (st >= 500) out.stopped = 'server'
          if (out.stopped) break
          out.dropped.push({ item, status: st, error: e })
          await remove(item.seq)
          continue
        }
        if (res?.status === 201) out.stored++
        else out.replayed++
        await remove(item.seq)
      }
    } finally {
      out.remaining = await count().catch(() => -1)
      running = null
      await changed().catch(() => {})
    }
    return out
  })()
  return running
}

export const flushing = () => running !== null

// The offline half of a scanning page (gate and checkpoint): online state,
// the published keys and revocation list kept fresh while online, the queue
// length, and syncing the queue when the network is back (online event, a
// timer, or the 同步 button). Call from <script setup>.
import { computed, onBeforeUnmount, onMounted, ref } from 'vue'
import { offline as o } from '../i18n/zh-CN/offline.js'
import { loadTrust, refreshTrust, REFRESH_MS } from './trust.js'
import { count, flush, onQueueChange } from './queue.js'
import { sendQueued } from './sync.js'
import { cacheShell } from './pwa.js'
import { formatZh } from '../utils/time.js'

const SYNC_MS = 15 * 1000

export function useOffline() {
  const online = ref(navigator.onLine)
  const queued = ref(0)
  const syncing = ref(false)
  const syncNote = ref('')
  let trust = loadTrust()
  const trustAt = ref(trust.fetchedAt)
  let timers = []
  let offQueue = null

  const trustTime = computed(() =>
    trustAt.value
      ? formatZh(trustAt.value, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      : '',
  )

  async function refreshKeys() {
    if (!navigator.onLine) return
    try {
      trust = await refreshTrust(trust)
      trustAt.value = trust.fetchedAt
    } catch {
      /* offline: keep the stored copy */
    }
  }

  async function sync(manual = false) {
    if (syncing.value) return
    if (!manual) {
      if (!navigator.onLine) return
      queued.value = await count().catch(() => queued.value) // another tab may have queued scans
      if (queued.value === 0) return
    }
    syncing.value = true
    try {
      const r = await flush(sendQueued)
      const parts = []
      if (r.stored || r.replayed) parts.push(o.synced(r.stored, r.replayed))
      if (r.dropped.length) parts.push(o.dropped(r.dropped.length))
      if (r.stopped) parts.push(o.syncStopped[r.stopped])
      if (parts.length) syncNote.value = parts.join('；')
    } catch (e) {
      syncNote.value = e.message
    } finally {
      syncing.value = false
    }
  }

  function goOnline() {
    online.value = true
    refreshKeys()
    sync()
  }
  function goOffline() {
    online.value = false
  }

  onMounted(async () => {
    window.addEventListener('online', goOnline)
    window.addEventListener('offline', goOffline)
    offQueue = onQueueChange((n) => (queued.value = n))
    queued.value = await count().catch(() => 0)
    timers = [setInterval(refreshKeys, REFRESH_MS), setInterval(() => sync(), SYNC_MS)]
    await refreshKeys()
    sync()
    // the page (and the session) must open without a network next time
    if (import.meta.env.PROD) cacheShell({ session: true })
  })
  onBeforeUnmount(() => {
    window.removeEventListener('online', goOnline)
    window.removeEventListener('offline', goOffline)
    timers.forEach(clearInterval)
    offQueue?.()
  })

  return { online, queued, syncing, syncNote, trustTime, trust: () => trust, sync }
}

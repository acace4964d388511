// fangkong service worker: keeps the app shell so that the phone pages
// (#/m/gate) open without a network after one online visit.
// - navigations to the app (/ or /index.html; hash routes): network first,
//   the cached copy when offline (other navigations, e.g. downloads, pass);
// - /assets/* (hashed, immutable): cache first, cached on first fetch;
// - GET /api/v1/session: network first, the last good answer when offline
//   (a non-200 answer removes it, so a logged-out session is not served
//   again); the keys and revocations are kept by the page (src/offline/trust.js);
// - everything else goes to the network untouched.
const CACHE = 'fangkong-shell-v1'

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(['/', '/manifest.webmanifest', '/favicon.svg']))
      .catch(() => {})
      .then(() => self.skipWaiting()),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('fangkong-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  )
})

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE)
  try {
    const res = await fetch(request)
    if (res.status === 200) await cache.put(key, res.clone())
    else await cache.delete(key)
    return res
  } catch (e) {
    const hit = await cache.match(key)
    if (hit) return hit
    throw e
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE)
  const hit = await cache.match(request)
  if (hit) return hit
  const res = await fetch(request)
  if (res.status === 200) await cache.put(request, res.clone())
  return res
}

// From the page (src/offline/pwa.js): what it loaded before this worker
// controlled it; the assets are kept once, '/' and the session refreshed.
self.addEventListener('message', (event) => {
  const m = event.data
  if (!m || m.type !== 'cache' || !Array.isArray(m.urls)) return
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      const urls = m.urls.filter((u) => typeof u === 'string' && (u === '/' || /^\/assets\/[\w.-]+$/.test(u)))
      if (m.session) urls.push('/api/v1/session')
      for (const u of urls) {
        if (u.startsWith('/assets/') && (await cache.match(u))) continue
        try {
          const res = await fetch(u, { credentials: 'same-origin' })
          if (res.status === 200) await cache.put(u, res)
          else if (u === '/api/v1/session') await cache.delete(u)
        } catch {
          /* offline now: keep what is there */
        }
      }
    }),
  )
})

self.addEventListener('fetch', (event) => {
  const req = event.request
  const url = new URL(req.url)
  if (url.origin !== self.location.origin) return
  if (req.method !== 'GET') {
    // logging out (or in): forget the cached session
    if (url.pathname === '/api/v1/session') event.waitUntil(caches.open(CACHE).then((c) => c.delete('/api/v1/session')))
    return
  }
  if (req.mode === 'navigate' && (url.pathname === '/' || url.pathname === '/index.html')) {
    event.respondWith(networkFirst(req, '/'))
  } else if (url.pathname.startsWith('/assets/')) {
    event.respondWith(cacheFirst(req))
  } else if (url.pathname === '/api/v1/session') {
    event.respondWith(networkFirst(req, url.pathname))
  } else if (url.pathname === '/favicon.svg' || url.pathname === '/manifest.webmanifest') {
    event.respondWith(networkFirst(req, url.pathname))
  }
})

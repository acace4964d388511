// Registers the service worker (public/sw.js) and hands it what this page
// loaded before the worker controlled it (index.html, the hashed assets, the
// session), so that the page opens offline after one online visit.
function loadedUrls() {
  const urls = new Set(['/'])
  for (const e of performance.getEntriesByType?.('resource') || []) {
    const u = new URL(e.name, location.href)
    if (u.origin === location.origin && u.pathname.startsWith('/assets/')) urls.add(u.pathname)
  }
  return [...urls]
}

// Asks the worker to keep what is loaded now (and the session, when logged in).
export async function cacheShell({ session = false } = {}) {
  if (!('serviceWorker' in navigator) || !navigator.onLine) return
  try {
    const reg = await navigator.serviceWorker.getRegistration()
    const worker = reg?.active
    if (worker) worker.postMessage({ type: 'cache', urls: loadedUrls(), session })
  } catch {
    /* no worker: nothing to keep */
  }
}

export function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return
  window.addEventListener('load', () => {
    navigator.serviceWorker
      .register('/sw.js', { scope: '/' })
      .then(() => navigator.serviceWorker.ready)
      .then(() => cacheShell())
      .catch((e) => console.warn('service worker', e))
  })
}

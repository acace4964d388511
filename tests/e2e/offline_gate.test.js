// Offline scanning at a gate (issue 4 item 5): on a 375×667 phone the gate
// worker logs in on #/m/login, opens #/m/gate, chooses a fresh compound gate
// and lets the keys load; the network goes away (context.setOffline), 20 card
// codes are scanned (text box + Enter, as a keyboard-wedge scanner does):
// each is verified locally (签名有效 / 已离线记录，联网后复核) and queued in
// IndexedDB, 待同步 20 条. Back online the queue syncs by itself: 待同步 0 条
// and the gate log holds exactly 20 scans. The same 20 are then put back in
// the queue (as if the page had died between the server's answer and the
// removal) and synced again: the idempotency keys keep it at 20. 扫码 with
// no camera (headless) says so in a toast.
// The codes the server issued also verify with web/src/offline/codes.js in node.
// Offline again, the page reloads from the service worker's cache.
// Screenshots in tests/e2e/artifacts/: m-gate-offline.png, m-gate-synced.png,
// m-gate-reopened-offline.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { launch, skipReason, baseUrl, STEP_TIMEOUT } from './browser.js'
import { verifyLocally } from '../../web/src/offline/codes.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const artifacts = path.join(here, 'artifacts')
const skip = skipReason()
const COMMUNITY = '141102001001'
const SCANS = 20

let browser
before(async () => {
  if (skip) return
  fs.mkdirSync(artifacts, { recursive: true })
  browser = await launch()
})
after(async () => {
  if (browser) await browser.close()
})

test('phone: 20 scans offline are queued and stored exactly once when back online', { skip: skip || false }, async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))

  await page.goto(baseUrl() + '/#/m/login', { waitUntil: 'networkidle' })
  await page.locator('input[name=username]').fill(process.env.FK_E2E_USER)
  await page.locator('input[name=password]').fill(process.env.FK_E2E_PASSWORD)
  await page.locator('[data-test=m-login-submit]').click()
  await page.waitForURL(/#\/m$/)

  // A fresh gate for the compound of the community with most residents, and
  // the active cards there (bulk-issued unless an earlier test did).
  const gateName = `离线测试门岗${Date.now() % 100000}`
  const setup = await page.evaluate(async ({ community, gateName }) => {
    const session = await (await fetch('/api/v1/session')).json()
    const post = async (url, body) => {
      const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token }, body: JSON.stringify(body) })
      if (r.status !== 200 && r.status !== 201) throw new Error(`${url}: ${r.status} ${await r.text()}`)
      return r.json()
    }
    const list = await (await fetch(`/api/v1/persons?region=${community}&per_page=200`)).json()
    const count = {}
    for (const p of list.items) count[p.region] = (count[p.region] || 0) + 1
    const code = Object.keys(count).filter((c) => c.length === 15).sort((a, b) => count[b] - count[a])[0]
    await post('/api/v1/cards/bulk', { region: code })
    const gate = await post('/api/v1/checkpoints', { name: gateName, type: 'compound_gate', level: 4, region: community })
    const cards = await (await fetch(`/api/v1/cards?region=${code}&per_page=200`)).json()
    const keys = await (await fetch('/api/v1/keys')).json()
    return { gateId: gate.id, codes: cards.items.map((c) => c.code), keys }
  }, { community: COMMUNITY, gateName })
  assert.ok(setup.codes.length >= 1, JSON.stringify(setup))

  // The server's codes verify locally; a changed character does not.
  for (const c of setup.codes) assert.equal(verifyLocally(c, setup.keys, [], new Date()).reason, 'valid', c)
  const c0 = setup.codes[0]
  const tampered = c0.slice(0, -5) + (c0.at(-5) === 'A' ? 'B' : 'A') + c0.slice(-4)
  assert.notEqual(verifyLocally(tampered, setup.keys, [], new Date()).reason, 'valid')
  assert.equal(verifyLocally(c0, setup.keys, [], new Date(Date.now() + 40 * 86400e3)).reason, 'expired')

  await page.goto(baseUrl() + '/#/m/gate', { waitUntil: 'networkidle' })
  await page.locator('[data-test=m-gate-pick]').click()
  await page.locator('.van-picker-column__item', { hasText: gateName }).click()
  await page.locator('.van-picker__confirm').click()
  await page.locator('[data-test=m-gate-pick]').getByText(gateName).waitFor()
  await page.locator('[data-test=m-gate-keys]').waitFor() // 公钥已更新 hh:mm:ss
  await page.locator('[data-test=m-gate-in]').click()
  // 扫码 without a camera (headless): a toast, and the text box still works.
  const camera = page.locator('[data-test=m-gate-camera]')
  if (await camera.count()) {
    await camera.click()
    await page.locator('.van-toast', { hasText: '无法打开摄像头' }).waitFor()
    await page.locator('.van-toast').waitFor({ state: 'hidden' })
  }

  await context.setOffline(true)
  await page.locator('[data-test=m-gate-online]').getByText('离线').waitFor()
  const queue = page.locator('[data-test=m-gate-queue]')
  const box = page.locator('[data-test=m-gate-code] textarea')
  const result = page.locator('[data-test=m-gate-result]')
  for (let i = 0; i < SCANS; i++) {
    await box.fill(setup.codes[i % setup.codes.length])
    await box.press('Enter')
    await queue.getByText(`待同步 ${i + 1} 条`, { exact: true }).waitFor()
  }
  await result.getByText('签名有效', { exact: true }).waitFor()
  await result.getByText('已离线记录，联网后复核', { exact: true }).waitFor()
  await page.screenshot({ path: path.join(artifacts, 'm-gate-offline.png') })
  const queued = await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const req = indexedDB.open('fangkong-offline')
        req.onerror = () => reject(req.error)
        req.onsuccess = () => {
          const all = req.result.transaction('scans').objectStore('scans').getAll()
          all.onsuccess = () => resolve(all.result)
          all.onerror = () => reject(all.error)
        }
      }),
  )
  assert.equal(queued.length, SCANS)
  assert.equal(new Set(queued.map((q) => q.idempotency_key)).size, SCANS)

  // Back online: the `online` event syncs the queue by itself.
  await context.setOffline(false)
  await queue.getByText('待同步 0 条', { exact: true }).waitFor()
  await page.locator('[data-test=m-gate-synced]').getByText(`已同步 ${SCANS} 条`, { exact: true }).waitFor()
  await page.screenshot({ path: path.join(artifacts, 'm-gate-synced.png') })
  const logged = async () => {
    const r = await page.request.get(`${baseUrl()}/api/v1/gates/${setup.gateId}/scans?per_page=100`)
    assert.equal(r.status(), 200)
    return r.json()
  }
  let log = await logged()
  assert.equal(log.total, SCANS)
  assert.equal(log.items.filter((s) => s.allowed).length, SCANS, JSON.stringify(log.items.map((s) => s.reason)))

  // The same scans once more (the page died before removing them): replayed, not stored again.
  await page.evaluate(
    (items) =>
      new Promise((resolve, reject) => {
        const req = indexedDB.open('fangkong-offline')
        req.onsuccess = () => {
          const tx = req.result.transaction('scans', 'readwrite')
          for (const it of items) tx.objectStore('scans').add(it)
          tx.oncomplete = () => resolve()
          tx.onerror = () => reject(tx.error)
        }
      }),
    queued,
  )
  await context.setOffline(true)
  await context.setOffline(false) // the `online` event: a second flush
  await page.locator('[data-test=m-gate-synced]').getByText(`已同步 0 条（另 ${SCANS} 条此前已同步）`).waitFor()
  await queue.getByText('待同步 0 条', { exact: true }).waitFor()
  log = await logged()
  assert.equal(log.total, SCANS)

  // PWA: the service worker has kept the app shell and the session, so the
  // page opens again without a network.
  await page.waitForFunction(async () => !!(navigator.serviceWorker.controller && (await caches.match('/')) && (await caches.match('/api/v1/session'))), null, { polling: 250 })
  await context.setOffline(true)
  await page.reload({ waitUntil: 'load' })
  await page.locator('[data-test=m-gate-online]').getByText('离线').waitFor()
  await page.locator('[data-test=m-gate-pick]').getByText(gateName).waitFor()
  await queue.getByText('待同步 0 条', { exact: true }).waitFor()
  await page.screenshot({ path: path.join(artifacts, 'm-gate-reopened-offline.png') })
  await context.setOffline(false)
  assert.deepEqual(errors, [])
  await context.close()
})

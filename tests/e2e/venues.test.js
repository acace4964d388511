// 场所码: the district admin registers a venue in the console (场所管理,
// create dialog; an empty name is refused in the form first), opens its A4
// poster (name, category, a QR code that loads, the Chinese instructions);
// on a 375×667 phone, #/m/venue checks in a registered resident by typed ID
// number (允许进入, 绿码) and a resident in home quarantine (禁止进入, 红码,
// the reason), and today's arrivals list shows both colours. The persons and
// the home quarantine are made through the API with the session's CSRF token.
// Screenshots in tests/e2e/artifacts/: venues-list.png, venues-poster.png,
// m-venue-green.png, m-venue-red.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { launch, skipReason, baseUrl, STEP_TIMEOUT } from './browser.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const artifacts = path.join(here, 'artifacts')
const skip = skipReason()
const COMMUNITY = '141102001001'

let browser
before(async () => {
  if (skip) return
  fs.mkdirSync(artifacts, { recursive: true })
  browser = await launch()
})
after(async () => {
  if (browser) await browser.close()
})

async function login(page) {
  await page.goto(baseUrl() + '/#/login', { waitUntil: 'networkidle' })
  await page.locator('input[name=username]').fill(process.env.FK_E2E_USER)
  await page.locator('input[name=password]').fill(process.env.FK_E2E_PASSWORD)
  await page.locator('[data-test=login-submit]').click()
  await page.waitForURL(/#\/dashboard/)
}

// A valid, invented ID number (GB 11643 check character) unlikely to exist.
function idNumber(seq) {
  const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const d17 = `14110219520${String(1 + (seq % 9))}1${String(seq % 10)}${String(100 + (seq % 900)).slice(-3)}`.slice(0, 17)
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(d17[i]) * W[i]
  return d17 + '10X98765432'[sum % 11]
}

const venueName = `扫码测试超市${Date.now() % 100000}`
let venue = null
const ids = { green: idNumber(Date.now() % 1000), red: idNumber((Date.now() + 37) % 1000) }

test('console: register a venue, then its A4 poster shows the QR code', { skip: skip || false }, async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await login(page)
  const sidebar = page.locator('[data-test=sidebar]')
  await sidebar.locator('[data-test=menu-codes] .el-sub-menu__title').click()
  await sidebar.locator('[data-test=menu-codes-venues]').click()
  await page.waitForURL(/#\/codes\/venues/)
  await page.locator('[data-test=venues-table]').waitFor()

  await page.locator('[data-test=venues-create]').click()
  const dialog = page.locator('[data-test=venue-dialog]')
  await dialog.waitFor()
  // The form refuses an empty name before asking the server.
  await dialog.locator('[data-test=venue-submit]').click()
  await dialog.locator('.el-form-item__error', { hasText: '必填' }).waitFor()
  await dialog.locator('[data-test=venue-name]').fill(venueName)
  await dialog.locator('[data-test=venue-phone]').fill('13912345678')
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/venues') && r.request().method() === 'POST')
  await dialog.locator('[data-test=venue-submit]').click()
  const res = await created
  assert.equal(res.status(), 201, await res.text())
  venue = await res.json()
  assert.match(venue.code, /^FKS:/)
  await page.locator('[data-test=venues-table] .el-table__row', { hasText: venueName }).waitFor()
  await page.screenshot({ path: path.join(artifacts, 'venues-list.png') })

  const poster = await context.newPage()
  poster.on('pageerror', (e) => errors.push(String(e)))
  await poster.goto(`${baseUrl()}/#/venues/print?ids=${venue.id}`, { waitUntil: 'networkidle' })
  const sheet = poster.locator('[data-test=venue-poster]')
  await sheet.waitFor()
  assert.equal(await sheet.count(), 1)
  assert.equal((await sheet.locator('[data-test=poster-name]').textContent()).trim(), venueName)
  await sheet.locator('text=请使用‘防控’居民页扫码登记').waitFor()
  await sheet.locator('text=超市').first().waitFor()
  const qr = sheet.locator('[data-test=poster-qr]')
  await poster.waitForFunction((el) => el.complete && el.naturalWidth > 0, await qr.elementHandle())
  await poster.screenshot({ path: path.join(artifacts, 'venues-poster.png'), fullPage: false })
  assert.deepEqual(errors, [])
  await context.close()
})

test('phone: #/m/venue checks in by typed ID number — green allowed, red refused with the reason', { skip: skip || false }, async () => {
  assert.ok(venue, 'the venue from the console test')
  const context = await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await login(page)
  // Two residents of 滨河社区; the second goes into home quarantine (red code).
  await page.evaluate(async ({ community, ids, venueId }) => {
    const session = await (await fetch('/api/v1/session')).json()
    const post = async (url, body) => {
      const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token }, body: JSON.stringify(body) })
      if (r.status !== 201) throw new Error(`${url}: ${r.status} ${await r.text()}`)
      return r.json()
    }
    const region = (await (await fetch(`/api/v1/regions/${community}`)).json()).children[0].code
    await post('/api/v1/persons', { id_number: ids.green, name: '绿码测试', region })
    const red = await post('/api/v1/persons', { id_number: ids.red, name: '红码测试', region })
    const team = ['township_cadre', 'village_cadre', 'village_doctor', 'police', 'grid_worker'].map((role, i) => ({ role, name: `包保${i}`, phone: `1380000000${i}` }))
    await post('/api/v1/home-quarantines', { person_id: red.id, starts_at: new Date(Date.now() - 60000).toISOString(), days: 14, reason: 'close_contact', team })
    localStorage.setItem('fk.venue', String(venueId))
  }, { community: COMMUNITY, ids, venueId: venue.id })

  await page.goto(baseUrl() + '/#/m/venue', { waitUntil: 'networkidle' })
  await page.locator('[data-test=m-venue]').waitFor()
  await page.locator('[data-test=m-venue-pick]', { hasText: venueName }).waitFor()
  const input = page.locator('[data-test=m-venue-input] input')
  await input.fill(ids.green)
  await input.press('Enter')
  const result = page.locator('[data-test=m-venue-result]')
  await result.locator('.verdict', { hasText: '允许进入' }).waitFor()
  assert.equal((await result.locator('[data-test=m-venue-color]').textContent()).trim(), '绿码')
  assert.match(await result.getAttribute('class'), /\bok\b/)
  await page.screenshot({ path: path.join(artifacts, 'm-venue-green.png') })

  await input.fill(ids.red)
  await input.press('Enter')
  await result.locator('.verdict', { hasText: '禁止进入' }).waitFor()
  assert.equal((await result.locator('[data-test=m-venue-color]').textContent()).trim(), '红码')
  await result.locator('.reason', { hasText: '红码人员，禁止进入' }).waitFor()
  assert.match(await result.getAttribute('class'), /\bno\b/)
  await page.locator('[data-test=m-venue-arrival]', { hasText: '红码' }).waitFor()
  await page.locator('[data-test=m-venue-arrival]', { hasText: '绿码' }).waitFor()
  await page.screenshot({ path: path.join(artifacts, 'm-venue-red.png') })
  assert.deepEqual(errors, [])
  await context.close()
})

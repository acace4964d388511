// 健康码与风险区: the console's 风险区 page declares an outside county
// high-risk (district_admin), the public phone page lists it without login,
// 健康码查询 finds a person by name and shows the colour card, and the
// dashboard shows the colours by township. Screenshots: tests/e2e/artifacts/
// risk-areas.png, public-risk-areas.png, health-lookup.png, health-dashboard.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { launch, skipReason, baseUrl, STEP_TIMEOUT } from './browser.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const artifacts = path.join(here, 'artifacts')
const skip = skipReason()

let browser
before(async () => {
  if (skip) return
  fs.mkdirSync(artifacts, { recursive: true })
  browser = await launch()
})
after(async () => {
  if (browser) await browser.close()
})

test('declare a risk area, see it on the public page, look up a health code', { skip: skip || false }, async () => {
  const errors = []
  const desk = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const page = await desk.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(baseUrl() + '/#/login', { waitUntil: 'networkidle' })
  await page.locator('input[name=username]').fill(process.env.FK_E2E_USER)
  await page.locator('input[name=password]').fill(process.env.FK_E2E_PASSWORD)
  await page.locator('[data-test=login-submit]').click()
  await page.waitForURL(/#\/dashboard/)

  // 1. 风险区: declare an outside county (a fresh code each run).
  await page.goto(baseUrl() + '/#/health-codes/risk-areas', { waitUntil: 'networkidle' })
  const county = `14${String(Math.floor(10 + Math.random() * 89))}${String(Math.floor(10 + Math.random() * 89))}`
  await page.locator('[data-test=ra-declare]').click()
  await page.locator('[data-test=ra-kind] .el-radio-button').nth(1).click()
  await page.locator('input[data-test=ra-county], [data-test=ra-county] input').fill(county)
  await page.getByPlaceholder('例如 太原市小店区').fill('测试县')
  const declared = page.waitForResponse((r) => r.url().endsWith('/api/v1/risk-areas') && r.request().method() === 'POST')
  await page.locator('[data-test=ra-submit]').click()
  assert.equal((await declared).status(), 201)
  const table = page.locator('[data-test=ra-table]')
  const row = table.locator('tbody tr', { hasText: county })
  await row.first().waitFor()
  assert.equal((await row.first().locator('[data-test=ra-level]').innerText()).trim(), '高风险区')
  await page.waitForTimeout(300)
  await page.screenshot({ path: path.join(artifacts, 'risk-areas.png'), fullPage: true })

  // 2. 健康码查询 by the name of a person of the district.
  const persons = await (await page.request.get(baseUrl() + '/api/v1/persons?per_page=1')).json()
  const person = persons.items[0]
  await page.goto(baseUrl() + '/#/health-codes/lookup', { waitUntil: 'networkidle' })
  await page.locator('input[data-test=hc-q], [data-test=hc-q] input').fill(person.name)
  await page.locator('[data-test=hc-search]').click()
  const rows = page.locator('[data-test=hc-persons] .el-table__body-wrapper tbody tr')
  const card = page.locator('[data-test=hc-card]')
  await Promise.race([rows.first().waitFor(), card.waitFor()])
  if (!(await card.isVisible())) await rows.first().locator('button').click()
  await card.waitFor()
  assert.match(await page.locator('[data-test=hc-color]').innerText(), /^(绿码|黄码|红码)$/)
  assert.match(await card.innerText(), /第九版防控方案|二十条/)
  await page.waitForTimeout(300)
  await page.screenshot({ path: path.join(artifacts, 'health-lookup.png'), fullPage: true })

  // 3. The dashboard's chart of colours by township.
  await page.goto(baseUrl() + '/#/dashboard', { waitUntil: 'networkidle' })
  await page.locator('[data-test=health-stats] canvas').first().waitFor()
  await page.waitForTimeout(800)
  await page.locator('[data-test=health-stats]').screenshot({ path: path.join(artifacts, 'health-dashboard.png') })
  await desk.close()

  // 4. The public page on a phone, without logging in.
  const phone = await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const pub = await phone.newPage()
  pub.on('pageerror', (e) => errors.push(String(e)))
  await pub.goto(baseUrl() + '/#/public/risk-areas', { waitUntil: 'networkidle' })
  assert.match(pub.url(), /#\/public\/risk-areas/, 'not sent to the login page')
  const list = pub.locator('[data-test=public-risk-list]')
  await list.getByText('测试县').first().waitFor()
  const width = await pub.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(width <= 375, `no horizontal scrolling (${width}px)`)
  await pub.screenshot({ path: path.join(artifacts, 'public-risk-areas.png'), fullPage: true })
  await phone.close()
  assert.deepEqual(errors, [], 'no uncaught page errors')
})

// 居家隔离: the district admin registers a home quarantine in the console
// (person chosen by search, the five-person team from users and a contact),
// sees it in the table and the detail drawer with its chart; then on a
// 375×667 phone the demo community worker (a team member) logs in on
// #/m/login, opens #/m/quarantine and records a temperature. Screenshots in
// tests/e2e/artifacts/: homeq-form.png, homeq-list.png, homeq-drawer.png,
// m-homeq-list.png, m-homeq-entry.png, m-homeq-after.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { launch, skipReason, baseUrl, STEP_TIMEOUT } from './browser.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const artifacts = path.join(here, 'artifacts')
const skip = skipReason()
const WORKER = 'community_worker' // demo login of 滨河社区 (141102001001), 王磊
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

let personName = null

test('console: register a home quarantine with its five-person team', { skip: skip || false }, async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))

  await page.goto(baseUrl() + '/#/login', { waitUntil: 'networkidle' })
  await page.locator('input[name=username]').fill(process.env.FK_E2E_USER)
  await page.locator('input[name=password]').fill(process.env.FK_E2E_PASSWORD)
  await page.locator('[data-test=login-submit]').click()
  await page.waitForURL(/#\/dashboard/)

  // A person of 滨河社区 not yet in home quarantine (a unique name).
  const candidates = await page.evaluate(async (region) => {
    const list = await (await fetch(`/api/v1/persons?region=${region}&per_page=200`)).json()
    const active = await (await fetch(`/api/v1/home-quarantines?region=${region}&per_page=200`)).json()
    const busy = new Set(active.items.map((q) => q.person.id))
    const count = {}
    for (const p of list.items) count[p.name] = (count[p.name] || 0) + 1
    return list.items.filter((p) => !busy.has(p.id) && count[p.name] === 1 && p.region.startsWith(region)).map((p) => p.name)
  }, COMMUNITY)
  assert.ok(candidates.length > 0, 'a person to quarantine')
  personName = candidates[0]

  const sidebar = page.locator('[data-test=sidebar]')
  await sidebar.locator('[data-test=menu-quarantine] .el-sub-menu__title').click()
  await sidebar.locator('[data-test=menu-quarantine-home]').click()
  await page.waitForURL(/#\/quarantine\/home/)
  await page.locator('[data-test=homeq-table]').waitFor()

  await page.locator('[data-test=homeq-create]').click()
  const dialog = page.locator('[data-test=homeq-dialog]')
  await dialog.waitFor()
  await dialog.locator('[data-test=homeq-person] input').fill(personName)
  await page.locator('.el-select-dropdown__item:visible', { hasText: personName }).first().click()
  // Users for four roles (the demo worker 王磊 as grid worker), a contact for the police.
  // Wait until the previous dropdown (with its selected option) has closed.
  const dropdownsClosed = () =>
    page.waitForFunction(() => ![...document.querySelectorAll('.el-select-dropdown__item.is-selected')].some((e) => e.offsetParent !== null))
  await dropdownsClosed()
  for (const role of ['township_cadre', 'village_cadre', 'village_doctor', 'grid_worker']) {
    await dialog.locator(`[data-test=homeq-member-${role}] [data-test=homeq-member-user]`).click()
    // Candidates read "name（region）"; the person's own dropdown may still be fading out.
    // Each role's dropdown has its own popper class: never an earlier one still fading out.
    const options = page.locator(`.homeq-pop-${role} .el-select-dropdown__item[data-test=homeq-candidate]`)
    if (role === 'grid_worker' || role === 'village_doctor') await options.filter({ hasText: '王磊' }).first().click()
    else await options.first().click()
  }
  await dialog.locator('[data-test=homeq-member-police] input[placeholder=姓名]').fill('派出所张警官')
  await dialog.locator('[data-test=homeq-member-police] input[placeholder=手机号]').fill('1380000')
  await dialog.locator('[data-test=homeq-submit]').click()
  await dialog.getByText('手机号应为 11 位数字').waitFor()
  await dialog.locator('[data-test=homeq-member-police] input[placeholder=手机号]').fill('13800001111')
  await page.screenshot({ path: path.join(artifacts, 'homeq-form.png') })
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/home-quarantines') && r.request().method() === 'POST')
  await dialog.locator('[data-test=homeq-submit]').click()
  const res = await created
  assert.equal(res.status(), 201, await res.text())

  // The drawer opens on the new quarantine: team, letters, chart.
  const drawer = page.locator('[data-test=homeq-drawer]')
  await drawer.locator('[data-test=homeq-team]').getByText('派出所张警官').waitFor()
  await drawer.locator('[data-test=homeq-letter-commitment]').getByRole('button', { name: '送达' }).click()
  await drawer.locator('[data-test=homeq-letter-commitment]').getByText('已送达').waitFor()
  await drawer.locator('[data-test=homeq-chart] canvas').waitFor()
  // The console's own temperature entry (a number input) is there for staff.
  await drawer.locator('[data-test=homeq-celsius] input').waitFor()
  await page.waitForTimeout(400)
  await page.screenshot({ path: path.join(artifacts, 'homeq-drawer.png') })
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'hidden' })
  await page.locator('[data-test=homeq-table]').getByText(personName).waitFor()
  await page.screenshot({ path: path.join(artifacts, 'homeq-list.png') })
  assert.deepEqual(errors, [])
  await context.close()
})

test('phone: the grid worker records a temperature on #/m/quarantine', { skip: skip || false }, async () => {
  assert.ok(personName, 'the console test created a quarantine')
  const context = await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(baseUrl() + '/#/m/quarantine', { waitUntil: 'networkidle' })
  await page.locator('[data-test=m-login]').waitFor()
  await page.locator('input[name=username]').fill(WORKER)
  await page.locator('input[name=password]').fill(process.env.FK_E2E_PASSWORD)
  await page.locator('[data-test=m-login-submit]').click()
  await page.waitForURL(/#\/m\/quarantine$/)
  const list = page.locator('[data-test=m-homeq-list]')
  const row = list.locator('.van-cell', { hasText: personName })
  await row.waitFor()
  const noSideScroll = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
  assert.ok(noSideScroll, 'no sideways scroll at 375 px')
  await page.screenshot({ path: path.join(artifacts, 'm-homeq-list.png') })
  await row.click()
  await page.locator('[data-test=m-homeq-entry]').waitFor()
  await page.locator('[data-test=m-celsius] input').fill('36.8')
  await page.locator('[data-test=m-celsius] input').blur()
  await page.screenshot({ path: path.join(artifacts, 'm-homeq-entry.png') })
  const saved = page.waitForResponse((r) => /\/temperatures$/.test(r.url()) && r.request().method() === 'POST')
  await page.locator('[data-test=m-temp-submit]').click()
  const res = await saved
  assert.equal(res.status(), 201, await res.text())
  await page.waitForURL(/#\/m\/quarantine$/)
  await list.locator('.van-cell', { hasText: personName }).getByText('36.8℃').waitFor()
  await page.screenshot({ path: path.join(artifacts, 'm-homeq-after.png') })
  assert.deepEqual(errors, [])
  await context.close()
})

// 卡口: the district admin registers a checkpoint in the console (a field the
// form refuses first), puts someone on duty from the drawer's week, registers
// an incident there, then sees it on the 事件 page and the shift on the
// 值班表. Screenshots in tests/e2e/artifacts/: cp-form.png, cp-drawer.png,
// cp-incident.png, cp-list.png, cp-incidents.png, cp-roster.png.
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

test('console: register a checkpoint, a duty shift and an incident', { skip: skip || false }, async () => {
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

  const sidebar = page.locator('[data-test=sidebar]')
  await sidebar.locator('[data-test=menu-checkpoints] .el-sub-menu__title').click()
  await sidebar.locator('[data-test=menu-checkpoints-list]').click()
  await page.waitForURL(/#\/checkpoints\/list/)
  await page.locator('[data-test=cp-table]').waitFor()

  const name = `离石西高速出口${Date.now() % 10000}`
  await page.locator('[data-test=cp-create]').click()
  const dialog = page.locator('[data-test=cp-dialog]')
  await dialog.waitFor()
  await dialog.locator('[data-test=cp-name]').fill(name)
  await dialog.locator('[data-test=cp-type]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '高速出口' }).click()
  await dialog.locator('[data-test=cp-level]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '二级（区县界）' }).click()
  // The region: the district itself (the cascader's first node).
  await dialog.locator('.el-cascader').click()
  await page.locator('.el-cascader-menu:visible').first().locator('.el-cascader-node').first().locator('.el-radio').click()
  await dialog.locator('.el-dialog__title').click()
  // A latitude without a longitude is refused on the field.
  await dialog.locator('[data-test=cp-lat]').fill('37.5178')
  await dialog.locator('[data-test=cp-save]').click()
  await dialog.getByText('经纬度须同时填写').waitFor()
  await dialog.locator('[data-test=cp-lng]').fill('111.1342')
  await page.screenshot({ path: path.join(artifacts, 'cp-form.png') })
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/checkpoints') && r.request().method() === 'POST')
  await dialog.locator('[data-test=cp-save]').click()
  const res = await created
  assert.equal(res.status(), 201, await res.text())

  // The drawer opens on the new checkpoint: put someone on duty this week.
  const drawer = page.locator('[data-test=cp-drawer]')
  await drawer.locator('[data-test=cp-week]').waitFor()
  await drawer.locator('[data-test^=cp-assign-]').first().click()
  const shiftDialog = page.locator('[data-test=shift-dialog]')
  await shiftDialog.waitFor()
  await shiftDialog.locator('[data-test=shift-user]').click()
  await page.locator('.el-select-dropdown__item:visible').first().click()
  await shiftDialog.locator('[data-test=shift-post]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '带班负责人' }).click()
  const shiftSaved = page.waitForResponse((r) => /\/shifts$/.test(r.url()) && r.request().method() === 'POST')
  await shiftDialog.locator('[data-test=shift-save]').click()
  const shiftRes = await shiftSaved
  assert.equal(shiftRes.status(), 201, await shiftRes.text())
  await drawer.locator('[data-test=cp-week]').getByText('08:00–20:00').waitFor()
  await page.waitForTimeout(400)
  await page.screenshot({ path: path.join(artifacts, 'cp-drawer.png') })

  // Register an incident at it.
  await drawer.locator('.el-tabs__item', { hasText: '事件' }).click()
  await drawer.locator('[data-test=cp-incident-create]').click()
  const incidentDialog = page.locator('[data-test=incident-dialog]')
  await incidentDialog.waitFor()
  await incidentDialog.locator('[data-test=incident-plate]').fill('晋J1234')
  await incidentDialog.locator('[data-test=incident-description]').fill('车辆未停车接受检查，强行驶离')
  await incidentDialog.locator('[data-test=incident-save]').click()
  await incidentDialog.getByText('车牌号格式错误').waitFor()
  await incidentDialog.locator('[data-test=incident-plate]').fill('晋J12345')
  await incidentDialog.locator('[data-test=incident-name]').fill('张三')
  await incidentDialog.locator('[data-test=incident-phone]').fill('13812345678')
  await incidentDialog.locator('[data-test=incident-referral]').click()
  await incidentDialog.locator('[data-test=incident-station]').fill('城北派出所')
  const incidentSaved = page.waitForResponse((r) => /\/incidents$/.test(r.url()) && r.request().method() === 'POST')
  await incidentDialog.locator('[data-test=incident-save]').click()
  const incRes = await incidentSaved
  assert.equal(incRes.status(), 201, await incRes.text())
  await drawer.getByText('车辆未停车接受检查，强行驶离').waitFor()
  await page.waitForTimeout(300)
  await page.screenshot({ path: path.join(artifacts, 'cp-incident.png') })
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'hidden' })
  await page.locator('[data-test=cp-table]').getByText(name).waitFor()
  await page.waitForTimeout(400) // tags zoom in
  await page.screenshot({ path: path.join(artifacts, 'cp-list.png') })

  // The 事件 page lists it; the 值班表 shows the shift.
  await sidebar.locator('[data-test=menu-checkpoints-incidents]').click()
  await page.waitForURL(/#\/checkpoints\/incidents/)
  await page.locator('[data-test=incidents-table]').getByText(name).first().waitFor()
  await page.waitForTimeout(400) // tags zoom in
  await page.screenshot({ path: path.join(artifacts, 'cp-incidents.png') })
  const shift = await shiftRes.json()
  await sidebar.locator('[data-test=menu-checkpoints-roster]').click()
  await page.waitForURL(/#\/checkpoints\/roster/)
  await page.locator('.toolbar .el-date-editor input').fill(shift.starts_at.slice(0, 10))
  await page.locator('.toolbar .el-date-editor input').press('Enter')
  await page.locator('[data-test=roster]').getByText(name).waitFor()
  await page.waitForTimeout(400) // tags zoom in
  await page.screenshot({ path: path.join(artifacts, 'cp-roster.png') })
  assert.deepEqual(errors, [])
  await context.close()
})

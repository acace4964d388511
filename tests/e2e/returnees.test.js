// 返乡人员自助报备 (#/public/arrival) on a phone-sized screen without logging
// in: a client-side refusal, a server-side field error shown next to its
// field, then a valid registration that shows its reference; then the
// console page 返乡人员 lists it. Screenshots: tests/e2e/artifacts/
// arrival-invalid.png, arrival-done.png, returnees.png.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { launch, skipReason, baseUrl, STEP_TIMEOUT } from './browser.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const artifacts = path.join(here, 'artifacts')
const skip = skipReason()

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
function checkChar(first17) {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]
  return '10X98765432'[sum % 11]
}
// A Wuhan-born, invented ID number.
function freshId() {
  const y = 1960 + Math.floor(Math.random() * 40)
  const m = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')
  const d = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')
  const seq = String(Math.floor(Math.random() * 1000)).padStart(3, '0')
  const first17 = `420102${y}${m}${d}${seq}`
  return first17 + checkChar(first17)
}
function todayShanghai() {
  // formatToParts, not format(): what format() gives for en-CA depends on the
  // ICU data (Debian 12's Node.js 18 writes 12/07/2026).
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(new Date())
      .map((x) => [x.type, x.value]),
  )
  return `${p.year}-${p.month}-${p.day}`
}

let browser
before(async () => {
  if (skip) return
  fs.mkdirSync(artifacts, { recursive: true })
  browser = await launch()
})
after(async () => {
  if (browser) await browser.close()
})

test('public self-registration on a phone, then the console list', { skip: skip || false }, async () => {
  const phone = await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const page = await phone.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))

  await page.goto(baseUrl() + '/#/public/arrival', { waitUntil: 'networkidle' })
  assert.match(page.url(), /#\/public\/arrival/, 'a visitor is not sent to the login page')
  await page.getByText('返乡人员自助报备').first().waitFor()

  // 1. Client-side: a wrong check character and empty fields.
  const id = freshId()
  const bad = id.slice(0, 17) + ('0123456789X'.split('').find((c) => c !== id[17]))
  await page.locator('[data-test=f-id] input').fill(bad)
  await page.locator('[data-test=arrival-submit]').click()
  await page.getByText('身份证号无效').first().waitFor()
  await page.locator('[data-test=arrival-notice]').waitFor()

  // 2. Fill the form, with a plate the server refuses (5 characters after the letter are needed).
  const name = `自助测试${String(Date.now()).slice(-3)}`
  await page.locator('[data-test=f-id] input').fill(id)
  await page.locator('[data-test=f-name] input').fill(name)
  await page.locator('[data-test=f-phone] input').fill('13912345678')
  await page.locator('[data-test=f-province]').click()
  await page.locator('.van-picker__confirm').click()
  await page.locator('[data-test=f-date] input').fill(todayShanghai())
  await page.locator('[data-test=f-plate] input').fill('鄂A1234')
  await page.locator('[data-test=f-dest]').click()
  for (let level = 0; level < 3; level++) {
    const option = page.locator('.van-cascader__options').nth(level).locator('.van-cascader__option').first()
    await option.waitFor()
    await option.click()
    if (!(await page.locator('.van-cascader').isVisible())) break
  }
  await page.locator('.van-cascader').waitFor({ state: 'hidden' })
  assert.ok((await page.locator('[data-test=f-dest] input').inputValue()).includes('/'), 'destination chosen')
  await page.locator('[data-test=f-address] input').fill('3号楼2单元501')
  const refused = page.waitForResponse((r) => r.url().includes('/api/v1/public/returnees'))
  await page.locator('[data-test=arrival-submit]').click()
  assert.equal((await refused).status(), 422)
  const plateError = page.locator('[data-test=f-plate] .van-field__error-message')
  await plateError.waitFor()
  assert.match(await plateError.innerText(), /车牌/)
  await page.waitForTimeout(300)
  await page.screenshot({ path: path.join(artifacts, 'arrival-invalid.png'), fullPage: true })

  // 3. Fix the plate: registered, the reference is shown.
  await page.locator('[data-test=f-plate] input').fill('鄂A12345')
  const accepted = page.waitForResponse((r) => r.url().includes('/api/v1/public/returnees'))
  await page.locator('[data-test=arrival-submit]').click()
  assert.equal((await accepted).status(), 201)
  const reference = (await page.locator('[data-test=arrival-reference]').innerText()).trim()
  assert.match(reference, /^R[2-9A-HJ-NP-Z]{8}$/)
  await page.getByText('报备成功').first().waitFor()
  const width = await page.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(width <= 375, `no horizontal scrolling on a phone (${width}px)`)
  await page.screenshot({ path: path.join(artifacts, 'arrival-done.png'), fullPage: true })
  await phone.close()

  // 4. The console page lists it.
  const desk = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const console_ = await desk.newPage()
  console_.setDefaultTimeout(STEP_TIMEOUT)
  console_.on('pageerror', (e) => errors.push(String(e)))
  await console_.goto(baseUrl() + '/#/login', { waitUntil: 'networkidle' })
  await console_.locator('input[name=username]').fill(process.env.FK_E2E_USER)
  await console_.locator('input[name=password]').fill(process.env.FK_E2E_PASSWORD)
  await console_.locator('[data-test=login-submit]').click()
  await console_.waitForURL(/#\/dashboard/)
  await console_.goto(baseUrl() + '/#/arrivals', { waitUntil: 'networkidle' })
  const table = console_.locator('[data-test=returnees-table]')
  await table.getByText(name).first().waitFor()
  const headers = await table.locator('.el-table__header-wrapper').innerText()
  for (const h of ['姓名', '身份证号', '来源地', '到达日期', '交通方式', '三码查验', '落地检', '管控措施']) assert.ok(headers.includes(h), `column ${h}`)
  assert.match(await table.locator('.el-table__body-wrapper tbody tr').first().innerText(), /\d{4}\*+\d{3}[\dX]/, 'ID masked')
  await console_.waitForTimeout(500)
  await console_.screenshot({ path: path.join(artifacts, 'returnees.png'), fullPage: true })
  await desk.close()
  assert.deepEqual(errors, [], 'no uncaught page errors')
})

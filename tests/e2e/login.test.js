// Log in through the real login page, check the Chinese console and the
// user-management table, and keep screenshots in tests/e2e/artifacts/.
//
//   FK_BASE_URL=http://127.0.0.1:18080 FK_E2E_USER=admin FK_E2E_PASSWORD=... node --test tests/e2e/
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
let context
let page

before(async () => {
  if (skip) return
  fs.mkdirSync(artifacts, { recursive: true })
  browser = await launch()
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT)
})

after(async () => {
  if (browser) await browser.close()
})

test('login page, console and user management', { skip: skip || false }, async () => {
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))

  await page.goto(baseUrl() + '/', { waitUntil: 'networkidle' })
  // An unauthenticated visitor lands on the login page.
  await page.waitForURL(/#\/login/)
  await page.getByText('用户登录').waitFor()
  assert.match(await page.title(), /防控/)

  // Required-field validation is shown in Chinese before any request is made.
  await page.locator('[data-test=login-submit]').click()
  await page.getByText('请输入用户名').first().waitFor()

  await page.locator('input[name=username]').fill(process.env.FK_E2E_USER)
  await page.locator('input[name=password]').fill(process.env.FK_E2E_PASSWORD)
  // Typing clears the validation messages (after their fade-out transition).
  await page.waitForFunction(() => document.querySelectorAll('.el-form-item__error').length === 0)
  await page.waitForTimeout(300)
  await page.screenshot({ path: path.join(artifacts, 'login.png'), fullPage: true })
  await page.locator('[data-test=login-submit]').click()

  // The console: header, sidebar modules, the user's display name.
  await page.waitForURL(/#\/dashboard/)
  await page.locator('[data-test=product-name]').waitFor()
  assert.equal((await page.locator('[data-test=product-name]').innerText()).trim(), '防控 · 疫情防控综合平台')
  const sidebar = page.locator('[data-test=sidebar]')
  for (const m of ['总览', '人员底数', '敲门排查', '核酸检测', '日报告', '用户管理']) {
    assert.ok((await sidebar.innerText()).includes(m), `sidebar lists ${m}`)
  }
  const session = await page.evaluate(async () => (await fetch('/api/v1/session', { credentials: 'same-origin' })).json())
  const displayName = (await page.locator('[data-test=user-display-name]').innerText()).trim()
  assert.ok(displayName.length > 0, 'header shows a display name')
  assert.equal(displayName, session.user.display_name || session.user.username)
  assert.equal((await page.locator('[data-test=user-role]').innerText()).trim(), '区指挥部管理员')

  // Dashboard shows the region's counts.
  await page.locator('[data-test=stat-persons]').waitFor()
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-test=stat-persons] .stat-value')
    return el && /\d/.test(el.textContent)
  })
  await page.waitForTimeout(600) // let the chart animation settle for the screenshot
  await page.screenshot({ path: path.join(artifacts, 'console.png'), fullPage: true })

  // User management lists at least one user.
  await sidebar.getByText('用户管理').click()
  await page.waitForURL(/#\/admin\/users/)
  const rows = page.locator('[data-test=users-table] .el-table__body-wrapper tbody tr')
  await rows.first().waitFor()
  await page.waitForTimeout(500) // menu highlight transition
  assert.ok((await rows.count()) >= 1, 'users table has a row')
  assert.ok((await page.locator('[data-test=users-table]').innerText()).includes(process.env.FK_E2E_USER))
  await page.screenshot({ path: path.join(artifacts, 'users.png'), fullPage: true })

  // New user: the length rule is checked on the page, cracklib's verdict comes
  // from the server and shows on the password field in Chinese.
  await page.locator('[data-test=user-create]').click()
  const dialog = page.locator('.el-dialog')
  await dialog.locator('[data-test=user-username]').fill(`e2e_${Date.now() % 100000}`)
  await dialog.locator('[data-test=user-display-name-input]').fill('浏览器测试')
  await dialog.locator('[data-test=user-role-select]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '网格员' }).first().click()
  await dialog.locator('[data-test=user-region]').fill('141102')
  const password = dialog.locator('[data-test=user-password]')
  await password.fill('Demo@2022')
  await dialog.locator('[data-test=user-save]').click()
  await dialog.getByText('密码至少 10 个字符').waitFor()
  await password.fill('qwertyuiop')
  await dialog.locator('[data-test=user-save]').click()
  await dialog.getByText('密码基于常见单词或常用密码，容易被猜中').waitFor()
  await page.screenshot({ path: path.join(artifacts, 'user-weak-password.png'), fullPage: true })
  await dialog.getByRole('button', { name: '取消' }).click()
  await dialog.waitFor({ state: 'hidden' })

  // A reset offers to revoke the bearer tokens too.
  await rows.first().getByRole('button', { name: '编辑' }).click()
  await dialog.locator('[data-test=user-password]').fill('Lishi#Gate-2022')
  await dialog.locator('[data-test=user-revoke-tokens]').waitFor()
  await dialog.getByRole('button', { name: '取消' }).click()
  await dialog.waitFor({ state: 'hidden' })

  assert.deepEqual(errors, [], 'no uncaught page errors')
})

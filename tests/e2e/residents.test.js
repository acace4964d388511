// 人员底数: the persons list and search, and a CSV import watched to the end
// (2 good rows, 1 row with a wrong check character). Screenshots go to
// tests/e2e/artifacts/persons.png and import.png.
//
//   FK_BASE_URL=http://127.0.0.1:18080 FK_E2E_USER=district_admin FK_E2E_PASSWORD=... node --test tests/e2e/
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { launch, skipReason, baseUrl, STEP_TIMEOUT } from './browser.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const artifacts = path.join(here, 'artifacts')
const skip = skipReason()
const REGION = '141102001001001'

// GB 11643 / ISO 7064 MOD 11-2 check character of the first 17 digits.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
function checkChar(first17) {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]
  return '10X98765432'[sum % 11]
}
// A fresh, valid ID number: random birth date 1950-2004 and sequence.
function freshId() {
  const y = 1950 + Math.floor(Math.random() * 55)
  const m = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')
  const d = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')
  const seq = String(Math.floor(Math.random() * 1000)).padStart(3, '0')
  const first17 = `141102${y}${m}${d}${seq}`
  return first17 + checkChar(first17)
}
function wrongCheck(id) {
  const good = id[17]
  const bad = '0123456789X'.split('').find((c) => c !== good)
  return id.slice(0, 17) + bad
}

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

test('persons list, search and CSV import', { skip: skip || false }, async () => {
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))

  // Log in.
  await page.goto(baseUrl() + '/#/login', { waitUntil: 'networkidle' })
  await page.locator('input[name=username]').fill(process.env.FK_E2E_USER)
  await page.locator('input[name=password]').fill(process.env.FK_E2E_PASSWORD)
  await page.locator('[data-test=login-submit]').click()
  await page.waitForURL(/#\/dashboard/)

  // 人员底数 is a sidebar group; open 人员.
  const sidebar = page.locator('[data-test=sidebar]')
  await sidebar.locator('[data-test=menu-residents] .el-sub-menu__title').click()
  for (const sub of ['人员', '户', '疑似重复', '批量导入']) {
    await sidebar.locator('.el-menu-item', { hasText: new RegExp(`^\\s*${sub}\\s*$`) }).first().waitFor()
  }
  await sidebar.locator('[data-test=menu-residents-persons]').click()
  await page.waitForURL(/#\/residents\/persons/)

  const table = page.locator('[data-test=persons-table]')
  const rows = table.locator('.el-table__body-wrapper tbody tr')
  await rows.first().waitFor()
  await page.waitForFunction(() => !document.querySelector('[data-test=persons-table] .el-loading-mask'))
  assert.ok((await rows.count()) >= 1, 'persons table has rows')
  const headers = await table.locator('.el-table__header-wrapper').innerText()
  for (const h of ['姓名', '性别', '身份证号', '手机号', '所属区划', '地址', '类别', '登记时间']) {
    assert.ok(headers.includes(h), `column ${h}`)
  }
  // ID numbers are masked for district_admin.
  assert.match(await rows.first().innerText(), /\d{4}\*+\d{3}[\dX]/)
  await page.waitForTimeout(500) // menu transition
  await page.screenshot({ path: path.join(artifacts, 'persons.png'), fullPage: true })

  // Search by a name prefix taken from the first row.
  const name = (await rows.first().locator('[data-test=person-name-link]').innerText()).trim()
  assert.ok(name.length >= 2, `first row has a name (${name})`)
  const prefix = name.length >= 3 ? name.slice(0, name.length - 1) : name
  await page.locator('input[data-test=person-search]').fill(prefix)
  const searched = page.waitForResponse((r) => r.url().includes('/api/v1/persons?') && r.url().includes('q='))
  await page.locator('input[data-test=person-search]').press('Enter')
  assert.equal((await searched).status(), 200)
  await page.waitForFunction(() => !document.querySelector('[data-test=persons-table] .el-loading-mask'))
  const names = await table.locator('[data-test=person-name-link]').allInnerTexts()
  assert.ok(names.length >= 1, 'search finds rows')
  for (const n of names) assert.ok(n.trim().startsWith(prefix), `${n} starts with ${prefix}`)
  assert.ok(names.map((n) => n.trim()).includes(name), `search result includes ${name}`)

  // 批量导入: upload a small CSV and watch the job to the end.
  const good1 = freshId()
  let good2 = freshId()
  while (good2 === good1) good2 = freshId()
  const tag = String(Date.now()).slice(-4)
  const csv = [
    '身份证号,姓名,手机号,区划代码,地址',
    `${good1},导入测试甲${tag},13800001111,${REGION},阳光小区1号楼1单元101室`,
    `${good2},导入测试乙${tag},,${REGION},阳光小区1号楼1单元102室`,
    `${wrongCheck(freshId())},导入测试丙${tag},13800002222,${REGION},阳光小区1号楼1单元103室`,
  ].join('\r\n') + '\r\n'
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fk-e2e-'))
  const file = path.join(dir, '人员导入.csv')
  fs.writeFileSync(file, csv)

  await sidebar.locator('[data-test=menu-residents-import]').click()
  await page.waitForURL(/#\/residents\/import/)
  await page.getByText('下载 Excel 模板').waitFor()
  await page.getByText('下载 CSV 模板').waitFor()
  await page.locator('[data-test=import-upload] input[type=file]').setInputFiles(file)

  // Either the job runs to 100 %, or the upload is refused (shown as an error message).
  const refused = page.locator('.el-message--error').first()
  await Promise.race([
    page.locator('[data-test=import-progress][aria-valuenow="100"]').waitFor({ timeout: 60000 }),
    refused.waitFor({ timeout: 60000 }).then(async () => {
      throw new Error(`upload refused: ${(await refused.innerText()).trim()}`)
    }),
  ])
  await page.locator('[data-test=import-done]').waitFor({ timeout: 30000 })
  assert.equal((await page.locator('[data-test=import-imported]').innerText()).trim(), '2')
  assert.equal((await page.locator('[data-test=import-rejected]').innerText()).trim(), '1')
  assert.equal((await page.locator('[data-test=import-skipped]').innerText()).trim(), '0')
  const errBtn = page.locator('[data-test=import-errors-download]')
  await errBtn.waitFor()
  assert.ok((await errBtn.innerText()).includes('下载错误表'))
  await page.getByText('修改后可直接重新上传').waitFor()
  await page.waitForTimeout(400) // progress bar transition
  await page.screenshot({ path: path.join(artifacts, 'import.png'), fullPage: true })

  fs.rmSync(dir, { recursive: true, force: true })
  assert.deepEqual(errors, [], 'no uncaught page errors')
})

// Launch Debian's chromium through playwright-core (no browser downloads).
import { chromium } from 'playwright-core'
import fs from 'node:fs'

export const CHROMIUM = process.env.FK_CHROMIUM || '/usr/bin/chromium'

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

// Why the e2e tests cannot run here, or '' when they can.
export function skipReason() {
  if (!process.env.FK_BASE_URL) return 'FK_BASE_URL not set (start `fangkong serve --web web/dist` and point it there)'
  if (!process.env.FK_E2E_USER || !process.env.FK_E2E_PASSWORD) return 'FK_E2E_USER / FK_E2E_PASSWORD not set'
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} not found`
  return ''
}

export function baseUrl() {
  return process.env.FK_BASE_URL.replace(/\/+$/, '')
}

// How long one step (a click, a wait for text or a URL) may take. A step that
// takes 1 s on a quiet machine took 15 s once with both cores busy (a lazy
// route chunk with ECharts parsed under load), so the bound is generous; a
// broken page still fails, only later. FK_E2E_STEP_MS overrides it.
export const STEP_TIMEOUT = Number(process.env.FK_E2E_STEP_MS || 30000)

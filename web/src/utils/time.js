// Times are exchanged as RFC 3339 with offset and always shown in Asia/Shanghai.
const TZ = 'Asia/Shanghai'

let formatter = null
function getFormatter() {
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone: TZ,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
  }
  return formatter
}

// formatTime('2022-03-02T00:00:00Z') -> '2022-03-02 08:00:00'
export function formatTime(value) {
  if (value === null || value === undefined || value === '') return ''
  const d = typeof value === 'number' ? new Date(value * 1000) : new Date(value)
  if (Number.isNaN(d.getTime())) return String(value)
  const parts = Object.fromEntries(getFormatter().formatToParts(d).map((p) => [p.type, p.value]))
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`
}

let dayFormatter = null
// The calendar day in Shanghai, `offsetDays` from now, as 'YYYY-MM-DD'. Built
// from formatToParts: what format() gives for a locale changes with the ICU
// data (en-CA has been both 2026-12-07 and 12/07/2026).
export function shanghaiDate(offsetDays = 0) {
  if (!dayFormatter) {
    dayFormatter = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' })
  }
  const d = new Date(Date.now() + offsetDays * 86400000)
  const p = Object.fromEntries(dayFormatter.formatToParts(d).map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day}`
}

// 'YYYY-MM-DD' (a calendar day in Shanghai) -> RFC 3339 bounds for that day.
export function dayStart(day) {
  return day ? `${day}T00:00:00+08:00` : ''
}
export function dayEnd(day) {
  return day ? `${day}T23:59:59+08:00` : ''
}

export function isFuture(value) {
  if (!value) return false
  const t = new Date(value).getTime()
  return !Number.isNaN(t) && t > Date.now()
}

// Shanghai wall-clock arithmetic. Asia/Shanghai has kept +08:00 all year since
// 1991, so an instant shifted by 8 h reads as Shanghai time in UTC fields. Every
// +8 h offset of the web app is here and nowhere else.
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000
const pad = (n) => String(n).padStart(2, '0')
const shifted = (value) => new Date(new Date(value).getTime() + SHANGHAI_OFFSET_MS)

// 'YYYY-MM-DD' of an instant (RFC 3339 text, Date or ms) in Asia/Shanghai.
export function shanghaiDay(value) {
  const d = shifted(value)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

// 'HH:mm' of an instant in Asia/Shanghai.
export function shanghaiClock(value) {
  const d = shifted(value)
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}

// Now as a Shanghai wall time 'YYYY-MM-DD HH:mm:ss' (what el-date-picker gives).
export function shanghaiWallNow() {
  return shifted(Date.now()).toISOString().slice(0, 19).replace('T', ' ')
}

// The hour (0-23) in Shanghai now.
export function shanghaiHour() {
  return Number(new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hour12: false, timeZone: TZ }).format(new Date()))
}

// 'YYYY-MM-DD HH:mm:ss' (a Shanghai wall time, as el-date-picker gives) -> RFC 3339.
export function wallToRfc3339(text) {
  return text ? `${text.replace(' ', 'T')}+08:00` : ''
}

// value-format of an el-date-picker whose value is sent as RFC 3339 in Shanghai.
export const SHANGHAI_PICKER_FORMAT = 'YYYY-MM-DDTHH:mm:ss+08:00'

// toLocaleString('zh-CN') in Asia/Shanghai, 24-hour, with more `options`
// (month: '2-digit', ...) as Intl.DateTimeFormat takes them.
export function formatZh(value, options = {}) {
  return new Date(value).toLocaleString('zh-CN', { hour12: false, timeZone: TZ, ...options })
}

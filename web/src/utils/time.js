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

// Helpers shared by the checkpoint pages: Shanghai dates and times as RFC 3339.
const pad = (n) => String(n).padStart(2, '0')

// 'YYYY-MM-DD' of an instant in Asia/Shanghai.
export function shanghaiDay(value) {
  const d = new Date(new Date(value).getTime() + 8 * 3600 * 1000)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

// The day `n` days after 'YYYY-MM-DD'.
export function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

// The Monday of the week containing 'YYYY-MM-DD'.
export function weekStart(day) {
  const d = new Date(`${day}T00:00:00Z`)
  return addDays(day, -((d.getUTCDay() + 6) % 7))
}

// 'YYYY-MM-DD HH:mm:ss' (a Shanghai wall time, as el-date-picker gives) -> RFC 3339.
export function wallToRfc3339(text) {
  return text ? `${text.replace(' ', 'T')}+08:00` : ''
}

// 'HH:mm' of an RFC 3339 instant in Shanghai.
export function shanghaiClock(value) {
  const d = new Date(new Date(value).getTime() + 8 * 3600 * 1000)
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}

export const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日']

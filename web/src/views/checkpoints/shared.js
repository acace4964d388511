// Helpers shared by the checkpoint pages: calendar days and weeks. Shanghai
// times come from utils/time.js (re-exported here for the pages' imports).
export { shanghaiDay, shanghaiClock, wallToRfc3339 } from '../../utils/time.js'

const pad = (n) => String(n).padStart(2, '0')

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


export const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日']

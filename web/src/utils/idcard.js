// Resident ID numbers (GB 11643-1999): 18 characters, the last one an
// ISO 7064 MOD 11-2 check character (0-9 or X). Digits 7-14 are the birth
// date, digit 17 is odd for men and even for women.
import { shanghaiDate } from './time.js'
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK = '10X98765432'

// The check character for the first 17 digits.
export function idCheckChar(first17) {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]
  return CHECK[sum % 11]
}

function pad2(n) {
  return String(n).padStart(2, '0')
}

// Parse an ID number. Returns { ok: true, birthDate, sex, age } or
// { ok: false, reason } with reason one of: empty, length, format,
// birth_date, birth_in_future, checksum.
export function parseIdNumber(raw) {
  const s = String(raw ?? '').trim().toUpperCase()
  if (!s) return { ok: false, reason: 'empty' }
  if (s.length !== 18) return { ok: false, reason: 'length' }
  if (!/^\d{17}[\dX]$/.test(s)) return { ok: false, reason: 'format' }
  const y = Number(s.slice(6, 10))
  const m = Number(s.slice(10, 12))
  const d = Number(s.slice(12, 14))
  const date = new Date(Date.UTC(y, m - 1, d))
  if (y < 1800 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return { ok: false, reason: 'birth_date' }
  }
  const birthDate = `${y}-${pad2(m)}-${pad2(d)}`
  const today = shanghaiDate()
  if (birthDate > today) return { ok: false, reason: 'birth_in_future', birthDate }
  if (idCheckChar(s) !== s[17]) return { ok: false, reason: 'checksum', birthDate }
  const sex = Number(s[16]) % 2 === 1 ? 'male' : 'female'
  let age = Number(today.slice(0, 4)) - y
  if (today.slice(5) < birthDate.slice(5)) age--
  return { ok: true, value: s, birthDate, sex, age }
}

// Region codes: district 6 digits (padded to 12), township 9 (padded to 12),
// community 12, compound 15, building 18. Normalise to the padded form so
// codes from different places compare equal.
export function normalizeCode(code) {
  const s = String(code ?? '').trim()
  if (!/^\d+$/.test(s)) return s
  return s.length < 12 ? s.padEnd(12, '0') : s
}

export function sameCode(a, b) {
  return normalizeCode(a) === normalizeCode(b)
}

export const REGION_CODE_LENGTHS = [6, 9, 12, 15, 18]

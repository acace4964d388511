// Lazy loading of the region tree for el-cascader, shared by the header
// region picker and the region fields of forms. The tree is rooted at the
// user's own region, so nothing outside the jurisdiction can be chosen.
import { getRegion } from '../api/regions.js'
import { normalizeCode } from './region.js'

function isLeaf(r) {
  const n = r.counts?.children
  return typeof n === 'number' ? n === 0 : false
}

// names: a Map code -> name filled as nodes load (so a selection can be
// labelled). onError(e) is called when a level fails to load.
export function regionLazyLoader({ root, names = new Map(), onError } = {}) {
  return async function lazyLoad(node, resolve) {
    if (node.level === 0) {
      const r = root()
      if (!r || !r.code) return resolve([])
      const code = normalizeCode(r.code)
      names.set(code, r.name)
      resolve([{ value: code, label: r.name || code, leaf: false }])
      return
    }
    try {
      const r = await getRegion(node.value)
      const kids = (r.children || []).map((c) => {
        const code = normalizeCode(c.code)
        names.set(code, c.name)
        return { value: code, label: c.name, leaf: isLeaf(c) }
      })
      resolve(kids)
    } catch (e) {
      if (onError) onError(e)
      resolve([])
    }
  }
}

// Significant length of a code: 6 (district), 9 (township), 12, 15, 18.
export function significantLength(code) {
  const s = normalizeCode(code)
  if (s.length === 12) {
    if (s.endsWith('000000')) return 6
    if (s.endsWith('000')) return 9
  }
  return s.length
}

// The cascader path (padded codes) from `rootCode` down to `code`, following
// the fixed code structure; [] when `code` is not inside `rootCode`.
export function regionPath(rootCode, code) {
  const root = normalizeCode(rootCode)
  const target = normalizeCode(code)
  if (!root || !target) return []
  const rootLen = significantLength(root)
  const targetLen = significantLength(target)
  if (target.slice(0, rootLen) !== root.slice(0, rootLen)) return []
  const path = []
  for (const len of [6, 9, 12, 15, 18]) {
    if (len < rootLen || len > targetLen) continue
    path.push(normalizeCode(target.slice(0, len)))
  }
  return path
}

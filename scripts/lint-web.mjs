#!/usr/bin/env node
// Every <el-*> component a view uses must be registered in web/src/main.js
// or imported by that file: the production build drops Vue's "failed to
// resolve component" warning, and the element then silently renders as
// nothing useful (an input-number without its input).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const src = path.join(top, 'web/src')
const pascal = (kebab) => 'El' + kebab.split('-').map((p) => p[0].toUpperCase() + p.slice(1)).join('')
const registered = new Set(fs.readFileSync(path.join(src, 'main.js'), 'utf8').match(/\bEl[A-Z][A-Za-z]+/g) || [])
const files = []
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) walk(p)
    else if (e.name.endsWith('.vue')) files.push(p)
  }
}
walk(src)
let bad = 0
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8')
  for (const tag of new Set([...text.matchAll(/<el-([a-z-]+)/g)].map((m) => m[1]))) {
    const name = pascal(tag)
    if (!registered.has(name) && !new RegExp(`\\b${name}\\b`).test(text)) {
      console.error(`${path.relative(top, f)}: <el-${tag}> is neither registered in main.js nor imported`)
      bad++
    }
  }
}
process.exit(bad ? 1 : 0)

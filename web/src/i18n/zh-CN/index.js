// zh-CN messages, one plain object per module.
import common from './common.js'
import roles from './roles.js'
import login from './login.js'
import layout from './layout.js'
import modules from './modules.js'
import dashboard from './dashboard.js'
import users from './users.js'
import tokens from './tokens.js'
import audit from './audit.js'
import residents from './residents.js'
import doorknock from './doorknock.js'
import mobile from './mobile.js'
import returnees from './returnees.js'
import quarantine from './quarantine.js'
import checkpoints from './checkpoints.js'
import cards from './cards.js'
import passes from './passes.js'
import threecodes from './threecodes.js'
import venues from './venues.js'
import healthcode from './healthcode.js'

export { common, roles, login, layout, modules, dashboard, users, tokens, audit, residents, doorknock, mobile, returnees, quarantine, checkpoints, cards, passes, threecodes, venues, healthcode }

export function roleLabel(role) {
  return roles[role] || role || ''
}

// Replace {name} placeholders.
export function fmt(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (_, k) => (k in params ? String(params[k]) : `{${k}}`))
}

// Modules of DESIGN.md §1 in sidebar order. `live` marks the modules built so far;
// the others render the "not yet available" page.
import {
  DataAnalysis, User, House, Van, Position, Ticket, Grid, FirstAidKit, Share,
  OfficeBuilding, DocumentChecked, Suitcase, School, Calendar, UserFilled, Key, Document,
} from '@element-plus/icons-vue'
import { modules, residents, doorknock, quarantine, checkpoints, cards, passes, venues } from './i18n/zh-CN/index.js'
import { RESIDENT_WRITERS, PERSON_MERGERS } from './utils/permissions.js'
import { SCREENERS } from './api/screening.js'
import { HOMEQ_STAFF } from './api/quarantine.js'
import { CP_READERS } from './api/checkpoints.js'
import { CARD_STAFF, GATE_STAFF } from './api/cards.js'
import { PASS_STAFF, PASSAGE_STAFF } from './api/passes.js'
import { VENUE_STAFF } from './api/venues.js'
import { HC_READERS } from './api/healthcode.js'
import { healthcode } from './i18n/zh-CN/index.js'
import { Warning } from '@element-plus/icons-vue'
import { REPORT_STAFF } from './api/resident.js'

export const MODULES = [
  { key: 'dashboard', path: '/dashboard', icon: DataAnalysis, live: true },
  {
    key: 'residents',
    path: '/residents',
    icon: User,
    live: true,
    // Sub-pages shown as a sidebar group; `roles` limits who sees (and may open) one.
    children: [
      { key: 'persons', path: '/residents/persons', title: residents.tabs.persons },
      { key: 'households', path: '/residents/households', title: residents.tabs.households },
      { key: 'duplicates', path: '/residents/duplicates', title: residents.tabs.duplicates, roles: PERSON_MERGERS },
      { key: 'import', path: '/residents/import', title: residents.tabs.import, roles: RESIDENT_WRITERS },
    ],
  },
  {
    key: 'doorKnock',
    path: '/door-knock',
    icon: House,
    live: true,
    children: [
      { key: 'campaigns', path: '/door-knock/campaigns', title: doorknock.tabs.campaigns, roles: SCREENERS },
      { key: 'grids', path: '/door-knock/grids', title: doorknock.tabs.grids, roles: SCREENERS },
    ],
  },
  { key: 'arrivals', path: '/arrivals', icon: Position, live: true },
  {
    key: 'checkpoints',
    path: '/checkpoints',
    icon: Van,
    live: true,
    children: [
      { key: 'list', path: '/checkpoints/list', title: checkpoints.tabs.list, roles: CP_READERS },
      { key: 'roster', path: '/checkpoints/roster', title: checkpoints.tabs.roster, roles: CP_READERS },
      { key: 'incidents', path: '/checkpoints/incidents', title: checkpoints.tabs.incidents, roles: CP_READERS },
      { key: 'vehiclePasses', path: '/checkpoints/vehicle-passes', title: passes.tabs.passes, roles: PASS_STAFF },
      { key: 'passages', path: '/checkpoints/passages', title: passes.tabs.passages, roles: PASSAGE_STAFF },
    ],
  },
  {
    key: 'passes',
    path: '/passes',
    icon: Ticket,
    live: true,
    children: [
      { key: 'cards', path: '/passes/cards', title: cards.tabs.cards, roles: CARD_STAFF },
      { key: 'gates', path: '/passes/gates', title: cards.tabs.gates, roles: GATE_STAFF },
    ],
  },
  {
    key: 'codes',
    path: '/codes',
    icon: Grid,
    live: true,
    children: [{ key: 'venues', path: '/codes/venues', title: venues.tab, roles: VENUE_STAFF }],
  },
  // issue 5: health codes (健康码) and risk areas (风险区)
  {
    key: 'healthCodes',
    path: '/health-codes',
    icon: Warning,
    live: true,
    children: [
      { key: 'lookup', path: '/health-codes/lookup', title: healthcode.tabs.lookup, roles: HC_READERS },
      { key: 'riskAreas', path: '/health-codes/risk-areas', title: healthcode.tabs.riskAreas, roles: HC_READERS },
      { key: 'rules', path: '/health-codes/rules', title: healthcode.tabs.rules, roles: HC_READERS },
    ],
  },
  {
    key: 'healthReports',
    path: '/health-reports',
    icon: Calendar,
    live: true,
    children: [{ key: 'list', path: '/health-reports/list', title: '健康申报', roles: REPORT_STAFF }],
  },
  { key: 'testing', path: '/testing', icon: FirstAidKit },
  { key: 'tracing', path: '/tracing', icon: Share },
  {
    key: 'quarantine',
    path: '/quarantine',
    icon: OfficeBuilding,
    live: true,
    children: [{ key: 'home', path: '/quarantine/home', title: quarantine.homeTitle, roles: HOMEQ_STAFF }],
  },
  { key: 'inspection', path: '/inspection', icon: DocumentChecked },
  { key: 'reopening', path: '/reopening', icon: Suitcase },
  { key: 'schools', path: '/schools', icon: School },
  { key: 'dailyReports', path: '/daily-reports', icon: Calendar },
].map((m) => ({ ...m, title: modules[m.key].title, desc: modules[m.key].desc }))

export const ADMIN_MODULES = [
  { key: 'users', path: '/admin/users', icon: UserFilled, live: true },
  { key: 'tokens', path: '/admin/tokens', icon: Key, live: true },
  { key: 'audit', path: '/admin/audit', icon: Document, live: true },
].map((m) => ({ ...m, title: modules[m.key].title, admin: true }))

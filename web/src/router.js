import { createRouter, createWebHashHistory } from 'vue-router'
import { useSessionStore } from './stores/session.js'
import { MODULES, ADMIN_MODULES } from './navigation.js'
import { common } from './i18n/zh-CN/index.js'
import { SCREENERS } from './api/screening.js'
import { HOMEQ_STAFF } from './api/quarantine.js'
import { CARD_STAFF, GATE_STAFF } from './api/cards.js'
import { THREE_CODES_STAFF } from './api/threecodes.js'
import { PASSAGE_STAFF } from './api/passes.js'
import { VENUE_STAFF } from './api/venues.js'

const MainLayout = () => import('./layouts/MainLayout.vue')
const LoginView = () => import('./views/LoginView.vue')
const DashboardView = () => import('./views/DashboardView.vue')
const PlaceholderView = () => import('./views/PlaceholderView.vue')
const UsersView = () => import('./views/admin/UsersView.vue')
const TokensView = () => import('./views/admin/TokensView.vue')
const AuditView = () => import('./views/admin/AuditView.vue')
const NotFoundView = () => import('./views/NotFoundView.vue')
const PersonsView = () => import('./views/residents/PersonsView.vue')
const HouseholdsView = () => import('./views/residents/HouseholdsView.vue')
const DuplicatesView = () => import('./views/residents/DuplicatesView.vue')
const ImportView = () => import('./views/residents/ImportView.vue')
const ForbiddenView = () => import('./views/ForbiddenView.vue')
const ReturneesView = () => import('./views/returnees/ReturneesView.vue')
const ArrivalSelfRegisterView = () => import('./views/public/ArrivalSelfRegisterView.vue')
const CampaignsView = () => import('./views/doorknock/CampaignsView.vue')
const CampaignDetailView = () => import('./views/doorknock/CampaignDetailView.vue')
const GridsView = () => import('./views/doorknock/GridsView.vue')
const MobileLoginView = () => import('./views/mobile/MobileLoginView.vue')
const MobileHomeView = () => import('./views/mobile/MobileHomeView.vue')
const DoorKnockListView = () => import('./views/mobile/DoorKnockListView.vue')
const VisitFormView = () => import('./views/mobile/VisitFormView.vue')
const HomeQuarantineView = () => import('./views/quarantine/HomeQuarantineView.vue')
const CheckpointsView = () => import('./views/checkpoints/CheckpointsView.vue')
const RosterView = () => import('./views/checkpoints/RosterView.vue')
const IncidentsView = () => import('./views/checkpoints/IncidentsView.vue')
const MobileQuarantineListView = () => import('./views/mobile/quarantine/MobileQuarantineListView.vue')
const MobileQuarantineEntryView = () => import('./views/mobile/quarantine/MobileQuarantineEntryView.vue')
const CardsView = () => import('./views/cards/CardsView.vue')
const GateLogView = () => import('./views/cards/GateLogView.vue')
const CardsPrintView = () => import('./views/cards/CardsPrintView.vue')
const MobileGateView = () => import('./views/mobile/MobileGateView.vue')
const VehiclePassesView = () => import('./views/passes/VehiclePassesView.vue')
const PassagesView = () => import('./views/passes/PassagesView.vue')
const VehiclePassRegisterView = () => import('./views/public/VehiclePassRegisterView.vue')
const MobileCheckpointView = () => import('./views/mobile/MobileCheckpointView.vue')
const MobileThreeCodesView = () => import('./views/mobile/MobileThreeCodesView.vue')
const VenuesView = () => import('./views/venues/VenuesView.vue')
const VenuePostersPrintView = () => import('./views/venues/VenuePostersPrintView.vue')
const MobileVenueView = () => import('./views/mobile/MobileVenueView.vue')
// 居民端 (resident pages) and the console's 健康申报 page.
import { residentRoutes, residentGuard, HealthReportsView } from './views/resident/routes.js'

const LIVE = { arrivals: ReturneesView, dashboard: DashboardView, users: UsersView, tokens: TokensView, audit: AuditView }

const SUBPAGES = {
  persons: PersonsView,
  households: HouseholdsView,
  duplicates: DuplicatesView,
  import: ImportView,
  // keyed `module/child` where a child key alone could collide with another module's
  'doorKnock/campaigns': CampaignsView,
  'doorKnock/grids': GridsView,
  'quarantine/home': HomeQuarantineView,
  'checkpoints/list': CheckpointsView,
  'checkpoints/roster': RosterView,
  'checkpoints/incidents': IncidentsView,
  'checkpoints/vehiclePasses': VehiclePassesView,
  'checkpoints/passages': PassagesView,
  'passes/cards': CardsView,
  'passes/gates': GateLogView,
  'codes/venues': VenuesView,
}
// issue 5: health codes and risk areas (views/healthcode/routes.js)
import { HEALTH_SUBPAGES, HEALTH_PUBLIC_ROUTES } from './views/healthcode/routes.js'
Object.assign(SUBPAGES, HEALTH_SUBPAGES)
SUBPAGES['healthReports/list'] = HealthReportsView

const moduleRoutes = [...MODULES, ...ADMIN_MODULES].flatMap((m) => {
  if (m.children) {
    // A module with sub-pages: its own path opens the first one.
    return [
      { path: m.path.slice(1), name: m.key, redirect: m.children[0].path },
      ...m.children.map((c) => ({
        path: c.path.slice(1),
        name: `${m.key}-${c.key}`,
        component: SUBPAGES[`${m.key}/${c.key}`] || SUBPAGES[c.key],
        meta: { title: `${c.title} - ${m.title}`, roles: c.roles || null, module: m.key },
      })),
    ]
  }
  return [
    {
      path: m.path.slice(1),
      name: m.key,
      component: LIVE[m.key] || PlaceholderView,
      props: LIVE[m.key] ? false : { title: m.title, desc: m.desc },
      meta: { title: m.title, admin: !!m.admin },
    },
  ]
})

// Hash history: works behind any static file server without an SPA fallback.
const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/login', name: 'login', component: LoginView, meta: { public: true, title: '登录' } },
    // 返乡人员自助报备: a public phone page, no login.
    { path: '/public/arrival', name: 'public-arrival', component: ArrivalSelfRegisterView, meta: { public: true, title: '返乡人员自助报备' } },
    // 一码通 · 车辆通行登记: the driver registers in advance, no login.
    { path: '/public/vehicle-pass', name: 'public-vehicle-pass', component: VehiclePassRegisterView, meta: { public: true, title: '一码通车辆登记' } },
    ...HEALTH_PUBLIC_ROUTES,
    // Mobile pages for field staff (Vant), outside the console layout.
    { path: '/m/login', name: 'm-login', component: MobileLoginView, meta: { public: true, mobile: true, title: '登录' } },
    { path: '/m', name: 'm-home', component: MobileHomeView, meta: { mobile: true, title: '工作台' } },
    { path: '/m/door-knock', name: 'm-door-knock', component: DoorKnockListView, meta: { mobile: true, title: '入户排查', roles: SCREENERS } },
    {
      path: '/m/door-knock/visit/:householdId(\\d+)',
      name: 'm-door-knock-visit',
      component: VisitFormView,
      meta: { mobile: true, title: '入户登记', roles: SCREENERS },
    },
    // 居家隔离随访 (mobile, full-screen Vant pages).
    { path: '/m/quarantine', name: 'm-quarantine', component: MobileQuarantineListView, meta: { mobile: true, title: '居家隔离随访', roles: HOMEQ_STAFF } },
    { path: '/m/quarantine/:id(\\d+)', name: 'm-quarantine-entry', component: MobileQuarantineEntryView, meta: { mobile: true, title: '登记体温', roles: HOMEQ_STAFF } },
    // 门岗扫码 (mobile) and the printable card sheets, outside the console layout.
    { path: '/m/gate', name: 'm-gate', component: MobileGateView, meta: { mobile: true, title: '门岗扫码', roles: GATE_STAFF } },
    { path: '/m/checkpoint', name: 'm-checkpoint', component: MobileCheckpointView, meta: { mobile: true, title: '卡口查验', roles: PASSAGE_STAFF } },
    { path: '/m/three-codes', name: 'm-three-codes', component: MobileThreeCodesView, meta: { mobile: true, title: '三码查验', roles: THREE_CODES_STAFF } },
    { path: '/passes/print', name: 'passes-print', component: CardsPrintView, meta: { print: true, title: '打印通行证', roles: CARD_STAFF } },
    // 场所码: staff scan at a venue (mobile) and the A4 posters.
    { path: '/m/venue', name: 'm-venue', component: MobileVenueView, meta: { mobile: true, title: '场所扫码登记', roles: VENUE_STAFF } },
    { path: '/venues/print', name: 'venues-print', component: VenuePostersPrintView, meta: { print: true, title: '打印场所码', roles: VENUE_STAFF } },
    ...residentRoutes,
    {
      path: '/',
      component: MainLayout,
      redirect: '/dashboard',
      children: [
        ...moduleRoutes,
        {
          path: 'door-knock/campaigns/:id(\\d+)',
          name: 'doorKnock-campaign',
          component: CampaignDetailView,
          meta: { title: '排查活动详情 - 敲门排查', roles: SCREENERS, module: 'doorKnock' },
        },
        { path: 'forbidden', name: 'forbidden', component: ForbiddenView, meta: { title: common.forbiddenTitle } },
        { path: ':rest(.*)*', name: 'not-found', component: NotFoundView, meta: { title: common.notFoundTitle } },
      ],
    },
  ],
})

router.beforeEach(async (to, from) => {
  const session = useSessionStore()
  await session.restore()
  const resident = residentGuard(to, session)
  if (resident !== undefined) return resident
  // A mobile page that lost its session (a 401 sends to `login`) logs in on the mobile form.
  if (to.name === 'login' && typeof to.query.redirect === 'string' && /^\/m(\/|$|\?)/.test(to.query.redirect)) {
    return { name: 'm-login', query: to.query }
  }
  if (to.meta.public) {
    if (to.name === 'm-login' && session.loggedIn) {
      const r = typeof to.query.redirect === 'string' && to.query.redirect.startsWith('/') ? to.query.redirect : '/m'
      return r
    }
    if (to.name === 'login' && session.loggedIn) {
      const r = typeof to.query.redirect === 'string' && to.query.redirect.startsWith('/') ? to.query.redirect : '/'
      return r
    }
    return true
  }
  const phoneFront = !from.name && to.redirectedFrom?.path === '/' && !!window.matchMedia?.('(max-width: 600px)').matches
  if (!session.loggedIn && (to.meta.mobile || phoneFront)) {
    return { name: 'm-login', query: to.fullPath !== '/m' ? { redirect: to.fullPath } : {} }
  }
  if (!session.loggedIn) {
    return { name: 'login', query: to.fullPath !== '/' && to.fullPath !== '/dashboard' ? { redirect: to.fullPath } : {} }
  }
  if (to.meta.admin && !session.isAdmin) return { name: 'forbidden' }
  if (to.meta.roles && !to.meta.roles.includes(session.user?.role)) return to.meta.mobile ? { name: 'm-home' } : { name: 'forbidden' }
  // A phone-sized screen opening the console's front page gets the mobile home.
  if (to.name === 'dashboard' && phoneFront) {
    return { name: 'm-home' }
  }
  return true
})

router.afterEach((to) => {
  const t = to.meta?.title
  document.title = t ? `${t} - ${common.productName}` : common.productName
})

export default router

import { createRouter, createWebHashHistory } from 'vue-router'
import { useSessionStore } from './stores/session.js'
import { MODULES, ADMIN_MODULES } from './navigation.js'
import { common } from './i18n/zh-CN/index.js'

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

const LIVE = { dashboard: DashboardView, users: UsersView, tokens: TokensView, audit: AuditView }

const SUBPAGES = {
  persons: PersonsView,
  households: HouseholdsView,
  duplicates: DuplicatesView,
  import: ImportView,
}

const moduleRoutes = [...MODULES, ...ADMIN_MODULES].flatMap((m) => {
  if (m.children) {
    // A module with sub-pages: its own path opens the first one.
    return [
      { path: m.path.slice(1), name: m.key, redirect: m.children[0].path },
      ...m.children.map((c) => ({
        path: c.path.slice(1),
        name: `${m.key}-${c.key}`,
        component: SUBPAGES[c.key],
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
    {
      path: '/',
      component: MainLayout,
      redirect: '/dashboard',
      children: [
        ...moduleRoutes,
        { path: 'forbidden', name: 'forbidden', component: ForbiddenView, meta: { title: common.forbiddenTitle } },
        { path: ':rest(.*)*', name: 'not-found', component: NotFoundView, meta: { title: common.notFoundTitle } },
      ],
    },
  ],
})

router.beforeEach(async (to) => {
  const session = useSessionStore()
  await session.restore()
  if (to.meta.public) {
    if (to.name === 'login' && session.loggedIn) {
      const r = typeof to.query.redirect === 'string' && to.query.redirect.startsWith('/') ? to.query.redirect : '/'
      return r
    }
    return true
  }
  if (!session.loggedIn) {
    return { name: 'login', query: to.fullPath !== '/' && to.fullPath !== '/dashboard' ? { redirect: to.fullPath } : {} }
  }
  if (to.meta.admin && !session.isAdmin) return { name: 'forbidden' }
  if (to.meta.roles && !to.meta.roles.includes(session.user?.role)) return { name: 'forbidden' }
  return true
})

router.afterEach((to) => {
  const t = to.meta?.title
  document.title = t ? `${t} - ${common.productName}` : common.productName
})

export default router

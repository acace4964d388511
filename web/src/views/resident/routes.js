// Routes of the resident pages (居民端, #/r/…) and the guard that keeps
// resident sessions out of the console and staff out of the resident pages.
import { REPORT_STAFF } from '../../api/resident.js'

const ResidentLoginView = () => import('./ResidentLoginView.vue')
const ResidentHomeView = () => import('./ResidentHomeView.vue')
const ResidentLinkView = () => import('./ResidentLinkView.vue')
const ResidentFamilyView = () => import('./ResidentFamilyView.vue')
const ResidentReportView = () => import('./ResidentReportView.vue')
const ResidentScanView = () => import('./ResidentScanView.vue')
const ResidentHistoryView = () => import('./ResidentHistoryView.vue')
export const HealthReportsView = () => import('./HealthReportsView.vue')
export { REPORT_STAFF }

export const residentRoutes = [
  { path: '/r/login', name: 'r-login', component: ResidentLoginView, meta: { public: true, resident: true, title: '居民登录' } },
  { path: '/r', name: 'r-home', component: ResidentHomeView, meta: { resident: true, title: '我的个人码' } },
  { path: '/r/link', name: 'r-link', component: ResidentLinkView, meta: { resident: true, title: '身份绑定' } },
  { path: '/r/family', name: 'r-family', component: ResidentFamilyView, meta: { resident: true, title: '同行人员' } },
  { path: '/r/report', name: 'r-report', component: ResidentReportView, meta: { resident: true, title: '每日健康申报' } },
  { path: '/r/scan', name: 'r-scan', component: ResidentScanView, meta: { resident: true, title: '场所扫码' } },
  { path: '/r/history', name: 'r-history', component: ResidentHistoryView, meta: { resident: true, title: '出行与检测' } },
]

const isResidentPath = (p) => typeof p === 'string' && /^\/r(\/|$|\?)/.test(p)

/**
 * The resident part of the navigation guard: a route location to go to, or
 * undefined to let the rest of the guard decide. A resident session never
 * opens a console or staff page; a resident page needs a resident session.
 */
export function residentGuard(to, session) {
  // A resident page that lost its session (a 401 sends to `login`) signs in on the resident form.
  if (to.name === 'login' && isResidentPath(to.query.redirect)) return { name: 'r-login', query: to.query }
  const resident = session.user?.role === 'resident'
  if (to.name === 'r-login') return session.loggedIn && resident ? '/r' : true
  if (to.meta.resident) {
    if (!session.loggedIn) return { name: 'r-login', query: to.fullPath !== '/r' ? { redirect: to.fullPath } : {} }
    return resident ? true : '/'
  }
  if (resident) return '/r'
  return undefined
}

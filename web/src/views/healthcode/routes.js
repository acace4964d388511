// Routes of the health-code pages (issue 5): console sub-pages keyed like the
// router's SUBPAGES, and the public risk-area page.
const HealthLookupView = () => import('./HealthLookupView.vue')
const RiskAreasView = () => import('./RiskAreasView.vue')
const RulesView = () => import('./RulesView.vue')
const PublicRiskAreasView = () => import('../public/PublicRiskAreasView.vue')

export const HEALTH_SUBPAGES = {
  'healthCodes/lookup': HealthLookupView,
  'healthCodes/riskAreas': RiskAreasView,
  'healthCodes/rules': RulesView,
}

// 中高风险区名单: a public phone page, no login.
export const HEALTH_PUBLIC_ROUTES = [
  { path: '/public/risk-areas', name: 'public-risk-areas', component: PublicRiskAreasView, meta: { public: true, title: '中高风险区名单' } },
]

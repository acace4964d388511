import { createApp } from 'vue'
import { createPinia } from 'pinia'
import {
  ElAlert, ElAside, ElButton, ElCard, ElCascader, ElCol, ElConfigProvider, ElContainer,
  ElDatePicker, ElDescriptions, ElDescriptionsItem, ElDialog, ElDivider, ElDropdown,
  ElDropdownItem, ElDropdownMenu, ElEmpty, ElForm, ElFormItem, ElHeader, ElIcon, ElInput,
  ElLink, ElLoading, ElMain, ElMenu, ElMenuItem, ElMenuItemGroup, ElOption, ElPagination,
  ElResult, ElRow, ElSelect, ElSkeleton, ElSpace, ElStatistic, ElSwitch, ElTable,
  ElTableColumn, ElTag, ElTooltip, ElBreadcrumb, ElBreadcrumbItem, ElText,
  ElSubMenu, ElDrawer, ElUpload, ElProgress, ElBadge, ElSteps, ElStep, ElButtonGroup, ElInputNumber, ElCheckbox, ElCheckboxGroup, ElRadio, ElRadioGroup, ElRadioButton,
  ElTabs, ElTabPane, ElTree,
} from 'element-plus'
import 'element-plus/dist/index.css'
import Vant from 'vant'
import 'vant/lib/index.css'
import './styles.css'
import App from './App.vue'
import router from './router.js'
import { onUnauthorized } from './api/http.js'
import { useSessionStore } from './stores/session.js'
import { registerServiceWorker } from './offline/pwa.js'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(router)
// Vant for the mobile pages (grid workers, residents); Element Plus for the console.
app.use(Vant)

for (const c of [
  ElAlert, ElAside, ElButton, ElCard, ElCascader, ElCol, ElConfigProvider, ElContainer,
  ElDatePicker, ElDescriptions, ElDescriptionsItem, ElDialog, ElDivider, ElDropdown,
  ElDropdownItem, ElDropdownMenu, ElEmpty, ElForm, ElFormItem, ElHeader, ElIcon, ElInput,
  ElLink, ElLoading, ElMain, ElMenu, ElMenuItem, ElMenuItemGroup, ElOption, ElPagination,
  ElResult, ElRow, ElSelect, ElSkeleton, ElSpace, ElStatistic, ElSwitch, ElTable,
  ElTableColumn, ElTag, ElTooltip, ElBreadcrumb, ElBreadcrumbItem, ElText,
  ElSubMenu, ElDrawer, ElUpload, ElProgress, ElBadge, ElSteps, ElStep, ElButtonGroup, ElInputNumber, ElCheckbox, ElCheckboxGroup, ElRadio, ElRadioGroup, ElRadioButton,
  ElTabs, ElTabPane, ElTree,
]) {
  app.use(c)
}

// Any 401 from an API call: forget the session and go to the login page.
onUnauthorized(() => {
  const session = useSessionStore(pinia)
  const wasLoggedIn = session.loggedIn
  session.clear()
  const cur = router.currentRoute.value
  if (cur.name !== 'login') {
    router.replace({ name: 'login', query: { redirect: cur.fullPath, ...(wasLoggedIn ? { expired: '1' } : {}) } })
  }
})

app.mount('#app')

// PWA: the service worker (public/sw.js) keeps the app shell for offline
// gate scanning; production builds only (it would cache the dev server's modules).
if (import.meta.env.PROD) registerServiceWorker()

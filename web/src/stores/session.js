import { defineStore } from 'pinia'
import { setCsrfToken } from '../api/http.js'
import * as sessionApi from '../api/session.js'

export const useSessionStore = defineStore('session', {
  state: () => ({
    user: null,
    csrfToken: '',
    restored: false, // GET /session has been tried once since page load
  }),
  getters: {
    loggedIn: (s) => !!s.user,
    isAdmin: (s) => s.user?.role === 'district_admin',
  },
  actions: {
    apply(data) {
      this.user = data?.user || null
      this.csrfToken = data?.csrf_token || ''
      setCsrfToken(this.csrfToken)
    },
    clear() {
      this.user = null
      this.csrfToken = ''
      setCsrfToken('')
    },
    async login(username, password) {
      const data = await sessionApi.login(username, password)
      this.apply(data)
      this.restored = true
      return data
    },
    // Restore the session after a page reload; a 401 just means "not logged in".
    async restore() {
      if (this.restored) return this.loggedIn
      try {
        const data = await sessionApi.currentSession()
        this.apply(data)
      } catch (e) {
        this.clear()
        if (e.status !== 401) console.warn('session restore failed', e)
      } finally {
        this.restored = true
      }
      return this.loggedIn
    },
    async logout() {
      try {
        await sessionApi.logout()
      } finally {
        this.clear()
      }
    },
  },
})

import { defineStore } from 'pinia'
import { normalizeCode } from '../utils/region.js'

// The region currently selected in the header picker. `path` is the list of
// codes from the user's own region down to `code` (what the cascader shows).
export const useRegionStore = defineStore('region', {
  state: () => ({
    code: '',
    name: '',
    path: [],
  }),
  actions: {
    reset(user) {
      this.code = user ? normalizeCode(user.region) : ''
      this.name = user?.region_name || ''
      this.path = user ? [this.code] : []
    },
    select(code, name, path) {
      this.code = normalizeCode(code)
      if (name !== undefined) this.name = name
      this.path = path && path.length ? path.map(normalizeCode) : [this.code]
    },
  },
})

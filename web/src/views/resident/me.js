// The signed-in resident's account, linked person and family, loaded once
// and shared by the resident pages (reload() after a change).
import { ref, computed } from 'vue'
import { getMe } from '../../api/resident.js'

const me = ref(null)
const loading = ref(false)
const error = ref(null)
let pending = null

export function useMe() {
  async function reload() {
    loading.value = true
    error.value = null
    pending = getMe()
      .then((data) => {
        me.value = data
        return data
      })
      .catch((e) => {
        error.value = e
        throw e
      })
      .finally(() => {
        loading.value = false
        pending = null
      })
    return pending
  }
  async function ensure() {
    if (me.value) return me.value
    return pending || reload()
  }
  // Self first, then family members: [{id, name, id_number, label}]
  const people = computed(() => {
    if (!me.value?.person) return []
    const self = { ...me.value.person, label: `${me.value.person.name}（本人）`, self: true }
    return [self, ...me.value.family.map((m) => ({ ...m, label: `${m.name}（${m.relation_label}）` }))]
  })
  return { me, loading, error, reload, ensure, people }
}

export function clearMe() {
  me.value = null
}

// The load/pagination block of a server-paginated table, written once.
//
//   const { loading, error, items, total, query, load, search } =
//     usePagedList((q) => listUsers({ ...q, q: q.q.trim() }), { query: { q: '', role: '' } })
//
// `fetchPage(query)` gets the reactive query ({page, per_page, ...the extra
// filter fields}) and resolves the API's {items, total}. Only the answer to the
// latest load() is shown: an older one that arrives late is dropped (so is its
// error). `search()` goes back to page 1 and loads; bind the pager's
// current-change to load and its size-change to search. With clearOnError the
// table is emptied when a load fails (else it keeps the last page). onLoaded(r)
// runs after a page is shown, for views that read more of the answer. With
// ready (a function), load() does nothing while ready() is false (no region
// chosen yet). onError(e) runs after a failed load is shown, for views that
// clear more than the table.
import { reactive, ref } from 'vue'

export function usePagedList(fetchPage, { perPage = 20, query: extra = {}, clearOnError = false, onLoaded = null, onError = null, ready = null } = {}) {
  const loading = ref(false)
  const error = ref(null)
  const items = ref([])
  const total = ref(0)
  const query = reactive({ page: 1, per_page: perPage, ...extra })
  let seq = 0

  async function load() {
    if (ready && !ready()) return
    const my = ++seq
    loading.value = true
    error.value = null
    try {
      const r = await fetchPage(query)
      if (my !== seq) return
      items.value = r.items || []
      total.value = r.total || 0
      if (onLoaded) onLoaded(r)
    } catch (e) {
      if (my !== seq) return
      error.value = e
      if (clearOnError) {
        items.value = []
        total.value = 0
      }
      if (onError) onError(e)
    } finally {
      if (my === seq) loading.value = false
    }
  }

  function search() {
    query.page = 1
    return load()
  }

  return { loading, error, items, total, query, load, search }
}

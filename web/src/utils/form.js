import { reactive } from 'vue'

// Field errors from the API (`error.field`) shown on the matching el-form-item.
export function useFieldErrors(fields) {
  const errors = reactive(Object.fromEntries(fields.map((f) => [f, ''])))
  return {
    errors,
    clear() {
      for (const f of fields) errors[f] = ''
    },
    // Returns true when the error was attached to a field.
    apply(e) {
      if (e && e.field && e.field in errors) {
        errors[e.field] = ''
        // next tick re-set so the same message shows again after a retry
        Promise.resolve().then(() => {
          errors[e.field] = e.message
        })
        return true
      }
      return false
    },
  }
}

// Which roles may do what in the residents module (docs/api.md, issue 3).
// The server enforces the same rules; the UI only hides what would be refused.
export const RESIDENT_WRITERS = ['district_admin', 'township_officer', 'community_worker']
export const PERSON_MERGERS = ['district_admin', 'township_officer']

export function canWriteResidents(user) {
  return !!user && RESIDENT_WRITERS.includes(user.role)
}

export function canMergePersons(user) {
  return !!user && PERSON_MERGERS.includes(user.role)
}

// Every role but `resident` may read the registry.
export function canReadResidents(user) {
  return !!user && user.role !== 'resident'
}

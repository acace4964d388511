// Chinese labels for the roles of docs/api.md.
export default {
  district_admin: '区指挥部管理员',
  township_officer: '乡镇（街道）干部',
  community_worker: '网格员',
  checkpoint_staff: '卡口人员',
  sampler: '采样人员',
  lab: '检测机构',
  tracer: '流调人员',
  quarantine_staff: '隔离点人员',
  inspector: '督导人员',
  school_admin: '学校管理员',
  enterprise: '企业',
  resident: '居民',
}

// Sidebar modules (DESIGN.md §1) and the sentence shown while a module is not yet available.
export default {
  notLive: '该模块尚未上线',
  dashboard: { title: '总览', desc: '按区划汇总全区底数与防控态势。' },
  residents: {
    title: '人员底数',
    desc: '按小区、楼栋、户维护常住人口与户籍底数，个人信息加密存储并按需脱敏展示。',
  },
  doorKnock: {
    title: '敲门排查',
    desc: '网格员入户开展敲门行动，逐户登记排查结果，形成台账并按网格统计进度。',
  },
  arrivals: {
    title: '返乡登记',
    desc: '登记外地返乡来访人员，按来源地风险等级自动提示健康监测与核酸检测要求。',
  },
  checkpoints: {
    title: '卡口与一码通',
    desc: '卡口对过往车辆和人员测温、查验三码并登记通行记录，支持一车一码通行与离线登记。',
  },
  passes: {
    title: '四色通行证',
    desc: '为小区居民签发红、黄、蓝、绿四色通行证并打印，门岗扫码时按颜色规则放行。',
  },
  codes: {
    title: '场所码与健康码',
    desc: '为各类场所生成可打印的场所码，记录扫码进入情况，并为居民提供个人健康码。',
  },
  healthCodes: {
    title: '健康码与风险区',
    desc: '按规则集计算每个人的红黄绿码并说明原因，申报和调整中高风险区，切换防控方案规则。',
  },
  healthReports: {
    title: '健康申报',
    desc: '居民在手机上为本人和同行人员每日申报体温与症状，发热者自动赋黄码并列入发热名单。',
  },
  testing: {
    title: '核酸检测',
    desc: '管理采样点、预约与混采试管登记，检测机构随检随传结果，阳性混管自动追溯召回。',
  },
  tracing: {
    title: '流调溯源',
    desc: '登记病例并根据场所扫码、同户和同车记录自动生成密接、次密接名单与传播链。',
  },
  quarantine: {
    title: '隔离管控',
    desc: '管理集中隔离点房间分配、点对点转运、检测安排与解除隔离，以及居家隔离“五包一”。',
  },
  inspection: {
    title: '督导检查',
    desc: '按场所类别开展督导检查，下达限期整改通知，逐级升级黄牌、红牌直至停业整顿。',
  },
  reopening: {
    title: '复工复产',
    desc: '企业在线提交承诺书与复工复产申请，经六道审核流程后批准复工。',
  },
  schools: {
    title: '学校健康',
    desc: '学校按班级维护师生名册，每日上报健康状况，自动生成未报和发热名单。',
  },
  dailyReports: {
    title: '日报告',
    desc: '各单位每日报送日报告和零报告，指挥部汇总查看并列出未报单位，支持导出表格。',
  },
  users: { title: '用户管理', desc: '' },
  tokens: { title: '令牌管理', desc: '' },
  audit: { title: '审计日志', desc: '' },
}

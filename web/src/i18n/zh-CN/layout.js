export default {
  region: '当前区划',
  regionPlaceholder: '选择区划',
  logout: '退出登录',
  logoutConfirm: '确定要退出登录吗？',
  logoutTitle: '退出登录',
  loggedOut: '已退出登录',
  collapse: '收起菜单',
  expand: '展开菜单',
  adminGroup: '系统管理',
  regionLoadFailed: '区划加载失败',
}

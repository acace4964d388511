/* Fixed tables of the demo district: the townships and streets of Lishi in the
 * order DESIGN.md §6 lists them, invented community and village names, and the
 * parts compound names are made of. Every name here is invented apart from the
 * eleven township names. */
#include "demo/demo_internal.h"

/* 51 + 2 communities in the streets and towns, 32 villages: 85 in all. */
const struct fk_demo_township fk_demo_townships[FK_DEMO_TOWNSHIPS] = {
    {"滨河街道",
     8,
     0,
     {"滨河社区", "龙凤社区", "永宁社区", "东关社区", "久安社区", "新华社区", "碧波社区",
      "凤城社区"}},
    {"凤山街道",
     7,
     0,
     {"凤山社区", "南关社区", "北关社区", "学府社区", "安国社区", "向阳社区", "建设社区"}},
    {"莲花池街道",
     7,
     0,
     {"莲花池社区", "西关社区", "德馨社区", "世纪社区", "育才社区", "红旗社区", "光明社区"}},
    {"西属巴街道",
     8,
     0,
     {"西属巴社区", "马茂庄社区", "龙山社区", "北川社区", "和平社区", "五一社区", "新区社区",
      "康宁社区"}},
    {"城北街道",
     7,
     0,
     {"城北社区", "北城社区", "荣欣社区", "瑞丰社区", "振兴社区", "秀水社区", "锦绣社区"}},
    {"田家会街道",
     7,
     0,
     {"田家会社区", "东川社区", "临泉社区", "金罗社区", "东山社区", "兴隆社区", "裕民社区"}},
    {"交口街道",
     7,
     0,
     {"交口社区", "枣林社区", "南川社区", "滨湖社区", "朝阳社区", "中和社区", "万和社区"}},
    {"吴城镇",
     1,
     8,
     {"吴城社区", "吴城村", "东坡村", "西坡村", "高家沟村", "向阳村", "枣圪垛村", "王家峁村",
      "刘家庄村"}},
    {"信义镇",
     1,
     8,
     {"信义社区", "信义村", "归化村", "金家庄村", "沙会则村", "上安村", "下安村", "千年村",
      "石家庄村"}},
    {"坪头乡",
     0,
     8,
     {"坪头村", "张家塔村", "马家岭村", "后瓦窑村", "白家岭村", "杨家沟村", "李家湾村", "峪口村"}},
    {"红眼川乡",
     0,
     8,
     {"红眼川村", "车家湾村", "赵家峁村", "温家岭村", "贺家坡村", "郭家沟村", "陈家塔村",
      "高家庄村"}},
};

/* 40 stems × 9 suffixes: 360 distinct compound names, more than the ~300
 * urban compounds need, so no two compounds in the district share a name. */
const char *const fk_demo_compound_stems[] = {
    "阳光", "龙凤", "幸福", "滨河", "凤山", "翠竹", "锦绣", "金地", "盛世", "御景",
    "东方", "香樟", "世纪", "建设", "银河", "和谐", "天鹅", "康馨", "紫薇", "博雅",
    "书香", "怡景", "丽景", "明珠", "嘉禾", "福泽", "润泽", "泰和", "永安", "康乐",
    "松鹤", "华龙", "瑞祥", "汇景", "碧水", "青山", "春晖", "秀水", "丰泽", "富华",
};
const size_t fk_demo_compound_stem_count =
    sizeof(fk_demo_compound_stems) / sizeof(fk_demo_compound_stems[0]);

const char *const fk_demo_compound_suffixes[] = {
    "小区", "苑", "家园", "花园", "新村", "华庭", "佳苑", "嘉园", "公寓",
};
const size_t fk_demo_compound_suffix_count =
    sizeof(fk_demo_compound_suffixes) / sizeof(fk_demo_compound_suffixes[0]);

const char *const fk_demo_village_groups[] = {"一组", "二组", "三组", "四组", "五组", "六组"};

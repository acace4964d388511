/* Region rules: level names, code spellings. No SQL (regions_store.c). */
#include "regions/regions.h"
#include "id/id.h"

#include <stdio.h>
#include <string.h>

const char *fk_region_level_name(int level)
{
    switch (level) {
    case 1: return "区县";
    case 2: return "乡镇（街道）";
    case 3: return "社区（村）";
    case 4: return "小区";
    case 5: return "楼栋";
    }
    return "区划";
}

enum fk_err fk_region_normalize(const char *text, char code[FK_REGION_CODE_LEN],
                                char prefix[FK_REGION_CODE_LEN], const char **reason)
{
    int depth;
    char p[19];
    if (fk_region_code_prefix(text, p, &depth, reason) != FK_OK)
        return FK_ERR_INVALID;
    size_t len = strnlen(p, 18);
    memcpy(code, p, len);
    /* Levels above the village are written padded to 12 digits. */
    while (len < 12)
        code[len++] = '0';
    code[len] = '\0';
    memcpy(prefix, p, strnlen(p, 18) + 1);
    return FK_OK;
}

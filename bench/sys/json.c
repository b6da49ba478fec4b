/*
** json.c: JSON values as sharebench writes them (json.h).
*/
#include "json.h"
#include "textfile.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

cJSON *sb_json_text(const char *s)
{
    int bad;
    if (sb_utf8_invalid(s, strlen(s)) < 0) return cJSON_CreateString(s);
    char *t = sb_utf8_repair(s, &bad);
    cJSON *j = t ? cJSON_CreateString(t) : NULL;
    free(t);
    return j;
}

cJSON *sb_json_number(double x)
{
    return isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull();
}

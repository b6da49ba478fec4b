/*
** budget.c: longest sequence within a memory budget (see budget.h).
*/
#include "budget.h"
#include "core/model.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

double sb_budget_step_bytes(const sb_config *c, int B, long T, char *err, size_t errlen)
{
    sb_config x = *c;
    long n;
    sb_memory mem;
    x.max_len = (int)T;
    if (sb_model_plan(&x, B, (int)T, 0, &n, &mem, err, errlen)) return -1;
    return (double)mem.params + (double)mem.grads + (double)mem.optim + (double)mem.acts + (double)mem.scratch;
}

long sb_budget_longest(const sb_config *c, int B, double budget, long max_T, char *err, size_t errlen)
{
    double b1 = sb_budget_step_bytes(c, B, 1, err, errlen);
    if (b1 < 0) return -1;
    if (b1 > budget) return 0;
    long lo = 1, hi = max_T;
    double bh = sb_budget_step_bytes(c, B, hi, err, errlen);
    if (bh < 0) return -1;
    if (bh <= budget) return hi;
    while (hi - lo > 1) { /* lo fits, hi does not */
        long mid = lo + (hi - lo) / 2;
        double bm = sb_budget_step_bytes(c, B, mid, err, errlen);
        if (bm < 0) return -1;
        if (bm <= budget) lo = mid;
        else hi = mid;
    }
    return lo;
}

int sb_budget_config_of(const sb_rs_run *r, sb_config *c, char *err, size_t errlen)
{
    sb_config_default(c);
    for (const char *const *k = sb_config_keys(); *k; k++) {
        const char *v = sb_rs_param(r, *k);
        if (v && sb_config_set(c, *k, v, err, errlen)) return -1;
    }
    return 0;
}

int sb_budget_parse_size(const char *text, double *bytes)
{
    char *end;
    double x = strtod(text, &end);
    if (end == text || !(x > 0) || !isfinite(x)) return -1;
    static const struct { const char *unit; double scale; } units[] = {
        { "", 1 },          { "B", 1 },         { "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
        { "TiB", 1099511627776.0 }, { "KB", 1e3 }, { "MB", 1e6 },    { "GB", 1e9 },        { "TB", 1e12 },
        /* one letter, as ulimit, sort -S and docker --memory take them: binary */
        { "K", 1024.0 },    { "M", 1048576.0 }, { "G", 1073741824.0 }, { "T", 1099511627776.0 },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcasecmp(end, units[i].unit)) {
            *bytes = x * units[i].scale;
            return 0;
        }
    return -1;
}

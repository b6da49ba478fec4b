/*
** plateau.c: a validation loss's plateau (plateau.h).
*/
#include "plateau.h"
#include <math.h>

void sb_plateau_init(sb_plateau *p, int patience, double min_delta)
{
    p->best = INFINITY;
    p->min_delta = min_delta;
    p->since = 0;
    p->patience = patience;
}

int sb_plateau_update(sb_plateau *p, double loss)
{
    if (isfinite(loss) && loss < p->best - p->min_delta) {
        p->best = loss;
        p->since = 0;
        return 0;
    }
    return ++p->since >= p->patience;
}

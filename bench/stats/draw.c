/*
** draw.c: random draws (draw.h) on GSL's gsl_ran_* functions.
*/
#include "draw.h"
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <stdlib.h>

struct sb_draw { gsl_rng *g; };

sb_draw *sb_draw_new(uint64_t seed)
{
    sb_draw *d = calloc(1, sizeof *d);
    if (d && !(d->g = gsl_rng_alloc(gsl_rng_mt19937))) { free(d); return NULL; }
    if (d) gsl_rng_set(d->g, (unsigned long)(seed ^ 0x9E3779B97F4A7C15ULL));
    return d;
}

void sb_draw_free(sb_draw *d)
{
    if (!d) return;
    gsl_rng_free(d->g);
    free(d);
}

unsigned sb_draw_lognormal_poisson(sb_draw *d, double mu, double sigma)
{
    return gsl_ran_poisson(d->g, gsl_ran_lognormal(d->g, mu, sigma)) + 1;
}

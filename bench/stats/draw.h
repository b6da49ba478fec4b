/*
** draw.h: random draws from GSL's generators (Mersenne Twister), for what
** the harness samples rather than measures: a looped model's loops per
** training step (Geiping et al. 2025's log-normal Poisson).
*/
#ifndef SB_DRAW_H
#define SB_DRAW_H

#include <stdint.h>

typedef struct sb_draw sb_draw;

/* A generator seeded by seed; NULL when out of memory. */
sb_draw *sb_draw_new(uint64_t seed);
void sb_draw_free(sb_draw *d);

/* 1 + Poisson(rate) with rate ~ LogNormal(mu, sigma) (the log of rate normal of mean mu, deviation sigma). */
unsigned sb_draw_lognormal_poisson(sb_draw *d, double mu, double sigma);

#endif

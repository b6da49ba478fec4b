/*
** rng.c: SplitMix64 streams (Steele, Lea & Flood 2014), seeded by hashing a
** label so streams are reproducible by name.
*/
#include "rng.h"
#include <math.h>

uint64_t sb_hash_str(uint64_t h, const char *s)
{
    if (!h) h = 1469598103934665603ULL;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ULL; }
    return h;
}

void sb_rng_seed(sb_rng *r, uint64_t seed, const char *label)
{
    r->s = sb_hash_str(seed * 0x9E3779B97F4A7C15ULL + 1, label ? label : "");
}

uint64_t sb_rng_next(sb_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double sb_rng_uniform(sb_rng *r) { return (sb_rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

double sb_rng_normal(sb_rng *r)
{
    double u1 = sb_rng_uniform(r), u2 = sb_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint32_t sb_rng_below(sb_rng *r, uint32_t n) { return (uint32_t)((sb_rng_next(r) >> 32) * (uint64_t)n >> 32); }

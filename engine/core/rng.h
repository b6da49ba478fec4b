/*
** rng.h: deterministic random numbers for initialisation and data.
**
** SplitMix64: the state is one
** 64-bit word, so a stream can be derived from (seed, name) by hashing and
** every tensor's initial values are independent of which other tensors exist.
*/
#ifndef SB_RNG_H
#define SB_RNG_H

#include <stdint.h>

typedef struct { uint64_t s; } sb_rng;

/* Seed a stream from a seed and a label (for example a tensor's name). */
void sb_rng_seed(sb_rng *r, uint64_t seed, const char *label);
/* Next 64 random bits. */
uint64_t sb_rng_next(sb_rng *r);
/* Uniform in [0,1). */
double sb_rng_uniform(sb_rng *r);
/* Standard normal (Box-Muller). */
double sb_rng_normal(sb_rng *r);
/* Uniform integer in [0,n). */
uint32_t sb_rng_below(sb_rng *r, uint32_t n);
/* 64-bit FNV-1a hash of a string, for labels and configuration hashes. */
uint64_t sb_hash_str(uint64_t h, const char *s);

#endif

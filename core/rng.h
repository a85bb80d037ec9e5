/* rng.h: deterministic PRNG (splitmix64), for seeded sampling: the same
 * seed gives the same sequence on every machine. */
#ifndef CURATE_RNG_H
#define CURATE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct { uint64_t s; } rng;
void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
double rng_unit(rng *r);                 /* [0,1) */
size_t rng_below(rng *r, size_t n);      /* [0,n) ; n > 0 */

#endif

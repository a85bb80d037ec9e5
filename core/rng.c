/* rng.c: see rng.h. */
#include "rng.h"

void rng_seed(rng *r, uint64_t seed) { r->s = seed; }

uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double rng_unit(rng *r) { return (rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

size_t rng_below(rng *r, size_t n) { return (size_t)(rng_next(r) % n); }

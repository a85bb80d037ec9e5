/* hash.h: 64-bit FNV-1a, used for stable ids and cache keys (its values
 * are stored in pools: never change the function). */
#ifndef CURATE_HASH_H
#define CURATE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV_SEED 0xcbf29ce484222325ULL

/* FNV-1a of data[0..n), starting from seed (HASH_FNV_SEED, or a previous
 * result to hash several pieces as one). */
uint64_t hash_fnv1a(const void *data, size_t n, uint64_t seed);

#endif

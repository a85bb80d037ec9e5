/* demo.h: realistic sample data for a newcomer's first look (`make demo`):
 * travel customers and sellers with varied reply delays and moods. Some
 * conversations get predictions from a *simulated* hedging model (named
 * "demo-simulated-7b", run kind "demo") and some get human labels from the
 * generator's ground truth (reviewer "demo"), so every screen has data. */
#ifndef CURATE_DEMO_H
#define CURATE_DEMO_H

#include <stdint.h>
#include "pool.h"

typedef struct {
    int conversations;   /* default 240 */
    double scored;       /* share with simulated predictions (0.75) */
    double labeled;      /* share of those with human labels (0.35) */
    uint64_t seed;
} demo_opts;

/* Adds the sample conversations (ids "demo-0001"...) in one transaction.
 * Predictions and labels only for the built-in rubric's fields. */
int demo_fill(pool *p, const rubric *r, const demo_opts *o, char *err);

/* Generates one conversation (for benchmarks and tests). Caller frees.
 * truth (may be NULL) receives the generator's ground-truth scores
 * (responsiveness, negativity, trend) used for demo labels. */
convo *demo_convo_new(uint64_t seed, const char *id, double truth[3]);

#endif

/* assign.c: see assign.h. */
#include "assign.h"

size_t assign_pick(size_t nrev, int64_t *load, const unsigned char *taken,
                   size_t want, size_t *out)
{
    size_t got = 0;
    while (got < want) {
        size_t best = nrev;
        for (size_t i = 0; i < nrev; i++) {
            if (taken[i]) continue;
            int dup = 0;
            for (size_t k = 0; k < got; k++) dup |= out[k] == i;
            if (dup) continue;
            if (best == nrev || load[i] < load[best]) best = i;
        }
        if (best == nrev) break;
        out[got++] = best;
        load[best]++;
    }
    return got;
}

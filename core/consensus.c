/* consensus.c: see consensus.h. */
#include "consensus.h"

#include <math.h>
#include <string.h>

const char *consensus_status_name(consensus_status s)
{
    static const char *names[] = {"none", "single", "agreed", "conflict",
                                  "adjudicated"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "?";
}

/* a small epsilon: 7.5 vs 8.5 is within 1.0 whatever the rounding */
static int beyond(double spread, double tolerance)
{
    return spread > tolerance + 1e-9;
}

void consensus_decide(const rubric *r, const consensus_label *labels, size_t n,
                      double tolerance, consensus_result *out)
{
    memset(out, 0, sizeof *out);
    out->worst_field = -1;
    const consensus_label *adj = NULL, *one = NULL;
    for (size_t i = 0; i < n; i++) {
        const consensus_label *l = &labels[i];
        if (l->role == CONSENSUS_ROLE_ADJUDICATION) {
            if (!l->skipped && (!adj || l->order > adj->order)) adj = l;
        } else if (!l->skipped) {
            out->n_labels++;
            one = l;
        }
    }
    scoreset mean;
    memset(&mean, 0, sizeof mean);
    int worst = -1;
    double worst_spread = 0;
    for (size_t f = 0; f < r->nfields && f < RUBRIC_MAX_FIELDS; f++) {
        if (!rubric_is_scored(&r->fields[f])) continue;
        double lo = INFINITY, hi = -INFINITY, sum = 0;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const consensus_label *l = &labels[i];
            if (l->role != CONSENSUS_ROLE_REVIEW || l->skipped || !l->scores.set[f])
                continue;
            double v = l->scores.v[f];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            sum += v;
            k++;
        }
        if (!k) continue;
        if (hi - lo > worst_spread || worst < 0) {
            worst_spread = hi - lo;
            worst = (int)f;
        }
        if (k >= 2) {
            out->spread.v[f] = hi - lo;
            out->spread.set[f] = 1;
            out->beyond[f] = beyond(hi - lo, tolerance);
        }
        mean.v[f] = round(sum / (double)k * 100) / 100;
        mean.set[f] = 1;
    }
    if (adj) {
        out->status = CONSENSUS_ADJUDICATED;
        out->scores = adj->scores;
        return;
    }
    if (out->n_labels == 0) return;
    if (out->n_labels == 1) {
        out->status = CONSENSUS_SINGLE;
        out->scores = one->scores;
        return;
    }
    out->worst_field = worst;
    out->worst_spread = worst_spread;
    if (out->worst_field >= 0 && beyond(out->worst_spread, tolerance)) {
        out->status = CONSENSUS_CONFLICT;
        return;
    }
    out->worst_field = -1;
    out->worst_spread = 0;
    out->status = CONSENSUS_AGREED;
    out->scores = mean;
}

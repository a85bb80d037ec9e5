/* agreement.h: how far reviewers agree, for one score field at a time.
 * Curses-, SQL- and file-free: the caller gathers the values (data/) and
 * shows the figures (tui/). Missing values are NAN throughout.
 *
 * - Krippendorff's alpha, interval metric, by the coincidence-matrix
 *   definition (Krippendorff 2011, "Computing Krippendorff's
 *   Alpha-Reliability"): only units with two or more values are pairable;
 *   with n pairable values and m_u values in unit u,
 *     D_o = 1/n * sum_u 1/(m_u - 1) * sum_{i != j in u} (v_i - v_j)^2
 *     D_e = 1/(n (n - 1)) * sum_{i != j over all pairable} (v_i - v_j)^2
 *     alpha = 1 - D_o / D_e
 *   computed from sums (sum_{i != j} (v_i - v_j)^2 = 2 (m S2 - S1^2)), so
 *   it is linear in the number of values.
 * - Between two series of values (two reviewers, a reviewer and the
 *   consensus, a reviewer and the model): mean absolute difference and
 *   Spearman's rank correlation (Pearson's r of the ranks, ties given
 *   their average rank), over the positions where both have a value. */
#ifndef CURATE_AGREEMENT_H
#define CURATE_AGREEMENT_H

#include <stddef.h>

typedef struct {
    double alpha;     /* NAN when undefined: no pairable unit, or all
                         pairable values equal (D_e = 0) */
    size_t units;     /* pairable units (two or more values) */
    size_t values;    /* pairable values (n above) */
} agreement_alpha;

/* v: units x coders values, row-major (v[u * coders + c]), NAN = none. */
void agreement_alpha_interval(const double *v, size_t units, size_t coders,
                              agreement_alpha *out);

typedef struct {
    double mae;       /* NAN when n = 0 */
    double spearman;  /* NAN when n < 2 or either side has no spread */
    size_t n;         /* positions where both have a value */
} agreement_pair;

/* a, b: len values each, NAN = none. */
void agreement_pair_compute(const double *a, const double *b, size_t len,
                           agreement_pair *out);

#endif

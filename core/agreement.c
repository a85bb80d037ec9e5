/* agreement.c: see agreement.h. */
#include "agreement.h"
#include "xalloc.h"

#include <math.h>
#include <stdlib.h>

void agreement_alpha_interval(const double *v, size_t units, size_t coders,
                              agreement_alpha *out)
{
    /* n, S1, S2 over all pairable values; within = sum_u (m S2u - S1u^2)/(m-1) */
    double n = 0, s1 = 0, s2 = 0, within = 0;
    out->units = out->values = 0;
    for (size_t u = 0; u < units; u++) {
        double m = 0, a = 0, b = 0;
        for (size_t c = 0; c < coders; c++) {
            double x = v[u * coders + c];
            if (isnan(x)) continue;
            m++;
            a += x;
            b += x * x;
        }
        if (m < 2) continue;
        out->units++;
        n += m;
        s1 += a;
        s2 += b;
        within += (m * b - a * a) / (m - 1);
    }
    out->values = (size_t)n;
    double total = n * s2 - s1 * s1;   /* D_e * n (n - 1) / 2 */
    /* D_o / D_e = (2 within / n) / (2 total / (n (n - 1))) */
    if (out->units == 0 || total <= 1e-12 * (s2 > 1 ? s2 : 1) * n)
        out->alpha = NAN;
    else
        out->alpha = 1 - (n - 1) * within / total;
}

typedef struct {
    double v;
    size_t i;
} ranked;

static int cmp_ranked(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->v < b->v) return -1;
    if (a->v > b->v) return 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* Average ranks (1-based) of x[0..n-1] into r. */
static void ranks(const double *x, size_t n, double *r)
{
    ranked *t = xmalloc((n ? n : 1) * sizeof *t);
    for (size_t i = 0; i < n; i++) {
        t[i].v = x[i];
        t[i].i = i;
    }
    qsort(t, n, sizeof *t, cmp_ranked);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && t[j + 1].v == t[i].v) j++;
        double avg = (double)(i + j) / 2 + 1;
        for (size_t k = i; k <= j; k++) r[t[k].i] = avg;
        i = j + 1;
    }
    free(t);
}

static double pearson(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx <= 0 || syy <= 0) return NAN;
    return sxy / sqrt(sxx * syy);
}

void agreement_pair_compute(const double *a, const double *b, size_t len,
                           agreement_pair *out)
{
    size_t n = 0;
    double *x = xmalloc((len ? len : 1) * 4 * sizeof *x);
    double *y = x + len, *rx = y + len, *ry = rx + len;
    double sad = 0;
    for (size_t i = 0; i < len; i++) {
        if (isnan(a[i]) || isnan(b[i])) continue;
        x[n] = a[i];
        y[n] = b[i];
        sad += fabs(a[i] - b[i]);
        n++;
    }
    out->n = n;
    out->mae = n ? sad / (double)n : NAN;
    out->spearman = NAN;
    if (n >= 2) {
        ranks(x, n, rx);
        ranks(y, n, ry);
        out->spearman = pearson(rx, ry, n);
    }
    free(x);
}

/* agreement.c: see agreement.h. */
#include "agreement.h"
#include "metric.h"
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

void agreement_pair_compute(const double *a, const double *b, size_t len,
                           agreement_pair *out)
{
    size_t n = 0;
    double *x = xmalloc((len ? len : 1) * 2 * sizeof *x);
    double *y = x + len;
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
    double rho;
    if (metric_spearman(x, y, n, &rho)) out->spearman = rho;
    free(x);
}

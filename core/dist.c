/* dist.c: see dist.h. */
#define _POSIX_C_SOURCE 200809L
#include "dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void dist_agg_add(dist_agg *a, const dist_count *c, size_t k)
{
    /* Re-derive the sums from the summary, add, summarise again. */
    double s1 = a->mean * (double)a->n;
    double s2 = (a->sd * a->sd + a->mean * a->mean) * (double)a->n;
    int64_t n = a->n;
    double lo = a->min, hi = a->max;
    for (size_t i = 0; i < k; i++) {
        if (c[i].n <= 0) continue;
        if (n == 0 || c[i].v < lo) lo = c[i].v;
        if (n == 0 || c[i].v > hi) hi = c[i].v;
        n += c[i].n;
        s1 += c[i].v * (double)c[i].n;
        s2 += c[i].v * c[i].v * (double)c[i].n;
    }
    dist_agg_sums(a, n, s1, s2);
    a->min = n ? lo : 0;
    a->max = n ? hi : 0;
}

void dist_agg_from(dist_agg *a, const dist_count *c, size_t k)
{
    memset(a, 0, sizeof *a);
    dist_agg_add(a, c, k);
}

void dist_agg_sums(dist_agg *a, int64_t n, double s1, double s2)
{
    a->n = n;
    a->mean = a->sd = 0;
    if (n <= 0) return;
    a->mean = s1 / (double)n;
    double var = s2 / (double)n - a->mean * a->mean;
    /* Rounding can leave a tiny negative variance for equal values. */
    a->sd = var > 1e-12 ? sqrt(var) : 0;
}

void dist_histogram(const dist_count *c, size_t k, double lo, double hi,
                    int nbins, int64_t *bins)
{
    if (nbins < 1) return;
    memset(bins, 0, (size_t)nbins * sizeof *bins);
    double w = hi - lo;
    for (size_t i = 0; i < k; i++) {
        int b = w > 0 ? (int)floor((c[i].v - lo) / w * nbins + 1e-9) : 0;
        if (b < 0) b = 0;
        if (b >= nbins) b = nbins - 1;
        bins[b] += c[i].n;
    }
}

static int by_value(const void *a, const void *b)
{
    double x = ((const dist_count *)a)->v, y = ((const dist_count *)b)->v;
    return x < y ? -1 : x > y;
}

double dist_compression(const dist_count *c, size_t k, double width,
                        int64_t min_n, double *band_lo)
{
    *band_lo = 0;
    int64_t total = 0;
    for (size_t i = 0; i < k; i++) total += c[i].n > 0 ? c[i].n : 0;
    if (total == 0 || total < min_n) return -1;
    dist_count *s = malloc((k ? k : 1) * sizeof *s);
    if (!s) return -1;
    memcpy(s, c, k * sizeof *s);
    qsort(s, k, sizeof *s, by_value);
    /* Two pointers over the sorted values: the heaviest window whose
     * values span at most width (a small epsilon: values are rounded to
     * 2 decimals, so 6.9 - 5.9 must count as 1). */
    int64_t best = 0, in = 0;
    size_t j = 0;
    for (size_t i = 0; i < k; i++) {
        for (; j < k && s[j].v - s[i].v <= width + 1e-9; j++)
            in += s[j].n > 0 ? s[j].n : 0;
        if (in > best) { best = in; *band_lo = s[i].v; }
        in -= s[i].n > 0 ? s[i].n : 0;
    }
    free(s);
    return (double)best / (double)total;
}

int dist_alarm(double share)
{
    return share >= DIST_ALARM_SHARE;
}

/* Average ranks (1-based, each pair weighing its n) of the x (or y)
 * values, written to rank[i] for pair i. */
static void weighted_ranks(const dist_pair *p, size_t k, int use_y, double *rank)
{
    size_t *idx = malloc(k * sizeof *idx);
    if (!idx) return;
    for (size_t i = 0; i < k; i++) idx[i] = i;
    /* Shell sort of the indexes (C11's qsort has no context argument);
     * k is the number of distinct pairs: thousands at most. */
    for (size_t gap = k / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < k; i++) {
            size_t t = idx[i], j = i;
            double vt = use_y ? p[t].y : p[t].x;
            while (j >= gap && (use_y ? p[idx[j - gap]].y : p[idx[j - gap]].x) > vt) {
                idx[j] = idx[j - gap];
                j -= gap;
            }
            idx[j] = t;
        }
    double before = 0;   /* weight of all smaller values */
    for (size_t i = 0; i < k;) {
        double v = use_y ? p[idx[i]].y : p[idx[i]].x;
        size_t e = i;
        double w = 0;
        while (e < k && (use_y ? p[idx[e]].y : p[idx[e]].x) == v) w += (double)p[idx[e++]].n;
        double r = before + (w + 1) / 2;
        for (size_t m = i; m < e; m++) rank[idx[m]] = r;
        before += w;
        i = e;
    }
    free(idx);
}

int dist_spearman(const dist_pair *p, size_t k, double *rho)
{
    double n = 0;
    for (size_t i = 0; i < k; i++) n += (double)p[i].n;
    if (k == 0 || n < 2) return -1;
    double *rx = calloc(k, sizeof *rx), *ry = calloc(k, sizeof *ry);
    if (!rx || !ry) { free(rx); free(ry); return -1; }
    weighted_ranks(p, k, 0, rx);
    weighted_ranks(p, k, 1, ry);
    double mx = 0, my = 0;
    for (size_t i = 0; i < k; i++) {
        mx += rx[i] * (double)p[i].n;
        my += ry[i] * (double)p[i].n;
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < k; i++) {
        double dx = rx[i] - mx, dy = ry[i] - my, w = (double)p[i].n;
        sxy += w * dx * dy;
        sxx += w * dx * dx;
        syy += w * dy * dy;
    }
    free(rx);
    free(ry);
    if (sxx <= 0 || syy <= 0) return -1;
    *rho = sxy / sqrt(sxx * syy);
    return 0;
}

int64_t dist_trend_step(int64_t first, int64_t last)
{
    return last - first <= 21 * 86400 ? 86400 : 7 * 86400;
}

int64_t dist_bucket_start(int64_t t, int64_t step)
{
    /* 1970-01-05 was a Monday: weeks start there. */
    int64_t origin = step == 86400 ? 0 : 4 * 86400;
    int64_t r = (t - origin) % step;
    if (r < 0) r += step;
    return t - r;
}

int dist_spark_level(double v, double lo, double hi, int levels)
{
    if (levels < 1) return 0;
    if (!(hi > lo)) return levels / 2;
    int l = (int)floor((v - lo) / (hi - lo) * (levels - 1) + 0.5);
    return l < 0 ? 0 : l >= levels ? levels - 1 : l;
}

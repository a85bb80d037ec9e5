/* metric.c: see metric.h. */
#include "metric.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIVERSITY_ACC_WEIGHT 0.7
#define DIVERSITY_SPREAD_WEIGHT 0.3

const char *metric_name(metric_kind m)
{
    return m == METRIC_ACCURACY ? "accuracy" : "diversity";
}

int metric_parse(const char *s, metric_kind *out)
{
    if (!s) return -1;
    if (!strcmp(s, "diversity")) *out = METRIC_DIVERSITY;
    else if (!strcmp(s, "accuracy")) *out = METRIC_ACCURACY;
    else return -1;
    return 0;
}

/* A degenerate range (hi <= lo) would divide by zero; treat it as width 1
 * so the metric stays finite (rubric validation should prevent it). */
static double field_width(const rubric_field *f)
{
    double w = f->hi - f->lo;
    return w > 0 ? w : 1.0;
}

double metric_accuracy(const rubric *r, const scoreset *pred,
                       const scoreset *gold)
{
    double err = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (f->kind != FIELD_SCORE || !gold->set[i]) continue;
        double e = pred->set[i] ? fabs(pred->v[i] - gold->v[i]) / field_width(f)
                                : 1.0;
        err += e > 1.0 ? 1.0 : e;
        n++;
    }
    return n ? 1.0 - err / (double)n : 0.0;
}

double metric_spread(const rubric *r, const scoreset *pred)
{
    double lo = 0, hi = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (f->kind != FIELD_SCORE || !pred->set[i]) continue;
        double v = (pred->v[i] - f->lo) / field_width(f);
        if (n == 0 || v < lo) lo = v;
        if (n == 0 || v > hi) hi = v;
        n++;
    }
    return n < 2 ? 0.0 : hi - lo;
}

double metric_diversity(const rubric *r, const scoreset *pred,
                        const scoreset *gold)
{
    return DIVERSITY_ACC_WEIGHT * metric_accuracy(r, pred, gold) +
           DIVERSITY_SPREAD_WEIGHT * metric_spread(r, pred);
}

double metric_value(metric_kind m, const rubric *r, const scoreset *pred,
                    const scoreset *gold)
{
    return m == METRIC_ACCURACY ? metric_accuracy(r, pred, gold)
                                : metric_diversity(r, pred, gold);
}

/* ---- Spearman ---- */

typedef struct {
    double v;
    size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->v < y->v) return -1;
    if (x->v > y->v) return 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Ranks 1..n with ties given their average rank (the usual Spearman
 * convention, and what scipy.stats.spearmanr does). */
static void rank_values(const double *x, size_t n, double *rank)
{
    ranked *t = xmalloc(n * sizeof *t);
    for (size_t i = 0; i < n; i++) t[i] = (ranked){x[i], i};
    qsort(t, n, sizeof *t, cmp_ranked);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && t[j + 1].v == t[i].v) j++;
        double avg = ((double)i + (double)j) / 2.0 + 1.0;
        for (size_t k = i; k <= j; k++) rank[t[k].i] = avg;
        i = j + 1;
    }
    free(t);
}

static int pearson(const double *x, const double *y, size_t n, double *out)
{
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
    mx /= (double)n;
    my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx <= 0 || syy <= 0) return 0;
    *out = sxy / sqrt(sxx * syy);
    return 1;
}

int metric_spearman(const double *x, const double *y, size_t n, double *rho)
{
    if (n < 2) return 0;
    double *rx = xmalloc(n * sizeof *rx), *ry = xmalloc(n * sizeof *ry);
    rank_values(x, n, rx);
    rank_values(y, n, ry);
    int ok = pearson(rx, ry, n, rho);
    free(rx);
    free(ry);
    return ok;
}

/* ---- evaluation report ---- */

static void sd_of(const double *v, size_t n, double *sd)
{
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++) m += v[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
    *sd = sqrt(s / (double)n);
}

/* Statistics of one scored field over the examples whose prediction (ok)
 * and label both have it. */
static void field_stats(size_t fi, const scoreset *pred,
                        const unsigned char *ok, const scoreset *gold,
                        size_t n, metric_field_stats *fs)
{
    double *p = xmalloc((n ? n : 1) * sizeof *p);
    double *g = xmalloc((n ? n : 1) * sizeof *g);
    size_t k = 0;
    double abs_sum = 0;
    memset(fs, 0, sizeof *fs);
    for (size_t i = 0; i < n; i++) {
        if ((ok && !ok[i]) || !pred[i].set[fi] || !gold[i].set[fi]) continue;
        p[k] = pred[i].v[fi];
        g[k] = gold[i].v[fi];
        abs_sum += fabs(p[k] - g[k]);
        if (k == 0 || p[k] < fs->min) fs->min = p[k];
        if (k == 0 || p[k] > fs->max) fs->max = p[k];
        k++;
    }
    fs->n = k;
    if (k) {
        fs->mae = abs_sum / (double)k;
        sd_of(p, k, &fs->sd);
        sd_of(g, k, &fs->gold_sd);
        fs->has_spearman = metric_spearman(p, g, k, &fs->spearman);
    }
    free(p);
    free(g);
}

void metric_report_compute(const rubric *r, metric_kind m,
                           const scoreset *pred, const unsigned char *ok,
                           const scoreset *gold, size_t n,
                           metric_report *out)
{
    memset(out, 0, sizeof *out);
    out->metric = m;
    out->n = n;
    double sum = 0, acc = 0;
    for (size_t i = 0; i < n; i++) {
        if (ok && !ok[i]) { out->failed++; continue; }
        sum += metric_value(m, r, &pred[i], &gold[i]);
        acc += metric_accuracy(r, &pred[i], &gold[i]);
    }
    if (n) {
        out->mean = sum / (double)n;
        out->mean_accuracy = acc / (double)n;
    }
    for (size_t f = 0; f < r->nfields; f++)
        if (rubric_is_scored(&r->fields[f]))
            field_stats(f, pred, ok, gold, n, &out->field[f]);
}

/* Numbers rounded to 4 decimals: the summary is for people and diffs, and
 * full doubles make reruns look different in the last digit. */
static void add_num(cJSON *o, const char *k, double v)
{
    cJSON_AddNumberToObject(o, k, round(v * 10000.0) / 10000.0);
}

char *metric_report_json_new(const rubric *r, const metric_report *rep)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "metric", metric_name(rep->metric));
    cJSON_AddNumberToObject(o, "n", (double)rep->n);
    cJSON_AddNumberToObject(o, "failed", (double)rep->failed);
    add_num(o, "mean", rep->mean);
    add_num(o, "accuracy", rep->mean_accuracy);
    cJSON *fields = cJSON_AddObjectToObject(o, "fields");
    for (size_t f = 0; f < r->nfields; f++) {
        if (!rubric_is_scored(&r->fields[f])) continue;
        const metric_field_stats *fs = &rep->field[f];
        cJSON *j = cJSON_AddObjectToObject(fields, r->fields[f].name);
        cJSON_AddNumberToObject(j, "n", (double)fs->n);
        add_num(j, "mae", fs->mae);
        add_num(j, "sd", fs->sd);
        add_num(j, "min", fs->min);
        add_num(j, "max", fs->max);
        add_num(j, "gold_sd", fs->gold_sd);
        if (fs->has_spearman) add_num(j, "spearman", fs->spearman);
        else cJSON_AddNullToObject(j, "spearman");
    }
    char *res = json_text_new(o, 0);
    cJSON_Delete(o);
    return res;
}

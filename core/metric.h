/* metric.h: the optimiser's metrics and the evaluation statistics.
 *
 * A metric compares one prediction with the human label of the same
 * conversation and returns a value in [0, 1] (DESIGN.md, Optimisation):
 *
 *   accuracy  = 1 - MAE / width   over the rubric's FIELD_SCORE fields
 *   diversity = 0.7 * accuracy + 0.3 * (max - min) / width
 *
 * where width is each field's range (hi - lo; 10 for the default rubric),
 * so a rubric with other ranges is normalised the same way: every score is
 * mapped to [0, 1] by (v - lo) / (hi - lo) before differences are taken.
 * The spread term is over the *predicted* dimension scores (the overall is
 * derived from them and does not count): it is what punishes a model that
 * hedges every field at 7.5. No global state. */
#ifndef CURATE_METRIC_H
#define CURATE_METRIC_H

#include <stddef.h>
#include "rubric.h"

typedef enum { METRIC_DIVERSITY = 0, METRIC_ACCURACY } metric_kind;

const char *metric_name(metric_kind m);            /* "diversity" ... */
/* "diversity" | "accuracy" -> *out; 0 or -1. */
int metric_parse(const char *s, metric_kind *out);

/* 1 - mean |pred - gold| / width over the FIELD_SCORE fields the label has.
 * A field the prediction lacks counts as the largest possible error (a
 * model that leaves a score out must not look accurate). 0 when the label
 * has no score field. */
double metric_accuracy(const rubric *r, const scoreset *pred,
                       const scoreset *gold);
/* (max - min) of the predicted FIELD_SCORE values, each normalised to
 * [0, 1] by its range; 0 with fewer than two predicted scores. */
double metric_spread(const rubric *r, const scoreset *pred);
/* 0.7 * accuracy + 0.3 * spread. */
double metric_diversity(const rubric *r, const scoreset *pred,
                        const scoreset *gold);
double metric_value(metric_kind m, const rubric *r, const scoreset *pred,
                    const scoreset *gold);

/* Spearman rank correlation (average ranks for ties, Pearson on ranks).
 * Returns 1 and *rho, or 0 when undefined (n < 2 or one side constant,
 * e.g. a model that says 7.5 every time). */
int metric_spearman(const double *x, const double *y, size_t n, double *rho);

/* ---- evaluation over a set of examples ---- */

typedef struct {
    size_t n;                 /* pairs where both prediction and label
                                 have the field */
    double mae;               /* mean |pred - gold| */
    double sd, min, max;      /* spread of the predictions (population sd) */
    double gold_sd;           /* spread of the human labels, for contrast */
    double spearman;          /* valid when has_spearman */
    int has_spearman;
} metric_field_stats;

typedef struct {
    metric_kind metric;
    size_t n;                 /* examples evaluated */
    size_t failed;            /* predictions that failed (metric 0) */
    double mean;              /* mean metric over all n, failed as 0 (as
                                 DSPy's Evaluate scores a failed example) */
    double mean_accuracy;     /* mean accuracy over the same n */
    /* by rubric field index; filled for FIELD_SCORE and FIELD_OVERALL */
    metric_field_stats field[RUBRIC_MAX_FIELDS];
} metric_report;

/* Evaluates n predictions against their labels. ok[i] == 0 marks a failed
 * prediction (pred[i] ignored). ok may be NULL (all ok). */
void metric_report_compute(const rubric *r, metric_kind m,
                           const scoreset *pred, const unsigned char *ok,
                           const scoreset *gold, size_t n,
                           metric_report *out);

/* The report as a JSON object:
 * {"metric","n","failed","mean","accuracy","fields":{"name":{"n","mae",
 *  "sd","min","max","gold_sd","spearman"|null}}}. Caller frees. */
char *metric_report_json_new(const rubric *r, const metric_report *rep);

#endif

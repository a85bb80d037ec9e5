/* pool_dist.h: the figures of the lead's views, read from the pool: one
 * field's model and human distribution for a run (with MAE, compression
 * share and Spearman), the seller table, the trend over the
 * conversations' dates, and the optimisation run behind a program
 * (reviewer agreement is tui/app/team.h's). The maths is core/dist.h; this module only gathers
 * the counted values and pairs (score_agg, a few thousand rows at most)
 * or, for the trend, scans the scored conversations.
 * The workbench and `curate report` both call these: one computation,
 * two renderings. run 0 = each conversation's latest prediction; a seller
 * is matched exactly (NULL: all). */
#ifndef CURATE_POOL_DIST_H
#define CURATE_POOL_DIST_H

#include "pool.h"
#include "../core/dist.h"

typedef struct {
    dist_agg model, human, abs_err;  /* human: run 0 every current label;
                                        run R the labels of R's scored
                                        conversations only */
    double comp_share, comp_lo;      /* compression (model); -1 below
                                        DIST_ALARM_MIN_N scores */
    double spearman;  int has_spearman;   /* model vs human (want_pairs) */
    int64_t hist_model[DIST_BINS], hist_human[DIST_BINS];
} pool_dist_field;

/* The figures of score field fi (all from score_agg); want_pairs also
 * computes Spearman. 0 or -1 + err. */
int pool_dist_field_get(pool *p, const rubric *r, int fi, int64_t run_id,
                        const char *seller, int want_pairs,
                        pool_dist_field *out, char *err);

/* ---- sellers ---- */
typedef struct {
    char *seller;                /* owned by the array */
    int64_t conversations;       /* in the pool */
    dist_agg model, human;       /* of the field asked for */
    dist_agg abs_err;            /* mean = MAE */
    double comp_share, comp_lo;  /* -1 below DIST_ALARM_MIN_N */
} pool_dist_seller;

typedef enum {
    SELLER_BY_ID = 0, SELLER_BY_N, SELLER_BY_MODEL_MEAN, SELLER_BY_MODEL_SD,
    SELLER_BY_HUMAN_MEAN, SELLER_BY_MAE, SELLER_BY_COMPRESSION,
    SELLER_SORTS
} pool_dist_seller_sort;

/* Every seller whose id starts with match (ASCII case-insensitive; NULL
 * or "" all), ordered by id, with the figures of field fi for run_id.
 * *out is malloc'd: free with pool_dist_sellers_free. Count or -1. */
int pool_dist_sellers_new(pool *p, const rubric *r, int fi, int64_t run_id,
                          const char *match, pool_dist_seller **out,
                          char *err);
void pool_dist_sellers_free(pool_dist_seller *s, int n);
/* Sorts in place (ties: by id); sellers without the figure last. */
void pool_dist_sellers_sort(pool_dist_seller *s, int n,
                            pool_dist_seller_sort by, int desc);
/* The column's name ("seller", "n", "model mean", ...). */
const char *pool_dist_seller_sort_name(pool_dist_seller_sort by);

/* ---- trend ---- */
typedef struct {
    int64_t start;                          /* bucket start (UTC) */
    dist_agg model[RUBRIC_MAX_FIELDS];      /* per field index */
    dist_agg human[RUBRIC_MAX_FIELDS];
} pool_dist_bucket;

/* Mean and sd of model and human scores per field, per day or week
 * (dist_trend_step over the span) of the conversations' first message,
 * oldest first, for the scored conversations of run_id. Fast (day counts)
 * for run 0 of all sellers; one seller scans that seller's conversations;
 * a run > 0 scans the run (seconds on a million-conversation pool: the
 * views ask for run 0). *out malloc'd (free()), *step the bucket length.
 * Count or -1. */
int pool_dist_trend_new(pool *p, const rubric *r, int64_t run_id,
                        const char *seller, pool_dist_bucket **out,
                        int64_t *step, char *err);

/* The summary JSON of the optimisation run that stored program_id (the
 * before and after validation figures and the decision), malloc'd, or
 * NULL (none: *err empty; or an error). */
char *pool_dist_program_summary_new(pool *p, int64_t program_id, char *err);

#endif

/* dist.h: the statistics behind the lead's views (distribution, before
 * against after, sellers, trend, the report): summaries of counted
 * values, histograms, the compression share, Spearman's rank correlation,
 * trend buckets and sparkline levels. Plain maths on arrays the caller
 * owns: no SQL, no curses, no allocation visible to the caller. The
 * workbench and `curate report` both draw these numbers, so one
 * computation has two renderings. */
#ifndef CURATE_DIST_H
#define CURATE_DIST_H

#include <stddef.h>
#include <stdint.h>

/* A value and how many scores have it (a row of the pool's score_agg). */
typedef struct {
    double v;
    int64_t n;
} dist_count;

/* A (model, human) pair of values and how many conversations have it. */
typedef struct {
    double x, y;
    int64_t n;
} dist_pair;

typedef struct {
    int64_t n;
    double mean, sd, min, max;   /* population sd; all 0 when n == 0 */
} dist_agg;

/* The compression alarm: a field is "compressed" when at least
 * DIST_ALARM_SHARE of the model's scores sit inside one band of
 * DIST_BAND points, judged only from DIST_ALARM_MIN_N scores on (a
 * one-conversation re-score says nothing about spread). */
#define DIST_BAND 1.0
#define DIST_ALARM_SHARE 0.6
#define DIST_ALARM_MIN_N 20
/* Histogram bins of the views and the report. */
#define DIST_BINS 10

/* Adds the summary of k counted values to a (which may hold earlier
 * values: call with a zeroed a to start). */
void dist_agg_add(dist_agg *a, const dist_count *c, size_t k);
/* Count, mean, sd, min, max of k counted values. */
void dist_agg_from(dist_agg *a, const dist_count *c, size_t k);
/* From running sums (n values, their sum and sum of squares). */
void dist_agg_sums(dist_agg *a, int64_t n, double s1, double s2);
/* Counts into nbins equal bins over [lo, hi]; values outside go to the
 * end bins, the top edge into the last bin. bins is overwritten. */
void dist_histogram(const dist_count *c, size_t k, double lo, double hi,
                    int nbins, int64_t *bins);
/* The largest share of the values inside any closed band [a, a + width]
 * (c sorted by value or not); *band_lo = a (the lowest value inside).
 * Returns the share, or -1 when there are fewer than min_n values. */
double dist_compression(const dist_count *c, size_t k, double width,
                        int64_t min_n, double *band_lo);
/* 1 when share (from dist_compression) raises the alarm. */
int dist_alarm(double share);
/* Spearman's rank correlation of k counted pairs (ties get their average
 * rank). Returns 0 and *rho, or -1 when it is undefined (fewer than 2
 * pairs, or one side constant). */
int dist_spearman(const dist_pair *p, size_t k, double *rho);
/* Trend buckets: a day (86400) for spans up to 21 days, else a week. */
int64_t dist_trend_step(int64_t first, int64_t last);
/* The start of the bucket holding t: UTC midnight, or the Monday 00:00
 * UTC of its week. */
int64_t dist_bucket_start(int64_t t, int64_t step);
/* Sparkline level 0..levels-1 of v on [lo, hi] (lo == hi: the middle). */
int dist_spark_level(double v, double lo, double hi, int levels);

#endif

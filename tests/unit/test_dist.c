/* test_dist.c: the statistics of the lead's views: core/dist (summaries,
 * histogram, compression share, Spearman, trend buckets) and data/pool_dist
 * (a run's human figures cover its own conversations; sellers by prefix in
 * any case, % and _ plain; the trend's buckets). */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "tpool.h"
#include "../../core/dist.h"
#include "../../core/util.h"
#include "../../data/pool_dist.h"

#include <stdlib.h>

TEST(dist_summary_and_histogram)
{
    dist_count c[] = {{1, 2}, {3, 2}};
    dist_agg a;
    dist_agg_from(&a, c, 2);
    CHECK(a.n == 4);
    CHECK_NEAR(a.mean, 2, 1e-12);
    CHECK_NEAR(a.sd, 1, 1e-12);
    CHECK(a.min == 1 && a.max == 3);
    dist_count e[] = {{5, 7}};
    dist_agg_from(&a, e, 1);
    CHECK(a.sd == 0 && a.mean == 5);     /* equal values: no rounding noise */
    dist_count h[] = {{0, 1}, {9.99, 1}, {10, 1}, {4.99, 3}, {5, 2}};
    int64_t bins[DIST_BINS];
    dist_histogram(h, 5, 0, 10, DIST_BINS, bins);
    CHECK(bins[0] == 1 && bins[9] == 2 && bins[4] == 3 && bins[5] == 2);
}

TEST(dist_compression_band_and_min_n)
{
    /* 6.9 - 5.9 is 1.0000000000000009 in binary: still one band. */
    dist_count c[] = {{6.9, 50}, {5.9, 50}, {8, 1}};
    double lo;
    double s = dist_compression(c, 3, DIST_BAND, DIST_ALARM_MIN_N, &lo);
    CHECK_NEAR(s, 100.0 / 101, 1e-12);
    CHECK_NEAR(lo, 5.9, 1e-12);
    CHECK(dist_alarm(s));
    dist_count few[] = {{7, 19}};
    CHECK(dist_compression(few, 1, DIST_BAND, DIST_ALARM_MIN_N, &lo) == -1);
    dist_count twenty[] = {{7, 20}};
    CHECK(dist_compression(twenty, 1, DIST_BAND, DIST_ALARM_MIN_N, &lo) == 1);
    dist_count spread[] = {{0, 10}, {2, 10}, {4, 10}, {6, 10}, {8, 10}};
    s = dist_compression(spread, 5, DIST_BAND, DIST_ALARM_MIN_N, &lo);
    CHECK_NEAR(s, 0.2, 1e-12);
    CHECK(!dist_alarm(s));
}

TEST(dist_spearman_ties_and_weights)
{
    /* x 1..5, y 5 6 7 8 7: ranks of y 1 2 3.5 5 3.5, rho = 8/sqrt(95). */
    dist_pair p[] = {{1, 5, 1}, {2, 6, 1}, {3, 7, 1}, {4, 8, 1}, {5, 7, 1}};
    double rho;
    CHECK(dist_spearman(p, 5, &rho) == 0);
    CHECK_NEAR(rho, 8 / sqrt(95), 1e-12);
    /* A pair counted twice is two pairs. */
    dist_pair w[] = {{1, 1, 2}, {2, 3, 1}, {3, 2, 1}};
    dist_pair x[] = {{1, 1, 1}, {1, 1, 1}, {2, 3, 1}, {3, 2, 1}};
    double r1, r2;
    CHECK(dist_spearman(w, 3, &r1) == 0 && dist_spearman(x, 4, &r2) == 0);
    CHECK_NEAR(r1, r2, 1e-12);
    dist_pair rev[] = {{1, 3, 1}, {2, 2, 1}, {3, 1, 1}};
    CHECK(dist_spearman(rev, 3, &rho) == 0);
    CHECK_NEAR(rho, -1, 1e-12);
    dist_pair flat[] = {{1, 7, 1}, {2, 7, 1}};
    CHECK(dist_spearman(flat, 2, &rho) == -1);
    CHECK(dist_spearman(p, 1, &rho) == -1);
}

TEST(dist_trend_buckets_and_sparkline)
{
    CHECK(dist_trend_step(0, 21 * 86400) == 86400);
    CHECK(dist_trend_step(0, 22 * 86400) == 7 * 86400);
    /* Wednesday 2024-06-05 12:00 UTC: its week starts Monday 2024-06-03. */
    CHECK(dist_bucket_start(1717588800, 7 * 86400) == 1717372800);
    CHECK(dist_bucket_start(1717588800, 86400) == 1717545600);
    CHECK(dist_bucket_start(1717372800, 7 * 86400) == 1717372800);
    CHECK(dist_spark_level(0, 0, 10, 8) == 0);
    CHECK(dist_spark_level(10, 0, 10, 8) == 7);
    CHECK(dist_spark_level(5, 5, 5, 8) == 4);
}

/* The trend of all sellers (from the day counts) equals the sum of each
 * seller's (scanned). */
static int trend_counts_match_scans(pool *p, const rubric *r)
{
    char err[ERR_MAX];
    const char *sellers[] = {"S-MAD-03", "S-MAR-06"};
    pool_dist_bucket *all, *one[2];
    int64_t step;
    int n = pool_dist_trend_new(p, r, 0, NULL, &all, &step, err), ok = n > 0;
    int m[2];
    for (int k = 0; k < 2; k++)
        m[k] = pool_dist_trend_new(p, r, 0, sellers[k], &one[k], &step, err);
    for (int k = 0; k < n && ok; k++)
        for (size_t i = 0; i < r->nfields && ok; i++) {
            int64_t nm = 0, nh = 0;
            double sm = 0, sh = 0;
            for (int q = 0; q < 2; q++)
                for (int j = 0; j < m[q]; j++)
                    if (one[q][j].start == all[k].start) {
                        nm += one[q][j].model[i].n;
                        sm += one[q][j].model[i].mean * (double)one[q][j].model[i].n;
                        nh += one[q][j].human[i].n;
                        sh += one[q][j].human[i].mean * (double)one[q][j].human[i].n;
                    }
            ok = nm == all[k].model[i].n && nh == all[k].human[i].n &&
                 fabs(sm - all[k].model[i].mean * (double)nm) < 1e-6 &&
                 fabs(sh - all[k].human[i].mean * (double)nh) < 1e-6;
        }
    free(all);
    free(one[0]);
    free(one[1]);
    return ok;
}

static void put(pool *p, const char *id, const char *seller, int64_t ts)
{
    char err[ERR_MAX];
    convo *c = convo_new(id, seller);
    convo_add_msg(c, ts, "C", ROLE_CUSTOMER, "hello");
    convo_add_msg(c, ts + 60, "S", ROLE_SELLER, "hi");
    if (pool_put_convo(p, c, "t", NULL, err) < 0) fprintf(stderr, "%s\n", err);
    convo_free(c);
}

static int score(pool *p, const rubric *r, const char *id, int64_t run, double v)
{
    char err[ERR_MAX];
    prediction pr = {0};
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_scored(&r->fields[i])) { pr.scores.v[i] = v; pr.scores.set[i] = 1; }
    pr.status = "ok";
    pr.model = "m";
    pr.run_id = run;
    return pool_put_prediction(p, r, id, &pr, NULL, err);
}

static int put_label(pool *p, const rubric *r, const char *id, double v)
{
    char err[ERR_MAX];
    scoreset h = {0};
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_scored(&r->fields[i])) { h.v[i] = v; h.set[i] = 1; }
    return pool_add_label(p, r, id, "rev", LABEL_CORRECTED, &h, NULL, NULL, err);
}

TEST(pool_dist_run_human_is_its_conversations)
{
    pool *p = tpool_open("d.db");
    CHECK(p != NULL);
    rubric *r = rubric_default_new();
    char err[ERR_MAX];
    int oi = rubric_overall_index(r);
    int64_t all, one;
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &all, err) == 0);
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", i);
        put(p, id, i % 2 ? "S-MAR-06" : "S-MAD-03", 1717372800 + i * 86400 * 8);
        CHECK(score(p, r, id, all, 7) == 0);
        if (i < 4) CHECK(put_label(p, r, id, 2 + i) == 0);
    }
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &one, err) == 0);
    CHECK(score(p, r, "c1", one, 4) == 0);
    pool_dist_field f;
    CHECK(pool_dist_field_get(p, r, oi, 0, NULL, 1, &f, err) == 0);
    CHECK(f.model.n == 6 && f.human.n == 4);
    CHECK(f.comp_share == -1);                 /* 6 scores: not judged */
    CHECK(pool_dist_field_get(p, r, oi, one, NULL, 1, &f, err) == 0);
    CHECK_MSG(f.model.n == 1 && f.human.n == 1, "model %lld human %lld",
              (long long)f.model.n, (long long)f.human.n);
    CHECK_NEAR(f.human.mean, 3, 1e-9);         /* c1's label */
    CHECK_NEAR(f.abs_err.mean, 1, 1e-9);
    CHECK(!f.has_spearman);                    /* one pair */
    /* pool_get_stats agrees (curate stats --run, the report). */
    pool_stats st;
    CHECK(pool_get_stats(p, r, one, NULL, &st, err) == 0);
    CHECK(st.human[oi].n == 1);
    /* The run's human figures follow a new label of its conversation. */
    CHECK(put_label(p, r, "c1", 9) == 0);
    CHECK(pool_dist_field_get(p, r, oi, one, NULL, 0, &f, err) == 0);
    CHECK(f.human.n == 1);
    CHECK_NEAR(f.human.mean, 9, 1e-9);
    /* Spearman from the counted pairs equals Spearman of the pairs. */
    int64_t var;
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &var, err) == 0);
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", i);
        CHECK(score(p, r, id, var, 9.25 - i) == 0);
    }
    dist_pair want[] = {{9.25, 2, 1}, {8.25, 9, 1}, {7.25, 4, 1}, {6.25, 5, 1}};
    double rho;
    CHECK(dist_spearman(want, 4, &rho) == 0);
    CHECK(pool_dist_field_get(p, r, oi, var, NULL, 1, &f, err) == 0);
    CHECK(f.has_spearman);
    CHECK_NEAR(f.spearman, rho, 1e-12);
    CHECK(pool_dist_field_get(p, r, oi, 0, NULL, 1, &f, err) == 0);
    CHECK(f.has_spearman);          /* run 0: the same latest predictions */
    CHECK_NEAR(f.spearman, rho, 1e-12);
    /* Sellers: prefix in any case. */
    pool_dist_seller *s;
    int n = pool_dist_sellers_new(p, r, oi, 0, "s-ma", &s, err);
    CHECK(n == 2);
    CHECK(!strcmp(s[0].seller, "S-MAD-03") && !strcmp(s[1].seller, "S-MAR-06"));
    CHECK(s[1].conversations == 3 && s[1].model.n == 3 && s[1].human.n == 2);
    pool_dist_sellers_sort(s, n, SELLER_BY_MAE, 1);
    CHECK(s[0].abs_err.mean >= s[1].abs_err.mean);
    pool_dist_sellers_free(s, n);
    n = pool_dist_sellers_new(p, r, oi, 0, "s-mar-06", &s, err);
    CHECK(n == 1 && !strcmp(s[0].seller, "S-MAR-06"));
    pool_dist_sellers_free(s, n);
    n = pool_dist_sellers_new(p, r, oi, 0, "S-MA_", &s, err);   /* _ is plain */
    CHECK(n == 0);
    pool_dist_sellers_free(s, n);
    /* Trend: 6 conversations 8 days apart: weeks. */
    pool_dist_bucket *b;
    int64_t step;
    n = pool_dist_trend_new(p, r, 0, NULL, &b, &step, err);
    CHECK(step == 7 * 86400);
    CHECK_MSG(n == 6, "%d buckets", n);
    CHECK(b[0].start == 1717372800 && b[0].model[oi].n == 1);
    free(b);
    /* The day counts give what a scan of each seller gives, also after a
     * conversation's first message moved (a changed re-import). */
    CHECK(trend_counts_match_scans(p, r));
    put(p, "c0", "S-MAD-03", 1717372800 + 100 * 86400);
    CHECK(trend_counts_match_scans(p, r));
    n = pool_dist_trend_new(p, r, 0, NULL, &b, &step, err);
    CHECK_MSG(b[n - 1].start > 1717372800 + 90 * 86400 && b[n - 1].model[oi].n == 1,
              "the moved conversation is in its new week");
    free(b);
    pool_close(p);
    rubric_free(r);
}

/* test_metric.c: the optimiser metrics and the evaluation report. */
#include "test.h"
#include "../../core/metric.h"
#include "../../core/util.h"

#include <stdlib.h>

/* Scores in the default rubric's field order: responsiveness, negative,
 * trend; the overall is left unset (metrics ignore it). */
static scoreset scores3(const rubric *r, double a, double b, double c)
{
    scoreset s;
    memset(&s, 0, sizeof s);
    const char *names[] = {"responsiveness_score", "customer_negative_score",
                           "conversational_trend_score"};
    double v[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        int f = rubric_field_index(r, names[i]);
        s.v[f] = v[i];
        s.set[f] = 1;
    }
    return s;
}

TEST(metric_accuracy_and_diversity_values)
{
    rubric *r = rubric_default_new();
    scoreset gold = scores3(r, 7, 3, 6), pred = scores3(r, 8, 2, 6);
    /* MAE = 2/3 -> accuracy 1 - 0.0667; spread (8-2)/10 = 0.6 */
    CHECK_NEAR(metric_accuracy(r, &pred, &gold), 1 - (2.0 / 3) / 10, 1e-9);
    CHECK_NEAR(metric_spread(r, &pred), 0.6, 1e-9);
    CHECK_NEAR(metric_diversity(r, &pred, &gold),
               0.7 * (1 - (2.0 / 3) / 10) + 0.3 * 0.6, 1e-9);
    CHECK_NEAR(metric_value(METRIC_ACCURACY, r, &pred, &gold),
               metric_accuracy(r, &pred, &gold), 1e-12);
    /* a perfect answer */
    CHECK_NEAR(metric_accuracy(r, &gold, &gold), 1.0, 1e-12);
    rubric_free(r);
}

TEST(metric_hedging_model_gets_no_spread_credit)
{
    rubric *r = rubric_default_new();
    scoreset gold = scores3(r, 9, 1, 8), hedge = scores3(r, 7.5, 7.5, 7.5);
    CHECK_NEAR(metric_spread(r, &hedge), 0.0, 1e-12);
    /* |1.5| + |6.5| + |0.5| = 8.5 / 3 */
    double acc = 1 - (8.5 / 3) / 10;
    CHECK_NEAR(metric_diversity(r, &hedge, &gold), 0.7 * acc, 1e-9);
    /* the overall never counts, even when present and wildly off */
    int o = rubric_overall_index(r);
    hedge.v[o] = 0;
    hedge.set[o] = 1;
    gold.v[o] = 10;
    gold.set[o] = 1;
    CHECK_NEAR(metric_diversity(r, &hedge, &gold), 0.7 * acc, 1e-9);
    rubric_free(r);
}

TEST(metric_missing_prediction_field_is_worst_error)
{
    rubric *r = rubric_default_new();
    scoreset gold = scores3(r, 5, 5, 5), pred = scores3(r, 5, 5, 5);
    pred.set[rubric_field_index(r, "customer_negative_score")] = 0;
    CHECK_NEAR(metric_accuracy(r, &pred, &gold), 1 - 1.0 / 3, 1e-9);
    /* a label without scores: nothing to compare */
    scoreset none;
    memset(&none, 0, sizeof none);
    CHECK_NEAR(metric_accuracy(r, &pred, &none), 0.0, 1e-12);
    /* nothing predicted, nothing right: 0 (DSPy rejects a falsy 0) */
    scoreset zero = scores3(r, 0, 0, 0), ten = scores3(r, 10, 10, 10);
    CHECK_NEAR(metric_diversity(r, &zero, &ten), 0.0, 1e-12);
    rubric_free(r);
}

TEST(metric_other_ranges_are_normalised)
{
    char err[ERR_MAX];
    rubric *r = rubric_parse_new(
        "{\"instructions\": \"x\", \"fields\": ["
        " {\"name\": \"text\", \"kind\": \"input\"},"
        " {\"name\": \"a\", \"kind\": \"score\", \"range\": [1, 5]},"
        " {\"name\": \"b\", \"kind\": \"score\", \"range\": [0, 100]}]}",
        "t", err);
    CHECK_MSG(r, "%s", err);
    scoreset gold, pred;
    memset(&gold, 0, sizeof gold);
    memset(&pred, 0, sizeof pred);
    gold.v[1] = 3; gold.set[1] = 1; gold.v[2] = 50; gold.set[2] = 1;
    pred.v[1] = 5; pred.set[1] = 1; pred.v[2] = 40; pred.set[2] = 1;
    /* errors 2/4 and 10/100 -> mean 0.3 */
    CHECK_NEAR(metric_accuracy(r, &pred, &gold), 0.7, 1e-9);
    /* normalised 1.0 and 0.4 -> spread 0.6 */
    CHECK_NEAR(metric_spread(r, &pred), 0.6, 1e-9);
    rubric_free(r);
}

TEST(metric_parse_and_names)
{
    metric_kind m;
    CHECK(metric_parse("accuracy", &m) == 0 && m == METRIC_ACCURACY);
    CHECK(metric_parse("diversity", &m) == 0 && m == METRIC_DIVERSITY);
    CHECK(metric_parse("f1", &m) < 0);
    CHECK_STR(metric_name(METRIC_DIVERSITY), "diversity");
    CHECK_STR(metric_name(METRIC_ACCURACY), "accuracy");
}

TEST(metric_spearman_ties_and_degenerate)
{
    double x[] = {1, 2, 3, 4, 5}, y[] = {5, 6, 7, 8, 7}, rho;
    CHECK(metric_spearman(x, y, 5, &rho));
    CHECK_NEAR(rho, 8 / sqrt(95.0), 1e-9);      /* scipy: 0.8207826816 */
    double rev[] = {9, 7, 5, 3, 1};
    CHECK(metric_spearman(x, rev, 5, &rho));
    CHECK_NEAR(rho, -1.0, 1e-12);
    double flat[] = {7.5, 7.5, 7.5, 7.5, 7.5};
    CHECK(!metric_spearman(x, flat, 5, &rho));  /* a hedger: undefined */
    CHECK(!metric_spearman(x, y, 1, &rho));
}

TEST(metric_report_counts_failures_as_zero)
{
    rubric *r = rubric_default_new();
    scoreset gold[3] = {scores3(r, 2, 8, 2), scores3(r, 5, 5, 5),
                        scores3(r, 9, 1, 9)};
    scoreset pred[3] = {scores3(r, 2, 8, 2), scores3(r, 5, 5, 5),
                        scores3(r, 0, 0, 0)};
    unsigned char ok[3] = {1, 1, 0};
    metric_report rep;
    metric_report_compute(r, METRIC_ACCURACY, pred, ok, gold, 3, &rep);
    CHECK(rep.n == 3 && rep.failed == 1);
    CHECK_NEAR(rep.mean, 2.0 / 3, 1e-9);
    int f = rubric_field_index(r, "responsiveness_score");
    CHECK(rep.field[f].n == 2);
    CHECK_NEAR(rep.field[f].mae, 0, 1e-12);
    CHECK_NEAR(rep.field[f].min, 2, 1e-12);
    CHECK_NEAR(rep.field[f].max, 5, 1e-12);
    CHECK_NEAR(rep.field[f].sd, 1.5, 1e-12);
    CHECK(rep.field[f].has_spearman);
    CHECK_NEAR(rep.field[f].spearman, 1.0, 1e-12);
    /* the overall is reported too (when both sides have it: here neither) */
    CHECK(rep.field[rubric_overall_index(r)].n == 0);
    char *js = metric_report_json_new(r, &rep);
    CHECK(strstr(js, "\"metric\":\"accuracy\""));
    CHECK(strstr(js, "\"failed\":1"));
    CHECK(strstr(js, "\"responsiveness_score\":{\"n\":2,\"mae\":0,"));
    CHECK(strstr(js, "\"overall_seller_score\":{\"n\":0,"));
    CHECK(strstr(js, "\"spearman\":null"));
    free(js);
    rubric_free(r);
}

TEST(metric_report_hedger_has_no_spread)
{
    rubric *r = rubric_default_new();
    scoreset gold[4], pred[4];
    for (int i = 0; i < 4; i++) {
        gold[i] = scores3(r, 2 + 2 * i, 8 - 2 * i, 1 + 2 * i);
        pred[i] = scores3(r, 7.5, 7.5, 7.5);
    }
    metric_report rep;
    metric_report_compute(r, METRIC_DIVERSITY, pred, NULL, gold, 4, &rep);
    int f = rubric_field_index(r, "conversational_trend_score");
    CHECK_NEAR(rep.field[f].sd, 0, 1e-12);
    CHECK(rep.field[f].gold_sd > 2);
    CHECK(!rep.field[f].has_spearman);
    CHECK(rep.failed == 0);
    rubric_free(r);
}

/* test_label.c: what a save means (core/label.h), one rule for both faces. */
#include "test.h"
#include "../../core/label.h"
#include "../../core/util.h"

static const rubric *rub(void)
{
    static rubric *r;
    if (!r) r = rubric_default_new();
    return r;
}

/* A model answer whose overall (6.3) is not the formula's over its parts
 * (5.95), as in the example. */
static scoreset model(const rubric *r)
{
    scoreset s = {0};
    int f[4] = {rubric_field_index(r, "responsiveness_score"),
                rubric_field_index(r, "customer_negative_score"),
                rubric_field_index(r, "conversational_trend_score"),
                rubric_overall_index(r)};
    double v[4] = {7, 5, 5.5, 6.3};
    for (int i = 0; i < 4; i++) { s.v[f[i]] = v[i]; s.set[f[i]] = 1; }
    return s;
}

TEST(label_untouched_save_is_accepted_with_the_model_overall)
{
    const rubric *r = rub();
    scoreset m = model(r);
    int oi = rubric_overall_index(r);
    double f;
    CHECK(rubric_overall_from(r, &m, &f) == 0);
    CHECK_NEAR(f, 5.95, 1e-9);
    label_values v;
    label_values_init(&v, r, &m, NULL);
    /* Before any edit "yours" is the model's values, its overall too. */
    CHECK(label_scores_equal(r, &v.yours, &m));
    CHECK_NEAR(v.yours.v[oi], 6.3, 1e-9);
    CHECK(!label_values_differ(&v, r));
    char err[ERR_MAX];
    label_decision d;
    CHECK(label_decide(r, &v, LABEL_DO_SAVE, &d, err) == 0);
    CHECK(d.status == LABEL_ACCEPTED);
    CHECK_NEAR(d.scores.v[oi], 6.3, 1e-9);
    CHECK(label_decide(r, &v, LABEL_DO_ACCEPT, &d, err) == 0);
    CHECK(d.status == LABEL_ACCEPTED && label_scores_equal(r, &d.scores, &m));
}

TEST(label_a_changed_part_makes_the_overall_follow_the_formula)
{
    const rubric *r = rub();
    scoreset m = model(r);
    int oi = rubric_overall_index(r), ri = rubric_field_index(r, "responsiveness_score");
    label_values v;
    label_values_init(&v, r, &m, NULL);
    CHECK(label_values_set(&v, r, ri, 9, NULL) == 0);
    double f;
    CHECK(rubric_overall_from(r, &v.yours, &f) == 0);
    CHECK_NEAR(v.yours.v[oi], f, 1e-9);
    char err[ERR_MAX];
    label_decision d;
    CHECK(label_decide(r, &v, LABEL_DO_SAVE, &d, err) == 0);
    CHECK(d.status == LABEL_CORRECTED && label_scores_equal(r, &d.scores, &v.yours));
    /* Back to the model's value: the model's overall again, accepted. */
    CHECK(label_values_set(&v, r, ri, 7, NULL) == 0);
    CHECK_NEAR(v.yours.v[oi], 6.3, 1e-9);
    CHECK(label_decide(r, &v, LABEL_DO_SAVE, &d, err) == 0);
    CHECK(d.status == LABEL_ACCEPTED);
    /* = on a part after + : the same. */
    CHECK(label_values_set(&v, r, ri, 7.5, NULL) == 0);
    label_values_reset(&v, r, ri);
    CHECK(!label_values_differ(&v, r));
    /* Accept after edits stores the model's, whatever "yours" says. */
    CHECK(label_values_set(&v, r, ri, 2, NULL) == 0);
    CHECK(label_decide(r, &v, LABEL_DO_ACCEPT, &d, err) == 0);
    CHECK(d.status == LABEL_ACCEPTED && label_scores_equal(r, &d.scores, &m));
}

TEST(label_typed_overall_is_kept_and_clamped)
{
    const rubric *r = rub();
    scoreset m = model(r);
    int oi = rubric_overall_index(r), ri = rubric_field_index(r, "responsiveness_score");
    label_values v;
    label_values_init(&v, r, &m, NULL);
    int clamped = 0;
    CHECK(label_values_set(&v, r, oi, 12, &clamped) == 0);
    CHECK(clamped && v.overall_typed);
    CHECK_NEAR(v.yours.v[oi], 10, 1e-9);
    CHECK(label_values_set(&v, r, ri, 1, NULL) == 0);
    CHECK_NEAR(v.yours.v[oi], 10, 1e-9);     /* typed: no longer follows */
    label_values_reset(&v, r, oi);           /* = on the overall */
    CHECK(!v.overall_typed);
    double f;
    CHECK(rubric_overall_from(r, &v.yours, &f) == 0);
    CHECK_NEAR(v.yours.v[oi], f, 1e-9);
    CHECK(label_values_set(&v, r, 0, 5, NULL) == -1);   /* an input field */
}

TEST(label_continuing_an_earlier_correction)
{
    const rubric *r = rub();
    scoreset m = model(r), mine = model(r);
    int oi = rubric_overall_index(r), ri = rubric_field_index(r, "responsiveness_score");
    mine.v[ri] = 2;
    mine.v[oi] = 9;   /* typed back then */
    label_values v;
    label_values_init(&v, r, &m, &mine);
    CHECK(v.overall_typed && !v.touched);
    CHECK(label_scores_equal(r, &v.yours, &mine));
    char err[ERR_MAX];
    label_decision d;
    CHECK(label_decide(r, &v, LABEL_DO_SAVE, &d, err) == 0);
    CHECK(d.status == LABEL_CORRECTED && label_scores_equal(r, &d.scores, &mine));
}

TEST(label_without_model_scores)
{
    const rubric *r = rub();
    label_values v;
    label_values_init(&v, r, NULL, NULL);
    char err[ERR_MAX];
    label_decision d;
    CHECK(label_decide(r, &v, LABEL_DO_ACCEPT, &d, err) == -1);
    CHECK(strstr(err, "no model scores") != NULL);
    CHECK(label_decide(r, &v, LABEL_DO_SAVE, &d, err) == -1);
    CHECK_MSG(strstr(err, "responsiveness_score") != NULL, "%s", err);
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_SCORE) label_values_set(&v, r, (int)i, 4, NULL);
    CHECK(label_decide(r, &v, LABEL_DO_SAVE, &d, err) == 0);
    CHECK(d.status == LABEL_CORRECTED);
    CHECK(label_decide(r, &v, LABEL_DO_SKIP, &d, err) == 0);
    CHECK(d.status == LABEL_SKIPPED && !d.scores.set[rubric_overall_index(r)]);
    /* A partial model answer cannot be accepted as it is. */
    scoreset part = model(r);
    part.set[rubric_field_index(r, "conversational_trend_score")] = 0;
    label_values_init(&v, r, &part, NULL);
    CHECK(label_decide(r, &v, LABEL_DO_ACCEPT, &d, err) == -1);
    CHECK(strstr(err, "the model gave no conversational_trend_score") != NULL);
}

TEST(label_status_names_round_trip)
{
    for (int s = LABEL_ACCEPTED; s <= LABEL_SKIPPED; s++)
        CHECK(label_status_parse(label_status_name((label_status)s)) == (label_status)s);
    CHECK(label_status_parse("to review") == LABEL_NONE);
    CHECK(label_status_parse(NULL) == LABEL_NONE);
    CHECK(label_role_parse(label_role_name(LABEL_ROLE_ADJUDICATION)) == LABEL_ROLE_ADJUDICATION);
}

/* The reviewer's texts (issue 17): the status follows the scores; a
 * rationale is stored only when it is the reviewer's own. */
TEST(label_rationale_and_comment_decisions)
{
    const char *m = "Seller was quick.";
    CHECK(label_rationale_decide(LABEL_DO_SAVE, m, NULL) == NULL);
    CHECK(label_rationale_decide(LABEL_DO_SAVE, m, "  Seller was quick. \n") == NULL);
    CHECK(label_rationale_decide(LABEL_DO_ACCEPT, m, "   ") == NULL);
    const char *mine = "Replied after 9 hours.";
    CHECK(label_rationale_decide(LABEL_DO_ACCEPT, m, mine) == mine);
    CHECK(label_rationale_decide(LABEL_DO_SAVE, NULL, mine) == mine);
    CHECK(label_rationale_decide(LABEL_DO_SKIP, m, mine) == NULL);
    CHECK(label_comment_decide(NULL) == NULL);
    CHECK(label_comment_decide(" \t\n") == NULL);
    CHECK_STR(label_comment_decide("odd data"), "odd data");
}

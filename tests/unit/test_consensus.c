/* test_consensus.c: the consensus rule (core/consensus.h). */
#include "test.h"
#include "../../core/consensus.h"

/* A review label with the three default score fields and the overall. */
static consensus_label lab(const rubric *r, int64_t order, double a, double b,
                           double c)
{
    consensus_label l;
    memset(&l, 0, sizeof l);
    l.order = order;
    const char *names[] = {"responsiveness_score", "customer_negative_score",
                           "conversational_trend_score"};
    double v[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        int f = rubric_field_index(r, names[i]);
        l.scores.v[f] = v[i];
        l.scores.set[f] = 1;
    }
    int o = rubric_overall_index(r);
    rubric_overall_from(r, &l.scores, &l.scores.v[o]);
    l.scores.set[o] = 1;
    return l;
}

TEST(consensus_none_single_agreed)
{
    rubric *r = rubric_default_new();
    int f0 = rubric_field_index(r, "responsiveness_score");
    consensus_result c;
    consensus_decide(r, NULL, 0, 1.0, &c);
    CHECK(c.status == CONSENSUS_NONE);
    consensus_label l[3] = {lab(r, 1, 8, 2, 7), lab(r, 2, 7, 3, 6.5),
                            lab(r, 3, 0, 0, 0)};
    l[2].skipped = 1;                       /* a skip does not count */
    consensus_decide(r, l, 1, 1.0, &c);
    CHECK(c.status == CONSENSUS_SINGLE && c.n_labels == 1 && c.scores.v[f0] == 8);
    consensus_decide(r, l, 3, 1.0, &c);
    CHECK(c.status == CONSENSUS_AGREED && c.n_labels == 2);
    CHECK_NEAR(c.scores.v[f0], 7.5, 1e-9);
    CHECK_NEAR(c.scores.v[rubric_field_index(r, "conversational_trend_score")], 6.75, 1e-9);
    /* the overall is the mean of the overalls */
    int o = rubric_overall_index(r);
    CHECK_NEAR(c.scores.v[o], round((l[0].scores.v[o] + l[1].scores.v[o]) / 2 * 100) / 100, 1e-9);
    rubric_free(r);
}

TEST(consensus_tolerance_conflict_adjudication)
{
    rubric *r = rubric_default_new();
    consensus_result c;
    consensus_label l[3] = {lab(r, 1, 8, 2, 7), lab(r, 2, 8, 2, 5),
                            lab(r, 3, 3, 3, 3)};
    consensus_decide(r, l, 2, 1.0, &c);           /* trend 7 vs 5 */
    CHECK(c.status == CONSENSUS_CONFLICT);
    CHECK(c.worst_field == rubric_field_index(r, "conversational_trend_score"));
    CHECK_NEAR(c.worst_spread, 2, 1e-9);
    CHECK(!c.scores.set[0] && !c.scores.set[rubric_overall_index(r)]);
    /* the verdict per field: the spread, and which are beyond */
    int ft = rubric_field_index(r, "conversational_trend_score");
    int fr = rubric_field_index(r, "responsiveness_score");
    CHECK(c.spread.set[ft] && c.beyond[ft]);
    CHECK_NEAR(c.spread.v[ft], 2, 1e-9);
    CHECK(c.spread.set[fr] && !c.beyond[fr] && c.spread.v[fr] == 0);
    consensus_decide(r, l, 1, 1.0, &c);           /* one label: no spread */
    CHECK(!c.spread.set[ft] && !c.beyond[ft]);
    consensus_decide(r, l, 2, 2.0, &c);           /* exactly the tolerance */
    CHECK(c.status == CONSENSUS_AGREED);
    CHECK(c.spread.set[ft] && !c.beyond[ft]);
    l[2].role = CONSENSUS_ROLE_ADJUDICATION;
    consensus_decide(r, l, 3, 1.0, &c);
    CHECK(c.status == CONSENSUS_ADJUDICATED && c.scores.v[0 + rubric_field_index(r, "responsiveness_score")] == 3);
    CHECK(c.beyond[ft]);                          /* still shown to the lead */
    rubric_free(r);
}

#include "../../core/assign.h"

/* Six conversations, three reviewers, overlap 2: each reviewer gets four,
 * picks are least-loaded first with ties in list order, and an existing
 * assignee is not picked again. */
TEST(assign_pick_balanced_reproducible)
{
    int64_t load[3] = {0, 0, 0};
    unsigned char none[3] = {0, 0, 0};
    size_t out[3], plan[6][2];
    for (int c = 0; c < 6; c++) {
        CHECK(assign_pick(3, load, none, 2, out) == 2);
        plan[c][0] = out[0];
        plan[c][1] = out[1];
    }
    CHECK(load[0] == 4 && load[1] == 4 && load[2] == 4);
    CHECK(plan[0][0] == 0 && plan[0][1] == 1);   /* ties: list order */
    CHECK(plan[1][0] == 2 && plan[1][1] == 0);   /* 2 has least, then 0 */
    CHECK(plan[2][0] == 1 && plan[2][1] == 2);
    unsigned char taken[3] = {0, 1, 0};          /* 1 already has it */
    int64_t l2[3] = {5, 0, 5};
    CHECK(assign_pick(3, l2, taken, 2, out) == 2);
    CHECK(out[0] == 0 && out[1] == 2);
    unsigned char all[3] = {1, 1, 0};
    CHECK(assign_pick(3, l2, all, 2, out) == 1 && out[0] == 2);
}

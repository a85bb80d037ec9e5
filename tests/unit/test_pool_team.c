/* test_pool_team.c: several reviewers' labels in the pool's derived state
 * (data/pool_team.h): agreement gives the mean, a conflict has no human
 * label (so training and exports leave it out) until the labels agree
 * again, counts stay in step, and the tolerance is the pool's. */
#include "test.h"
#include "tpool.h"
#include "../../core/util.h"
#include "../../data/pool_int.h"
#include "../../data/pool_team.h"
#include "../../tui/app/team.h"

#include <sqlite3.h>
#include <stdlib.h>

static char *q(pool *p, const char *sql)
{
    (void)p;
    static char buf[512];
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s/t.db' \"%s\" > '%s/q.out'", test_tmpdir(), sql,
             test_tmpdir());
    if (test_sh("%s", cmd) != 0) return NULL;
    char path[600];
    snprintf(path, sizeof path, "%s/q.out", test_tmpdir());
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = 0;
    while (n && buf[n - 1] == '\n') buf[--n] = 0;
    return buf;
}

static int label3(pool *p, const rubric *r, const char *who, double a, double b,
                  double c, int64_t *id)
{
    char err[ERR_MAX];
    scoreset s = {0};
    const char *names[] = {"responsiveness_score", "customer_negative_score",
                           "conversational_trend_score"};
    double v[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        int f = rubric_field_index(r, names[i]);
        s.v[f] = v[i];
        s.set[f] = 1;
    }
    int rc = pool_add_label(p, r, "c1", who, LABEL_CORRECTED, &s, NULL, id, err);
    if (rc < 0) fprintf(stderr, "    %s\n", err);
    return rc;
}

/* conv_counts (kept by triggers) equals a recount of conversations */
#define COUNTS_AGREE \
    "SELECT (SELECT group_concat(status || ':' || n) FROM (SELECT status, sum(n) n" \
    " FROM conv_counts GROUP BY status HAVING sum(n) > 0 ORDER BY status)) IS" \
    " (SELECT group_concat(status || ':' || n) FROM (SELECT status, count(*) n" \
    " FROM conversations GROUP BY status ORDER BY status))"

TEST(pool_team_consensus_in_the_derived_state)
{
    char err[ERR_MAX];
    rubric *r = rubric_default_new();
    pool *p = tpool_open("t.db");
    CHECK(p);
    convo *c = convo_new("c1", "s");
    convo_add_msg(c, 1, "a", ROLE_CUSTOMER, "hi");
    CHECK(pool_put_convo(p, c, NULL, NULL, err) == 0);
    convo_free(c);
    int f0 = rubric_field_index(r, "responsiveness_score");
    int64_t ann, bob, bob2;
    CHECK(label3(p, r, "ann", 7, 3, 6, &ann) == 0);
    CHECK_STR(q(p, "SELECT status, consensus FROM conversations"), "2|1");
    /* bob agrees within 1.0: the mean */
    CHECK(label3(p, r, "bob", 8, 3, 6.5, &bob) == 0);
    CHECK_STR(q(p, "SELECT status, consensus, label_id FROM conversations"), "2|2|2");
    double mean;
    {
        label l;
        CHECK(pool_get_label(p, r, "c1", &l, err) == 1);
        CHECK(pool_team_adjust_label(p, r, "c1", &l.scores, err) == 1);
        CHECK_NEAR(l.scores.v[f0], 7.5, 1e-9);
        int o = rubric_overall_index(r);
        mean = l.scores.v[o];
        label_clear(&l);
    }
    char want[64];
    snprintf(want, sizeof want, "%.2f", mean);
    CHECK_STR(q(p, "SELECT printf('%.2f', human_overall) FROM conversations"), want);
    CHECK_STR(q(p, COUNTS_AGREE), "1");
    /* bob relabels far off: a conflict, no human label, out of training */
    CHECK(label3(p, r, "bob", 1, 9, 1, &bob2) == 0);
    CHECK_STR(q(p, "SELECT status, consensus, label_id IS NULL, human_overall IS NULL"
                   " FROM conversations"), "0|3|1|1");
    CHECK(pool_team_conflicts(p, err) == 1);
    {   /* the Conflicts tab's filter: its own index (INDEXED BY fails without) */
        pool_filter cf;
        CHECK(pool_filter_parse("conflict", &cf, err) == 0 && cf.kind == FILTER_CONFLICT);
        CHECK(pool_count(p, &cf, err) == 1);
        pool_row rows[2];
        CHECK(pool_list(p, &cf, 0, 2, rows, err) == 1);
        CHECK_STR(rows[0].id, "c1");
        pool_rows_clear(rows, 1);
        cf.sort = SORT_MODEL;
        CHECK(pool_list(p, &cf, 0, 2, rows, err) == 1);
        pool_rows_clear(rows, 1);
        cf.kind = FILTER_TO_REVIEW;                /* a conflict is to review again */
        CHECK(pool_count(p, &cf, err) == 0);       /* (unscored here: status 0) */
        /* the case a lead sees: both reviewers, the verdict per field */
        team_case tc;
        CHECK(team_case_open(p, r, "c1", &tc, err) == 0);
        CHECK(tc.n == 2 && !strcmp(tc.labels[0].reviewer, "ann") &&
              !strcmp(tc.labels[1].reviewer, "bob"));
        CHECK(tc.cons.status == CONSENSUS_CONFLICT && !tc.has_adjudication);
        CHECK_NEAR(tc.cons.spread.v[f0], 6, 1e-9);       /* 7 vs 1 */
        CHECK(tc.cons.beyond[f0]);
        team_case_clear(&tc);
        CHECK(team_case_open(p, r, "nope", &tc, err) == 0 && tc.n == 0);
        team_case_clear(&tc);
    }
    pool_example *ex;
    CHECK(pool_reviewed_examples(p, &ex, err) == 0);
    pool_examples_free(ex, 0);
    {
        label l;
        CHECK(pool_get_label(p, r, "c1", &l, err) == 1);       /* the history's latest */
        CHECK(pool_team_adjust_label(p, r, "c1", &l.scores, err) == 0);   /* no consensus */
        label_clear(&l);
    }
    CHECK_STR(q(p, COUNTS_AGREE), "1");
    /* a wider tolerance for this pool: they agree again */
    CHECK(pool_meta_set(p, "consensus_tolerance", "9", err) == 0);
    CHECK(pool_refresh_state(p, 1, err) == 0);
    CHECK_STR(q(p, "SELECT status, consensus FROM conversations"), "2|2");
    CHECK(pool_meta_set(p, "consensus_tolerance", NULL, err) == 0);
    CHECK(pool_refresh_state(p, 1, err) == 0);
    CHECK_STR(q(p, "SELECT consensus FROM conversations"), "3");
    /* bob's relabel undone: his first label counts again, they agree */
    pool_action ua;
    CHECK(pool_undo_last(p, "bob", "c1", 1, &ua, err) == 1);
    CHECK(ua.ref == bob2);
    pool_action_clear(&ua);
    CHECK_STR(q(p, "SELECT status, consensus FROM conversations"), "2|2");
    /* both skip: skipped */
    scoreset none = {0};
    CHECK(pool_add_label(p, r, "c1", "ann", LABEL_SKIPPED, &none, NULL, NULL, err) == 0);
    CHECK_STR(q(p, "SELECT status, consensus FROM conversations"), "2|1");   /* bob's alone */
    CHECK(pool_add_label(p, r, "c1", "bob", LABEL_SKIPPED, &none, NULL, NULL, err) == 0);
    CHECK_STR(q(p, "SELECT status, consensus FROM conversations"), "3|0");
    CHECK_STR(q(p, COUNTS_AGREE), "1");
    pool_close(p);
    rubric_free(r);
}

static int count_units(const pool_team_unit *u, void *ctx)
{
    size_t *n = ctx;
    *n += u->n;
    return 0;
}

/* Two leads settle one conflict: the second, who opened it before the
 * first saved, is asked (POOL_SUPERSEDES, nothing written), as a second
 * reviewer is; an undo of an adjudication says so; and a re-import that
 * changes the conversation leaves its labels out of the units, as it
 * does of the consensus. */
TEST(pool_team_adjudication_supersede_undo_stale)
{
    char err[ERR_MAX];
    rubric *r = rubric_default_new();
    pool *p = tpool_open("t.db");
    CHECK(p);
    convo *c = convo_new("c1", "s");
    convo_add_msg(c, 1, "a", ROLE_CUSTOMER, "hi");
    CHECK(pool_put_convo(p, c, NULL, NULL, err) == 0);
    CHECK(label3(p, r, "ann", 9, 1, 9, NULL) == 0);
    CHECK(label3(p, r, "bob", 1, 9, 1, NULL) == 0);
    CHECK_STR(q(p, "SELECT consensus FROM conversations"), "3");
    int64_t seen = pool_newest_label_id(p, "c1", err);   /* both leads open it */
    CHECK(seen > 0);
    team_set set = {rubric_field_index(r, "responsiveness_score"), 5};
    int64_t l1 = 0, l2 = 0;
    CHECK(team_adjudicate(p, r, "lead1", "c1", "ann", &set, 1, NULL, seen, &l1, err) == 0);
    CHECK(team_adjudicate(p, r, "lead2", "c1", "bob", &set, 1, NULL, seen, &l2, err)
          == POOL_SUPERSEDES);
    CHECK_MSG(strstr(err, "lead1 adjudicated 'c1'") != NULL, "%s", err);
    CHECK_STR(q(p, "SELECT count(*) FROM labels WHERE role = 'adjudication'"), "1");
    /* asked and answered yes: saved, the latest adjudication decides */
    CHECK(team_adjudicate(p, r, "lead2", "c1", "bob", &set, 1, NULL, -1, &l2, err) == 0);
    CHECK(l2 > l1);
    CHECK_STR(q(p, "SELECT consensus FROM conversations"), "4");
    pool_action ua;
    CHECK(pool_undo_last(p, "lead2", NULL, 0, &ua, err) == 1);
    CHECK(ua.ref == l2 && ua.role == LABEL_ROLE_ADJUDICATION);
    pool_action_clear(&ua);
    CHECK(pool_undo_last(p, "lead1", NULL, 0, &ua, err) == 1);
    pool_action_clear(&ua);
    CHECK_STR(q(p, "SELECT consensus FROM conversations"), "3");
    /* re-import with other content: both labels stale, no units, no conflict */
    size_t n = 0;
    CHECK(pool_team_each_unit(p, r, count_units, &n, err) == 0);
    CHECK(n == 2);
    convo_add_msg(c, 2, "b", ROLE_SELLER, "hello");
    int changed = 0;
    CHECK(pool_put_convo(p, c, NULL, &changed, err) == 0);
    CHECK(changed == 1);
    convo_free(c);
    n = 0;
    CHECK(pool_team_each_unit(p, r, count_units, &n, err) == 0);
    CHECK(n == 0);
    CHECK_STR(q(p, "SELECT consensus FROM conversations"), "0");
    pool_close(p);
    rubric_free(r);
}

/* test_review_bulk.c: bulk accept (tui/app/review_bulk.h), its batch and
 * one undo, the filter language's new terms, and exports of a view, on
 * real SQLite files. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "tpool.h"
#include "../../core/util.h"
#include "../../data/export_pool.h"
#include "../../data/pool_team.h"
#include "../../tui/app/review.h"
#include "../../tui/app/review_bulk.h"

#include <sqlite3.h>
#include <stdlib.h>

static const rubric *rub(void)
{
    static rubric *r;
    if (!r) r = rubric_default_new();
    return r;
}

static void put(pool *p, const char *id, const char *seller)
{
    char err[ERR_MAX];
    convo *c = convo_new(id, seller);
    convo_add_msg(c, 1700000000, "Ana", ROLE_CUSTOMER, "hello there");
    if (pool_put_convo(p, c, "t", NULL, err) < 0) fprintf(stderr, "%s\n", err);
    convo_free(c);
}

static scoreset scores4(double a, double b, double c, double ov)
{
    const rubric *r = rub();
    scoreset s;
    memset(&s, 0, sizeof s);
    const char *names[4] = {"responsiveness_score", "customer_negative_score",
                            "conversational_trend_score", "overall_seller_score"};
    double v[4] = {a, b, c, ov};
    for (int i = 0; i < 4; i++) {
        int fi = rubric_field_index(r, names[i]);
        s.v[fi] = v[i];
        s.set[fi] = 1;
    }
    return s;
}

static void predict(pool *p, const char *id, const char *status, double ov)
{
    char err[ERR_MAX];
    prediction pr = {0};
    pr.scores = scores4(7, 5, 5.5, ov);
    pr.status = (char *)status;
    pr.model = "m";
    if (pool_put_prediction(p, rub(), id, &pr, NULL, err) < 0)
        fprintf(stderr, "%s\n", err);
}

static int64_t count(pool *p, const char *sql)
{
    sqlite3 *db;
    int64_t n = -1;
    if (sqlite3_open(pool_path(p), &db) != SQLITE_OK) return -1;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return n;
}

/* Every row of sql, columns joined by '|', rows by '\n' (caller frees). */
static char *dump_new(pool *p, const char *sql)
{
    sqlite3 *db;
    sbuf b = {0};
    sbuf_add(&b, "");
    if (sqlite3_open(pool_path(p), &db) != SQLITE_OK) return sbuf_take(&b);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            for (int i = 0; i < sqlite3_column_count(s); i++) {
                const unsigned char *t = sqlite3_column_text(s, i);
                sbuf_addf(&b, "%s%s", i ? "|" : "", t ? (const char *)t : "NULL");
            }
            sbuf_addc(&b, '\n');
        }
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return sbuf_take(&b);
}

/* c1..c4 ok predictions, c5 failed only, c6 partial, c7 unscored, c8 ok
 * but ann skipped it, c9 ok but bob and cy conflict, c10 ok and labeled
 * by bob alone (a second opinion is fine). */
static pool *seed(const char *name)
{
    pool *p = tpool_open(name);
    if (!p) return NULL;
    char err[ERR_MAX], id[16];
    for (int i = 1; i <= 10; i++) {
        snprintf(id, sizeof id, "c%d", i);
        put(p, id, i % 2 ? "S-1" : "S-2");
    }
    for (int i = 1; i <= 4; i++) {
        snprintf(id, sizeof id, "c%d", i);
        predict(p, id, "ok", 5 + i);
    }
    predict(p, "c5", "failed", 0);
    predict(p, "c6", "partial", 4);
    predict(p, "c8", "ok", 6);
    predict(p, "c9", "ok", 6);
    predict(p, "c10", "ok", 6);
    pool_add_label(p, rub(), "c8", "ann", LABEL_SKIPPED, NULL, NULL, NULL, err);
    scoreset lo = scores4(1, 9, 1, 1), hi = scores4(9, 1, 9, 9);
    pool_add_label(p, rub(), "c9", "bob", LABEL_CORRECTED, &lo, NULL, NULL, err);
    pool_add_label(p, rub(), "c9", "cy", LABEL_CORRECTED, &hi, NULL, NULL, err);
    scoreset same = scores4(7, 5, 5.5, 6);     /* agrees with the model */
    pool_add_label(p, rub(), "c10", "bob", LABEL_CORRECTED, &same, NULL, NULL, err);
    return p;
}

#define LABEL_ROWS "SELECT c.id, l.reviewer, l.role, l.status, l.scores, " \
    "l.overall, l.note, l.rationale, l.comment, l.pred_id, l.run_id, " \
    "l.content_hash, l.undone_at IS NULL FROM labels l JOIN conversations c" \
    " USING(cid) ORDER BY c.id, l.reviewer"
#define STATE_ROWS "SELECT id, status, human_overall, diff, fdiff, edge," \
    " consensus FROM conversations ORDER BY id"

TEST(bulk_plan_says_why_the_others_are_left_alone)
{
    pool *p = seed("bp.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    pool_filter f;
    pool_filter_parse("all", &f, err);
    review_bulk_plan pl;
    CHECK_MSG(review_bulk_plan_make(p, rub(), "ann", &f, &pl, err) == 0, "%s", err);
    CHECK(pl.matched == 10);
    CHECK(pl.n[BULK_ACCEPT] == 5);          /* c1-c4, c10 */
    CHECK(pl.n[BULK_NO_PREDICTION] == 1);   /* c7 */
    CHECK(pl.n[BULK_NOT_OK] == 2);          /* c5 failed, c6 partial */
    CHECK(pl.n[BULK_OWN_LABEL] == 1);       /* c8 skipped by ann */
    CHECK(pl.n[BULK_CONFLICT] == 1);        /* c9 */
    CHECK(pl.nsample == 5);
    CHECK_STR(pl.sample[0].id, "c1");
    CHECK(pl.sample[0].has);
    CHECK_NEAR(pl.sample[0].overall, 6, 1e-9);
    sbuf t = {0};
    review_bulk_plan_text(&pl, &t);
    CHECK_MSG(strstr(t.s, "view: all (10 conversations)") &&
              strstr(t.s, "to accept: 5") &&
              strstr(t.s, "left alone: 1 in conflict between reviewers") &&
              strstr(t.s, "c1  model overall 6.00"), "%s", t.s);
    sbuf_free(&t);
    review_bulk_plan_clear(&pl);
    /* a preview writes nothing */
    CHECK(count(p, "SELECT count(*) FROM labels") == 4);
    CHECK(count(p, "SELECT count(*) FROM batches") == 0);
    pool_close(p);
}

/* The acceptance rule: bulk accept stores exactly the rows one-by-one
 * accepts of the same conversations store (apart from ids, uids and
 * times), and the same derived state. */
TEST(bulk_accept_rows_equal_one_by_one_accepts)
{
    pool *a = seed("ba.db"), *b = seed("bb.db");
    CHECK(a != NULL && b != NULL);
    char err[ERR_MAX];
    pool_filter f;
    pool_filter_parse("all", &f, err);
    review_bulk_result res;
    CHECK_MSG(review_bulk_accept(a, rub(), "ann", &f, NULL, NULL, &res, err) == 0,
              "%s", err);
    CHECK(res.batch > 0 && res.n[BULK_ACCEPT] == 5 && res.matched == 10);
    const char *ids[] = {"c1", "c2", "c3", "c4", "c10"};
    for (int i = 0; i < 5; i++) {
        review_item it;
        review_saved sv;
        CHECK(review_open(b, rub(), "ann", ids[i], &it, err) == 0);
        CHECK_MSG(review_save(b, rub(), "ann", &it, LABEL_DO_ACCEPT, NULL, 0, &sv,
                              err) == 0, "%s", err);
        review_item_clear(&it);
    }
    char *la = dump_new(a, LABEL_ROWS), *lb = dump_new(b, LABEL_ROWS);
    CHECK_STR(la, lb);
    CHECK(strstr(la, "c10|ann|review|accepted|") != NULL);
    free(la);
    free(lb);
    char *sa = dump_new(a, STATE_ROWS), *sb = dump_new(b, STATE_ROWS);
    CHECK_STR(sa, sb);
    free(sa);
    free(sb);
    /* one batch holds the five journal rows */
    CHECK(count(a, "SELECT n FROM batches") == 5);
    CHECK(count(a, "SELECT count(*) FROM actions WHERE batch IS NOT NULL") == 5);
    CHECK(count(b, "SELECT count(*) FROM actions WHERE batch IS NOT NULL") == 0);
    /* again: nothing left to accept, and no empty batch */
    CHECK(review_bulk_accept(a, rub(), "ann", &f, NULL, NULL, &res, err) == 0);
    CHECK(res.batch == 0 && res.n[BULK_ACCEPT] == 0 && res.n[BULK_OWN_LABEL] == 6);
    CHECK(count(a, "SELECT count(*) FROM batches") == 1);
    pool_close(a);
    pool_close(b);
}

TEST(bulk_undo_reverts_the_whole_batch_once)
{
    pool *p = seed("bu.db");
    CHECK(p != NULL);
    char err[ERR_MAX], what[ERR_MAX];
    char *before = dump_new(p, STATE_ROWS);
    pool_filter f;
    pool_filter_parse("all", &f, err);
    pool_filter_add("seller=S-2", &f, err);      /* c2, c4, c10 */
    review_bulk_result res;
    CHECK(review_bulk_accept(p, rub(), "ann", &f, NULL, NULL, &res, err) == 0);
    CHECK(res.n[BULK_ACCEPT] == 3);
    CHECK(review_edge(p, "ann", "c7", 1, NULL, err) == 0);
    pool_action a;
    /* the later edge mark first, then the batch whole */
    CHECK(review_undo(p, "ann", NULL, 0, &a, what, err) == 1);
    CHECK(a.kind == ACTION_EDGE_MARK && a.batch == 0);
    pool_action_clear(&a);
    CHECK(review_undo(p, "ann", NULL, 0, &a, what, err) == 1);
    CHECK(a.batch == res.batch && a.batch_n == 3);
    char want[ERR_MAX];
    snprintf(want, sizeof want, "undone: the whole batch #%lld, 3 actions "
             "(all, seller S-2)", (long long)res.batch);
    CHECK_STR(what, want);
    pool_action_clear(&a);
    char *after = dump_new(p, STATE_ROWS);
    CHECK_STR(after, before);
    free(after);
    CHECK(count(p, "SELECT count(*) FROM labels WHERE reviewer = 'ann' AND"
                   " undone_at IS NULL") == 1);            /* the c8 skip */
    CHECK(count(p, "SELECT count(*) FROM actions WHERE kind = 'undo'") == 4);
    /* the next undo is ann's earlier skip, not more of the batch */
    CHECK(review_undo(p, "ann", NULL, 0, &a, what, err) == 1);
    CHECK(a.kind == ACTION_SKIP && a.batch == 0);
    snprintf(want, sizeof want, "undone: skipped label #%lld of c8", (long long)a.ref);
    CHECK_STR(what, want);
    pool_action_clear(&a);
    /* On one conversation (label ID --undo): only its part of a batch. */
    CHECK(review_bulk_accept(p, rub(), "ann", &f, NULL, NULL, &res, err) == 0);
    CHECK(review_undo(p, "ann", "c4", 1, &a, what, err) == 1);
    CHECK(a.batch == res.batch && a.batch_n == 0);
    snprintf(want, sizeof want, "undone: accepted label #%lld of c4 (one of "
             "batch #%lld; the rest stays)", (long long)a.ref, (long long)res.batch);
    CHECK_STR(what, want);
    pool_action_clear(&a);
    CHECK(count(p, "SELECT count(*) FROM conversations WHERE status = 2 AND"
                   " id IN ('c2', 'c10')") == 2);
    CHECK(count(p, "SELECT status FROM conversations WHERE id = 'c4'") == 1);
    free(before);
    pool_close(p);
}

static int cancel_at_2(void *ctx, int64_t done, int64_t total)
{
    (void)ctx;
    (void)total;
    return done >= 2;
}

TEST(bulk_accept_cancelled_or_failed_stores_nothing)
{
    pool *p = seed("bc.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    char *before = dump_new(p, LABEL_ROWS);
    int64_t actions = count(p, "SELECT count(*) FROM actions");
    pool_filter f;
    pool_filter_parse("all", &f, err);
    review_bulk_result res;
    CHECK(review_bulk_accept(p, rub(), "ann", &f, cancel_at_2, NULL, &res, err) == -1);
    CHECK_STR(err, "cancelled: nothing was accepted");
    CHECK(res.batch == 0 && res.n[BULK_ACCEPT] == 0);
    char *after = dump_new(p, LABEL_ROWS);
    CHECK_STR(after, before);
    free(after);
    CHECK(count(p, "SELECT count(*) FROM batches") == 0);
    CHECK(count(p, "SELECT count(*) FROM actions") == actions);
    /* the connection is usable and batch-free afterwards */
    CHECK(review_edge(p, "ann", "c1", 1, NULL, err) == 0);
    CHECK(count(p, "SELECT count(*) FROM actions WHERE batch IS NOT NULL") == 0);
    /* no reviewer: refused before anything */
    CHECK(review_bulk_accept(p, rub(), "", &f, NULL, NULL, &res, err) == -1);
    free(before);
    pool_close(p);
}

static int64_t listed(pool *p, const pool_filter *f)
{
    char err[ERR_MAX];
    pool_row rows[64];
    int n = pool_list(p, f, 0, 64, rows, err);
    if (n > 0) pool_rows_clear(rows, n);
    return n;
}

TEST(filter_terms_combine_and_count_what_they_list)
{
    pool *p = seed("ft.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    pool_filter f;
    CHECK(pool_filter_parse("reviewer=bob", &f, err) == 0);
    CHECK(listed(p, &f) == 2 && pool_count(p, &f, err) == 2);   /* c9, c10 */
    CHECK(pool_filter_add("seller=S-2", &f, err) == 0);
    CHECK(listed(p, &f) == 1 && pool_count(p, &f, err) == 1);   /* c10 */
    /* a reviewer's skip is not "labeled by" */
    CHECK(pool_filter_parse("reviewer=ann", &f, err) == 0);
    CHECK(listed(p, &f) == 0 && pool_count(p, &f, err) == 0);
    /* dates: the labels were made now */
    CHECK(pool_filter_parse("since=2001-01-01", &f, err) == 0);
    CHECK(f.since == 978307200);
    CHECK(listed(p, &f) == 2);          /* current labels: c10, c8 (skip); c9 in conflict has none */
    CHECK(pool_filter_add("until=2001-01-31", &f, err) == 0);
    CHECK(f.until == 978307200 + 31 * 86400 - 1);
    CHECK(listed(p, &f) == 0 && pool_count(p, &f, err) == 0);
    CHECK(pool_filter_parse("reviewer=cy", &f, err) == 0);
    CHECK(pool_filter_add("since=2001-01-01T00:00:00Z", &f, err) == 0);
    CHECK(listed(p, &f) == 1 && pool_count(p, &f, err) == 1);   /* c9 */
    /* refused: a second tab, a term twice, a bad date, an empty value */
    CHECK(pool_filter_parse("reviewed", &f, err) == 0);
    CHECK(pool_filter_add("edge", &f, err) == -1);
    CHECK_MSG(strstr(err, "--filter edge: only one of the tabs") != NULL, "%s", err);
    CHECK(pool_filter_add("reviewed", &f, err) == 0);          /* the same again */
    CHECK(pool_filter_add("seller=A", &f, err) == 0);
    CHECK(pool_filter_add("seller=B", &f, err) == -1);
    CHECK_MSG(strstr(err, "seller is given twice") != NULL, "%s", err);
    CHECK(pool_filter_add("since=2026-02-30", &f, err) == -1);
    CHECK_MSG(strstr(err, "'2026-02-30' is not a date") != NULL, "%s", err);
    CHECK(pool_filter_add("reviewer=", &f, err) == -1);
    CHECK(pool_filter_add("until=2000-01-01", &f, err) == 0);
    CHECK(pool_filter_add("since=2001-01-01", &f, err) == -1);
    CHECK_MSG(strstr(err, "ends before it starts") != NULL, "%s", err);
    CHECK(pool_filter_parse("scoredx", &f, err) == -1);
    CHECK_MSG(strstr(err, "expected one of to-review, reviewed") != NULL, "%s", err);
    /* in words */
    CHECK(pool_filter_parse("disagree:1.5", &f, err) == 0);
    pool_filter_add("reviewer=bob", &f, err);
    pool_filter_add("since=2026-03-01", &f, err);
    f.search = "tour";
    sbuf w = {0};
    pool_filter_describe(&f, &w);
    CHECK_STR(w.s, "disagreements of 1.5 or more, labeled by bob, labeled from "
                   "2026-03-01T00:00:00Z, search \"tour\"");
    sbuf_free(&w);
    pool_close(p);
}

/* A search in the All tab under an assignment: the count is of the
 * assigned matches, as the list is (it was every match). */
TEST(filter_count_of_a_search_keeps_the_other_terms)
{
    pool *p = seed("fc.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    CHECK(pool_team_assign(p, "c1", "ann", err) == 0);
    CHECK(pool_team_assign(p, "c2", "ann", err) == 0);
    pool_filter f;
    pool_filter_parse("all", &f, err);
    f.search = "hello";
    f.assigned_to = "ann";
    CHECK(pool_search_index(p, NULL, NULL, err) >= 0);
    CHECK(listed(p, &f) == 2);
    CHECK(pool_count(p, &f, err) == 2);
    pool_close(p);
}

TEST(export_view_is_the_labeled_conversations_of_the_view)
{
    pool *p = seed("ev.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    pool_filter f;
    pool_filter_parse("all", &f, err);
    pool_filter_add("seller=S-2", &f, err);
    review_bulk_result res;
    CHECK(review_bulk_accept(p, rub(), "ann", &f, NULL, NULL, &res, err) == 0);
    pool_filter_parse("reviewer=ann", &f, err);
    export_pool_opts o = {.sel = EXPORT_VIEW, .view = &f};
    sbuf out = {0};
    int n = 0, skipped = 0;
    CHECK_MSG(export_pool_examples(p, rub(), &o, &out, &n, &skipped, err) == 0,
              "%s", err);
    CHECK(n == 3 && skipped == 0);
    CHECK(strstr(out.s, "\"conversation_id\":\"c2\"") &&
          strstr(out.s, "\"conversation_id\":\"c4\"") &&
          strstr(out.s, "\"conversation_id\":\"c10\""));
    sbuf_free(&out);
    /* a view with unlabeled ones counts them out */
    pool_filter_parse("seller=S-1", &f, err);
    n = skipped = 0;
    CHECK(export_pool_examples(p, rub(), &o, &out, &n, &skipped, err) == 0);
    CHECK(n == 0 && skipped == 5);     /* c9 conflicts: no current label */
    sbuf_free(&out);
    pool_close(p);
}

/* A pool of schema 11 (no batches, no actions.batch) upgrades on open:
 * its journal keeps working and a bulk accept is one batch. */
TEST(bulk_pool_of_schema_11_gets_batches)
{
    pool *p = seed("v11.db");
    CHECK(p != NULL);
    char err[ERR_MAX], path[512];
    snprintf(path, sizeof path, "%s", pool_path(p));
    pool_close(p);
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "DROP INDEX actions_batch; ALTER TABLE actions DROP"
                       " COLUMN batch; DROP TABLE batches; PRAGMA user_version"
                       " = 11;", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    p = pool_open(path, err);
    CHECK_MSG(p != NULL, "%s", err);
    CHECK(count(p, "PRAGMA user_version") == POOL_SCHEMA_VERSION);
    CHECK(count(p, "SELECT count(*) FROM pragma_table_info('actions') WHERE"
                   " name = 'batch'") == 1);
    pool_filter f;
    pool_filter_parse("all", &f, err);
    review_bulk_result res;
    CHECK_MSG(review_bulk_accept(p, rub(), "ann", &f, NULL, NULL, &res, err) == 0,
              "%s", err);
    CHECK(res.n[BULK_ACCEPT] == 5);
    pool_action a;
    char what[ERR_MAX];
    CHECK(review_undo(p, "ann", NULL, 0, &a, what, err) == 1);
    CHECK(a.batch_n == 5);
    pool_action_clear(&a);
    pool_close(p);
}

/* A window of one list is never read from where another list's last
 * window was (the anchor): a list under an assignment after the same
 * list without one (the queue's a), or another reviewer's. */
TEST(filter_window_of_another_assignment_is_its_own)
{
    pool *p = tpool_open("fw.db");
    CHECK(p != NULL);
    char err[ERR_MAX], id[16];
    for (int i = 0; i < 30; i++) {
        snprintf(id, sizeof id, "c%02d", i);
        put(p, id, "S-1");
        if (i % 3 == 0) CHECK(pool_team_assign(p, id, "ann", err) == 0);
    }
    pool_filter f;
    pool_filter_parse("all", &f, err);
    pool_row rows[5];
    CHECK(pool_list(p, &f, 3, 5, rows, err) == 5);
    CHECK_STR(rows[0].id, "c03");
    pool_rows_clear(rows, 5);
    f.assigned_to = "ann";          /* c00 c03 c06 c09 c12 ... */
    CHECK(pool_list(p, &f, 3, 2, rows, err) == 2);
    CHECK_STR(rows[0].id, "c09");
    CHECK_STR(rows[1].id, "c12");
    pool_rows_clear(rows, 2);
    f.assigned_to = NULL;
    f.reviewer = "bob";             /* nobody's labels: nothing */
    CHECK(pool_list(p, &f, 0, 5, rows, err) == 0);
    pool_close(p);
}

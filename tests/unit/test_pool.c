/* test_pool.c: the pool API on real SQLite files. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "tpool.h"
#include "../../core/util.h"
#include "../../data/pool.h"

#include <stdlib.h>
#include <sys/stat.h>

static pool *fresh(const rubric **rr)
{
    pool *p = tpool_open("p.db");
    static rubric *r;
    if (!r) r = rubric_default_new();
    *rr = r;
    return p;
}

static convo *mk(const char *id, int n)
{
    convo *c = convo_new(id, "S-1");
    for (int i = 0; i < n; i++)
        convo_add_msg(c, 1700000000 + i * 60, i % 2 ? "Ana" : "John",
                      i % 2 ? ROLE_SELLER : ROLE_CUSTOMER,
                      i == 0 ? "Hi, is the Lisbon tour available?" : "ok 👍");
    return c;
}

TEST(pool_creates_0600_and_migrates)
{
    const rubric *r;
    pool *p = fresh(&r);
    CHECK(p != NULL);
    struct stat st;
    CHECK(stat(pool_path(p), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    pool_close(p);
    char err[ERR_MAX];
    CHECK(test_sh("sqlite3 '%s/p.db' 'PRAGMA user_version' | grep -qx %d", test_tmpdir(),
                  POOL_SCHEMA_VERSION) == 0);
    CHECK(test_sh("sqlite3 '%s/p.db' 'PRAGMA journal_mode' | grep -qx wal", test_tmpdir()) == 0);
    /* A pool from a newer curate is refused and left alone. */
    CHECK(test_sh("sqlite3 '%s/p.db' 'PRAGMA user_version=99'", test_tmpdir()) == 0);
    char path[512];
    snprintf(path, sizeof path, "%s/p.db", test_tmpdir());
    p = pool_open(path, err);
    CHECK(p == NULL);
    CHECK(strstr(err, "newer curate") != NULL);
}

TEST(pool_rejects_non_sqlite)
{
    char err[ERR_MAX];
    const char *path = test_write_file("junk.db", "this is not a database at all, just text............................................................................................");
    pool *p = pool_open(path, err);
    CHECK(p == NULL);
    CHECK_MSG(strstr(err, "junk.db") != NULL, "%s", err);
}

TEST(pool_put_get_convo_idempotent)
{
    const rubric *r;
    pool *p = fresh(&r);
    char err[ERR_MAX];
    convo *c = mk("c1", 5);
    int changed = -1;
    CHECK(pool_put_convo(p, c, "t", &changed, err) == 0);
    CHECK(changed == 2);
    CHECK(pool_put_convo(p, c, "t", &changed, err) == 0);
    CHECK(changed == 0);
    convo_add_msg(c, 1700009999, "Ana", ROLE_SELLER, "one more");
    CHECK(pool_put_convo(p, c, "t", &changed, err) == 0);
    CHECK(changed == 1);
    convo *back = pool_get_convo_new(p, "c1", err);
    CHECK(back != NULL);
    CHECK(back->nmsgs == 6);
    CHECK_STR(back->msgs[0].text, "Hi, is the Lisbon tour available?");
    CHECK_STR(back->msgs[5].text, "one more");
    CHECK(back->msgs[1].role == ROLE_SELLER);
    CHECK(back->msgs[1].ts == 1700000060);
    convo_free(back);
    convo_free(c);
    CHECK(pool_get_convo_new(p, "nope", err) == NULL);
    CHECK(strstr(err, "no conversation 'nope'") != NULL);
    pool_close(p);
}

TEST(pool_rollback_stores_nothing)
{
    const rubric *r;
    pool *p = fresh(&r);
    char err[ERR_MAX];
    CHECK(pool_begin(p, err) == 0);
    convo *c = mk("r1", 3);
    CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
    convo_free(c);
    pool_rollback(p);
    CHECK(!pool_has_convo(p, "r1"));
    pool_close(p);
}

TEST(pool_predictions_labels_state)
{
    const rubric *r;
    pool *p = fresh(&r);
    char err[ERR_MAX];
    convo *c = mk("c1", 4);
    CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
    convo_free(c);
    pool_filter f;
    pool_filter_parse("unscored", &f, err);
    CHECK(pool_count(p, &f, err) == 1);
    int64_t run;
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &run, err) == 0);
    prediction pr = {0};
    pr.scores.v[2] = 8; pr.scores.set[2] = 1;
    pr.scores.v[3] = 2; pr.scores.set[3] = 1;
    pr.scores.v[4] = 7; pr.scores.set[4] = 1;
    pr.scores.v[5] = 7.9; pr.scores.set[5] = 1;
    pr.status = "ok"; pr.model = "m"; pr.run_id = run; pr.raw = "raw text";
    CHECK(pool_put_prediction(p, r, "c1", &pr, NULL, err) == 0);
    pool_filter_parse("to-review", &f, err);
    CHECK(pool_count(p, &f, err) == 1);
    prediction got;
    CHECK(pool_get_prediction(p, r, "c1", 0, &got, err) == 1);
    CHECK(got.scores.v[5] == 7.9 && got.run_id == run);
    CHECK_STR(got.raw, "raw text");
    prediction_clear(&got);

    scoreset h = {0};
    h.v[2] = 4; h.set[2] = 1; h.v[3] = 6; h.set[3] = 1; h.v[4] = 3; h.set[4] = 1;
    int64_t l1, l2;
    CHECK(pool_add_label(p, r, "c1", "alice", LABEL_CORRECTED, &h, "slow", &l1, err) == 0);
    label l;
    CHECK(pool_get_label(p, r, "c1", &l, err) == 1);
    CHECK(l.id == l1);
    CHECK_NEAR(l.scores.v[5], 0.4 * 4 + 0.3 * 4 + 0.3 * 3, 1e-9);
    CHECK_STR(l.note, "slow");
    label_clear(&l);
    pool_row rows[4];
    pool_filter_parse("reviewed", &f, err);
    CHECK(pool_list(p, &f, 0, 4, rows, err) == 1);
    CHECK(rows[0].status == CONV_REVIEWED);
    CHECK(rows[0].has_model && rows[0].has_human);
    pool_rows_clear(rows, 1);
    pool_filter_parse("disagree:3", &f, err);
    CHECK(pool_count(p, &f, err) == 1);   /* 7.9 vs 3.7 */

    /* Append-only: a second reviewer's edit and an undo keep history;
     * each undoes only their own. */
    h.v[2] = 5;
    CHECK(pool_add_label(p, r, "c1", "bob", LABEL_CORRECTED, &h, NULL, &l2, err) == 0);
    pool_action a;
    CHECK(pool_undo_last(p, "bob", NULL, 0, &a, err) == 1);
    CHECK(a.kind == ACTION_LABEL && a.ref == l2 && a.status == LABEL_CORRECTED);
    CHECK_STR(a.conv_id, "c1");
    pool_action_clear(&a);
    CHECK(pool_get_label(p, r, "c1", &l, err) == 1);
    CHECK(l.id == l1);
    CHECK_STR(l.reviewer, "alice");
    label_clear(&l);
    CHECK(pool_undo_last(p, "bob", NULL, 0, &a, err) == 0);
    CHECK(pool_undo_last(p, "alice", NULL, 0, &a, err) == 1);
    CHECK(a.ref == l1);
    pool_action_clear(&a);
    CHECK(pool_get_label(p, r, "c1", &l, err) == 0);
    pool_filter_parse("to-review", &f, err);
    CHECK(pool_count(p, &f, err) == 1);
    CHECK(test_sh("sqlite3 '%s' 'SELECT count(*) FROM labels' | grep -qx 2", pool_path(p)) == 0);

    CHECK(pool_add_label(p, r, "c1", "alice", (label_status)99, &h, NULL, NULL, err) == -1);
    CHECK(pool_add_label(p, r, "zz", "alice", LABEL_ACCEPTED, &h, NULL, NULL, err) == -1);
    CHECK(strstr(err, "no conversation 'zz'") != NULL);
    pool_close(p);
}

TEST(pool_edge_marks)
{
    const rubric *r;
    pool *p = fresh(&r);
    char err[ERR_MAX], *note;
    convo *c = mk("e1", 2);
    CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
    convo_free(c);
    CHECK(pool_get_edge(p, "e1", &note, err) == 0);
    CHECK(note == NULL);
    CHECK(pool_set_edge(p, "e1", "alice", 1, "angry but fast", err) == 0);
    CHECK(pool_get_edge(p, "e1", &note, err) == 1);
    CHECK_STR(note, "angry but fast");
    free(note);
    pool_filter f;
    pool_filter_parse("edge", &f, err);
    CHECK(pool_count(p, &f, err) == 1);
    CHECK(pool_set_edge(p, "e1", "alice", 0, NULL, err) == 0);
    CHECK(pool_count(p, &f, err) == 0);
    CHECK(pool_set_edge(p, "nope", "alice", 1, NULL, err) == -1);
    pool_close(p);
}

TEST(pool_list_window_sort_search)
{
    const rubric *r;
    pool *p = fresh(&r);
    char err[ERR_MAX];
    CHECK(pool_begin(p, err) == 0);
    for (int i = 0; i < 30; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%02d", i);
        convo *c = mk(id, 1 + i % 7);
        if (i == 17) convo_add_msg(c, 1700001000, "John", ROLE_CUSTOMER, "50% refund_please");
        CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
        convo_free(c);
    }
    CHECK(pool_commit(p, err) == 0);
    pool_filter f;
    pool_filter_parse("all", &f, err);
    pool_row rows[10];
    CHECK(pool_list(p, &f, 10, 10, rows, err) == 10);
    CHECK_STR(rows[0].id, "c10");
    pool_rows_clear(rows, 10);
    f.sort = SORT_MESSAGES; f.desc = 1;
    CHECK(pool_list(p, &f, 0, 10, rows, err) == 10);
    CHECK(rows[0].nmsgs == 7);   /* c06, c13, c20, c27: 1 + 6 */
    CHECK_STR(rows[0].id, "c27");
    pool_rows_clear(rows, 10);
    f.sort = SORT_ID; f.desc = 0;
    f.search = "refund_";
    CHECK(pool_count(p, &f, err) == 1);
    f.search = "50%";
    CHECK(pool_list(p, &f, 0, 10, rows, err) == 1);
    CHECK_STR(rows[0].id, "c17");
    pool_rows_clear(rows, 1);
    f.search = "_";   /* literal underscore, not a wildcard */
    CHECK(pool_count(p, &f, err) == 1);
    CHECK(pool_filter_parse("disagree:x", &f, err) == -1);
    CHECK(pool_filter_parse("weird", &f, err) == -1);
    pool_close(p);
}

TEST(pool_stats_histogram_programs_cache)
{
    const rubric *r;
    pool *p = fresh(&r);
    char err[ERR_MAX];
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "s%d", i);
        convo *c = mk(id, 3);
        CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
        convo_free(c);
        prediction pr = {0};
        for (int k = 2; k <= 4; k++) { pr.scores.v[k] = 7 + i * 0.5; pr.scores.set[k] = 1; }
        pr.status = "ok";
        CHECK(pool_put_prediction(p, r, id, &pr, NULL, err) == 0);
        if (i < 2) {
            scoreset h = {0};
            for (int k = 2; k <= 4; k++) { h.v[k] = 2 + i; h.set[k] = 1; }
            CHECK(pool_add_label(p, r, id, "a", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
        }
    }
    pool_stats st;
    CHECK(pool_get_stats(p, r, 0, NULL, &st, err) == 0);
    CHECK(st.conversations == 4 && st.messages == 12 && st.scored == 4 && st.reviewed == 2);
    CHECK(st.reviewed_today == 2);
    /* A skip is not a review: neither in "total reviewed" nor today. */
    {
        scoreset h = {0};
        CHECK(pool_add_label(p, r, "s2", "a", LABEL_SKIPPED, &h, NULL, NULL, err) == 0);
        pool_stats st2;
        CHECK(pool_get_stats(p, r, 0, NULL, &st2, err) == 0);
        CHECK(st2.skipped == 1 && st2.reviewed == 2);
        CHECK_MSG(st2.reviewed_today == 2, "reviewed today %lld counts the skip",
                  (long long)st2.reviewed_today);
    }
    CHECK(st.model[2].n == 4);
    CHECK_NEAR(st.model[2].mean, 7.75, 1e-9);
    CHECK_NEAR(st.model[2].min, 7, 1e-9);
    CHECK_NEAR(st.model[2].max, 8.5, 1e-9);
    CHECK(st.human[2].n == 2);
    CHECK_NEAR(st.abs_err[2].mean, 4.75, 1e-9);   /* |7-2| and |7.5-3| */
    int64_t bins[10];
    CHECK(pool_histogram(p, r, 2, 0, 0, NULL, 10, bins, err) == 0);
    CHECK(bins[7] == 2 && bins[8] == 2);
    CHECK(pool_histogram(p, r, 2, 1, 0, NULL, 10, bins, err) == 0);
    CHECK(bins[2] == 1 && bins[3] == 1);
    pool_example *ex;
    int n = pool_reviewed_examples(p, &ex, err);
    CHECK(n == 2);
    pool_examples_free(ex, n);

    pool_program pg = {0};
    pg.state_json = "{}"; pg.metric = "diversity"; pg.val_score = 0.7; pg.n_demos = 3;
    int64_t id1, id2;
    CHECK(pool_put_program(p, &pg, 1, &id1, err) == 0);
    CHECK(pool_put_program(p, &pg, 0, &id2, err) == 0);
    pool_program got;
    CHECK(pool_get_program(p, 0, &got, err) == 1);
    CHECK(got.id == id1 && got.is_best);
    pool_program_clear(&got);
    CHECK(pool_set_best_program(p, id2, err) == 0);
    CHECK(pool_get_program(p, 0, &got, err) == 1);
    CHECK(got.id == id2);
    pool_program_clear(&got);
    /* back to the lower id (a rollback): once a UNIQUE failure */
    CHECK_MSG(pool_set_best_program(p, id1, err) == 0, "%s", err);
    CHECK(pool_get_program(p, 0, &got, err) == 1);
    CHECK(got.id == id1 && got.is_best);
    pool_program_clear(&got);
    CHECK(pool_get_program(p, id2, &got, err) == 1 && !got.is_best);
    pool_program_clear(&got);
    CHECK(pool_set_best_program(p, id1, err) == 0);   /* already best */
    CHECK(pool_set_best_program(p, 999, err) == -1);
    CHECK(pool_get_program(p, 0, &got, err) == 1 && got.id == id1);
    pool_program_clear(&got);

    char *resp = NULL;
    CHECK(pool_cache_get(p, "k", &resp, err) == 0);
    CHECK(pool_cache_put(p, "k", "v", err) == 0);
    CHECK(pool_cache_get(p, "k", &resp, err) == 1);
    CHECK_STR(resp, "v");
    free(resp);

    char bpath[512];
    snprintf(bpath, sizeof bpath, "%s/backup.db", test_tmpdir());
    CHECK(pool_backup(p, bpath, err) == 0);
    CHECK(pool_backup(p, bpath, err) == -1);   /* never overwrites */
    pool *b = pool_open(bpath, err);
    CHECK(b != NULL);
    CHECK(pool_integrity_check(b, err) == 0);
    CHECK(pool_has_convo(b, "s3"));
    pool_close(b);
    pool_close(p);
}

/* The review screen's window: messages [off, off + max) and the total. */
TEST(pool_convo_window)
{
    const rubric *r;
    pool *p = fresh(&r);
    char err[ERR_MAX];
    convo *c = mk("w1", 10);
    CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
    convo_free(c);
    convo *other = mk("w2", 3);             /* messages of another one */
    CHECK(pool_put_convo(p, other, "t", NULL, err) == 0);
    convo_free(other);
    int64_t total = -1;
    convo *w = pool_get_convo_window_new(p, "w1", 3, 4, &total, err);
    CHECK_MSG(w != NULL, "%s", err);
    CHECK(total == 10 && w->nmsgs == 4);
    CHECK(w->msgs[0].ts == 1700000000 + 3 * 60 && w->msgs[3].ts == 1700000000 + 6 * 60);
    CHECK_STR(w->seller_id, "S-1");
    convo_free(w);
    w = pool_get_convo_window_new(p, "w1", 8, 100, &total, err);
    CHECK(w && total == 10 && w->nmsgs == 2);
    convo_free(w);
    w = pool_get_convo_window_new(p, "w1", 50, 5, NULL, err);
    CHECK(w && w->nmsgs == 0);
    convo_free(w);
    CHECK(pool_get_convo_window_new(p, "nope", 0, 5, &total, err) == NULL);
    CHECK(strstr(err, "no conversation 'nope'") != NULL);
    pool_close(p);
}

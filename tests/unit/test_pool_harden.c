/* test_pool_harden.c: issue 13's data-loss guarantees at the pool API:
 * what counts as a pool (and that nothing else is touched), the demo
 * reset, dead runs, the current prediction after a failed or partial
 * re-score, and stale labels after a content change. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "tpool.h"
#include "../../core/util.h"
#include "../../data/pool_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static convo *mk(const char *id, const char *text)
{
    convo *c = convo_new(id, "S-1");
    convo_add_msg(c, 1700000000, "John", ROLE_CUSTOMER, text);
    convo_add_msg(c, 1700000060, "Ana", ROLE_SELLER, "Sure, done.");
    return c;
}

static void put(pool *p, const char *id, const char *text)
{
    char err[ERR_MAX];
    convo *c = mk(id, text);
    CHECK_MSG(pool_put_convo(p, c, "t", NULL, err) == 0, "%s", err);
    convo_free(c);
}

static int64_t q_int(pool *p, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) != SQLITE_OK) return -999;
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -998;
    sqlite3_finalize(s);
    return v;
}

static char *path_in_tmp(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    return path;
}

/* Bytes of a file, for "left byte-identical". */
static char *slurp(const char *path, size_t *n)
{
    char err[ERR_MAX];
    return file_read_new(path, n, err);
}

TEST(harden_foreign_files_refused_untouched)
{
    char err[ERR_MAX];
    const char *db = path_in_tmp("foreign.db");
    CHECK(test_sh("rm -f '%s'; sqlite3 '%s' 'CREATE TABLE t(x); INSERT INTO t VALUES(1)'",
                  db, db) == 0);
    size_t n0, n1;
    char *before = slurp(db, &n0);
    CHECK(before != NULL);
    /* Neither the creating open nor the others convert it. */
    CHECK(pool_open(db, err) == NULL);
    CHECK_MSG(strstr(err, "not a curate pool") && strstr(err, "nothing was changed"),
              "%s", err);
    CHECK(pool_open_existing(db, err) == NULL);
    CHECK(pool_open_readonly(db, err) == NULL);
    CHECK_MSG(strstr(err, "not a curate pool"), "%s", err);
    char *after = slurp(db, &n1);
    CHECK(after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);
    struct stat st;
    CHECK(stat(path_in_tmp("foreign.db-wal"), &st) != 0);
    /* A text file, and an SQLite file of another application (its own
     * application_id) with tables named like ours. */
    const char *txt = path_in_tmp("notes.db");
    FILE *f = fopen(txt, "w");
    fputs("my notes\n", f);
    fclose(f);
    CHECK(pool_open(txt, err) == NULL);
    CHECK_MSG(strstr(err, "not an SQLite database"), "%s", err);
    const char *other = path_in_tmp("other.db");
    CHECK(test_sh("rm -f '%s'; sqlite3 '%s' 'PRAGMA application_id=7; PRAGMA user_version=1;"
                  " CREATE TABLE conversations(x); CREATE TABLE messages(x);"
                  " CREATE TABLE predictions(x); CREATE TABLE labels(x); CREATE TABLE runs(x)'",
                  other, other) == 0);
    CHECK(pool_open(other, err) == NULL);
    CHECK_MSG(strstr(err, "not a curate pool"), "%s", err);
    /* Missing: only the creating open creates. */
    const char *none = path_in_tmp("none.db");
    unlink(none);
    CHECK(pool_open_existing(none, err) == NULL);
    CHECK_MSG(strstr(err, "no pool at"), "%s", err);
    CHECK(stat(none, &st) != 0);
    pool *p = pool_open(none, err);
    CHECK_MSG(p != NULL, "%s", err);
    CHECK(q_int(p, "PRAGMA application_id") == POOL_APP_ID);
    pool_close(p);
    p = pool_open_existing(none, err);
    CHECK_MSG(p != NULL, "%s", err);
    pool_close(p);
}

TEST(harden_demo_reset_only_demo_pools)
{
    char err[ERR_MAX];
    pool *p = tpool_open("demo.db");
    CHECK(p != NULL);
    put(p, "d1", "hello");
    /* Not marked as made by the demo: refused, nothing deleted. */
    CHECK(pool_meta_reset_demo(p, err) < 0);
    CHECK_MSG(strstr(err, "not a pool made by `curate demo`"), "%s", err);
    CHECK(q_int(p, "SELECT count(*) FROM conversations") == 1);
    CHECK(pool_meta_set(p, "made_by", "demo", err) == 0);
    CHECK(pool_exec(p, "UPDATE conversations SET source = 'demo'", err) == 0);
    rubric *r = rubric_default_new();
    scoreset h = {0};
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_SCORE) { h.v[i] = 5; h.set[i] = 1; }
    CHECK(pool_add_label(p, r, "d1", "demo", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    /* Demo content only: emptied in place, the mark kept. */
    CHECK_MSG(pool_meta_reset_demo(p, err) == 0, "%s", err);
    CHECK(q_int(p, "SELECT count(*) FROM conversations") == 0);
    CHECK(q_int(p, "SELECT count(*) FROM labels") == 0);
    CHECK(q_int(p, "SELECT count(*) FROM conv_counts WHERE n <> 0") == 0);
    CHECK(q_int(p, "SELECT count(*) FROM pool_meta WHERE key = 'made_by'") == 1);
    CHECK(pool_integrity_check(p, err) == 0);
    /* A human label makes it untouchable. */
    put(p, "d2", "hello");
    CHECK(pool_exec(p, "UPDATE conversations SET source = 'demo'", err) == 0);
    CHECK(pool_add_label(p, r, "d2", "alice", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_meta_reset_demo(p, err) < 0);
    CHECK_MSG(strstr(err, "human work is never deleted"), "%s", err);
    CHECK(q_int(p, "SELECT count(*) FROM labels") == 1);
    rubric_free(r);
    pool_close(p);
}

/* A pid that is certainly not running: a child that has exited and been
 * reaped. */
static pid_t dead_pid(void)
{
    pid_t c = fork();
    if (c == 0) {
        /* exec at once: the child holds nothing of ours to report at exit
         * (valgrind follows a fork, not an exec) */
        execl("/bin/true", "true", (char *)NULL);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    return c;
}

TEST(harden_dead_runs_marked_interrupted)
{
    char err[ERR_MAX];
    pool *p = tpool_open("runs.db");
    CHECK(p != NULL);
    int64_t live, dead, reused, other_host;
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &live, err) == 0);
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &dead, err) == 0);
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &reused, err) == 0);
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &other_host, err) == 0);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE runs SET owner_pid = %d WHERE id = %lld",
             (int)dead_pid(), (long long)dead);
    CHECK(pool_exec(p, sql, err) == 0);
    /* Our pid, but another start time: a later process got the pid. */
    snprintf(sql, sizeof sql, "UPDATE runs SET owner_start = owner_start - 1 "
             "WHERE id = %lld", (long long)reused);
    CHECK(pool_exec(p, sql, err) == 0);
    /* On another host we cannot tell: left alone. */
    snprintf(sql, sizeof sql, "UPDATE runs SET owner_pid = %d, owner_host = "
             "'elsewhere.example' WHERE id = %lld", (int)dead_pid(),
             (long long)other_host);
    CHECK(pool_exec(p, sql, err) == 0);
    char path[512];
    snprintf(path, sizeof path, "%s", pool_path(p));
    pool_close(p);
    p = pool_open_existing(path, err);
    CHECK_MSG(p != NULL, "%s", err);
    snprintf(sql, sizeof sql, "SELECT group_concat(status, ',') FROM (SELECT "
             "status FROM runs ORDER BY id)");
    sqlite3_stmt *s = NULL;
    CHECK(sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(s) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(s, 0),
              "running,interrupted,interrupted,running");
    sqlite3_finalize(s);
    CHECK(q_int(p, "SELECT count(*) FROM runs WHERE status = 'interrupted' AND"
                   " finished_at IS NOT NULL") == 2);
    pool_close(p);
}

static void pred(pool *p, const rubric *r, const char *id, int64_t run,
                 const char *status, double v)
{
    char err[ERR_MAX];
    prediction pr;
    memset(&pr, 0, sizeof pr);
    if (strcmp(status, "failed") != 0)
        for (size_t i = 0; i < r->nfields; i++) {
            if (!rubric_is_scored(&r->fields[i])) continue;
            /* partial: the first score is missing */
            if (strcmp(status, "partial") == 0 && r->fields[i].kind == FIELD_SCORE &&
                (int)i == rubric_field_index(r, "responsiveness_score"))
                continue;
            pr.scores.v[i] = v;
            pr.scores.set[i] = 1;
        }
    pr.status = (char *)status;
    pr.error = strcmp(status, "ok") ? (char *)"server said no" : NULL;
    pr.run_id = run;
    CHECK_MSG(pool_put_prediction(p, r, id, &pr, NULL, err) == 0, "%s", err);
}

/* The current prediction (what show, the review screen and `label`'s
 * accept start from) and the queue's model column after re-scores. */
static double current_overall(pool *p, const rubric *r, const char *id,
                              char *status, size_t n)
{
    char err[ERR_MAX];
    prediction pr;
    int rc = pool_get_prediction(p, r, id, 0, &pr, err);
    if (rc != 1) return -1;
    snprintf(status, n, "%s", pr.status);
    int oi = rubric_overall_index(r);
    double v = pr.scores.set[oi] ? pr.scores.v[oi] : -2;
    prediction_clear(&pr);
    return v;
}

TEST(harden_rescore_never_hides_complete_prediction)
{
    char err[ERR_MAX], st[16];
    pool *p = tpool_open("rescore.db");
    CHECK(p != NULL);
    rubric *r = rubric_default_new();
    put(p, "a", "hello");
    put(p, "b", "hello");
    int64_t run1, run2;
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &run1, err) == 0);
    pred(p, r, "a", run1, "ok", 7);
    pred(p, r, "b", run1, "partial", 6);
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &run2, err) == 0);
    /* a: a failed, then a partial re-score: the complete one stays. */
    pred(p, r, "a", run2, "failed", 0);
    CHECK_NEAR(current_overall(p, r, "a", st, sizeof st), 7, 1e-9);
    CHECK_STR(st, "ok");
    pred(p, r, "a", run2, "partial", 3);
    CHECK_NEAR(current_overall(p, r, "a", st, sizeof st), 7, 1e-9);
    CHECK_STR(st, "ok");
    CHECK(q_int(p, "SELECT model_overall * 100 FROM conversations WHERE id = 'a'") == 700);
    /* b: partial then a complete one: the complete one wins; then a
     * later partial does not replace it. */
    CHECK_STR((current_overall(p, r, "b", st, sizeof st), st), "partial");
    pred(p, r, "b", run2, "ok", 4);
    CHECK_NEAR(current_overall(p, r, "b", st, sizeof st), 4, 1e-9);
    pred(p, r, "b", run2, "partial", 9);
    CHECK_NEAR(current_overall(p, r, "b", st, sizeof st), 4, 1e-9);
    CHECK_STR(st, "ok");
    /* Of a given run, the run's own latest prediction. */
    prediction pr;
    CHECK(pool_get_prediction(p, r, "a", run2, &pr, err) == 1);
    CHECK_STR(pr.status, "partial");
    prediction_clear(&pr);
    /* A conversation whose only prediction failed shows that failure and
     * stays unscored. */
    put(p, "c", "hello");
    pred(p, r, "c", run2, "failed", 0);
    CHECK(current_overall(p, r, "c", st, sizeof st) == -2);
    CHECK_STR(st, "failed");
    CHECK(q_int(p, "SELECT status FROM conversations WHERE id = 'c'") == 0);
    rubric_free(r);
    pool_close(p);
}

static int hist(const label *x, void *ctx)
{
    if (x->stale) (*(int *)ctx)++;
    return 0;
}

TEST(harden_changed_content_makes_labels_stale)
{
    char err[ERR_MAX];
    pool *p = tpool_open("stale.db");
    CHECK(p != NULL);
    rubric *r = rubric_default_new();
    put(p, "a", "refund of 500 EUR please");
    put(p, "b", "hello");
    int64_t run;
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &run, err) == 0);
    pred(p, r, "a", run, "ok", 7);
    pred(p, r, "b", run, "ok", 7);
    scoreset h = {0};
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_SCORE) { h.v[i] = 2; h.set[i] = 1; }
    CHECK(pool_add_label(p, r, "a", "alice", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_add_label(p, r, "b", "alice", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_set_edge(p, "a", "alice", 1, "boundary", err) == 0);
    pool_example *ex;
    CHECK(pool_reviewed_examples(p, &ex, err) == 2);
    pool_examples_free(ex, 2);
    CHECK(pool_stale_labels(p, "a", err) == 0);
    /* Same content again: nothing changes. */
    put(p, "a", "refund of 500 EUR please");
    CHECK(pool_stale_labels(p, "a", err) == 0);
    /* Other messages under the same id: the label no longer describes it. */
    int changed;
    convo *c = mk("a", "I love the tour");
    CHECK(pool_put_convo(p, c, "t", &changed, err) == 0 && changed == 1);
    convo_free(c);
    CHECK(pool_stale_labels(p, "a", err) == 1);
    label l;
    CHECK(pool_get_label(p, r, "a", &l, err) == 0);
    CHECK(q_int(p, "SELECT status FROM conversations WHERE id = 'a'") == 1);
    CHECK(q_int(p, "SELECT human_overall IS NULL AND label_id IS NULL FROM"
                   " conversations WHERE id = 'a'") == 1);
    CHECK(q_int(p, "SELECT edge FROM conversations WHERE id = 'a'") == 1);
    /* Out of the training examples and the human statistics. */
    CHECK(pool_reviewed_examples(p, &ex, err) == 1);
    CHECK_STR(ex[0].conv_id, "b");
    pool_examples_free(ex, 1);
    pool_stats stt;
    CHECK(pool_get_stats(p, r, 0, NULL, &stt, err) == 0);
    CHECK(stt.reviewed == 1);
    CHECK(stt.human[rubric_overall_index(r)].n == 1);
    /* Kept in the history, marked. */
    int stale_seen = 0;
    CHECK(pool_label_history(p, r, "a", hist, &stale_seen, err) == 0);
    CHECK(stale_seen == 1);
    /* A new label on the new content is current again. */
    CHECK(pool_add_label(p, r, "a", "bob", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
    CHECK(pool_get_label(p, r, "a", &l, err) == 1);
    CHECK_STR(l.reviewer, "bob");
    CHECK(!l.stale);
    label_clear(&l);
    CHECK(q_int(p, "SELECT status FROM conversations WHERE id = 'a'") == 2);
    rubric_free(r);
    pool_close(p);
}

/* The search index holds a long conversation as parts of 1024 messages
 * (schema 5: filling it takes memory for one part, not one conversation):
 * a term in any part, in the id or the seller finds it once; a content
 * change re-indexes every part; FTS5's own check agrees. */
static convo *long_convo(const char *id, int n, const char *word_at, int at)
{
    convo *c = convo_new(id, "S-LONG");
    for (int i = 0; i < n; i++) {
        char t[64];
        snprintf(t, sizeof t, "%s %d", i == at ? word_at : "plain words", i);
        convo_add_msg(c, 1700000000 + i, "a", i % 2 ? ROLE_SELLER : ROLE_CUSTOMER, t);
    }
    return c;
}

static int64_t count_search(pool *p, const char *term)
{
    char err[ERR_MAX];
    pool_filter f;
    pool_filter_parse(NULL, &f, err);
    f.search = term;
    return pool_count(p, &f, err);
}

TEST(harden_search_index_in_parts)
{
    char err[ERR_MAX];
    pool *p = tpool_open("parts.db");
    CHECK(p != NULL);
    convo *c = long_convo("long-1", 2600, "zanzibar", 2500);   /* in part 3 */
    CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
    convo_free(c);
    c = long_convo("short-1", 3, "zanzibar", 1);
    CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
    convo_free(c);
    CHECK(pool_search_index(p, NULL, NULL, err) == 2);
    CHECK(q_int(p, "SELECT count(*) FROM conv_search") == 4);   /* 3 parts + 1 */
    CHECK(q_int(p, "SELECT count(*) FROM conv_search WHERE conv_search MATCH"
                   " '\"zanzibar\"'") == 2);
    CHECK(count_search(p, "zanzibar") == 2);
    CHECK(count_search(p, "plain words 1023") == 1);   /* last of part 1 */
    CHECK(count_search(p, "plain words 1024") == 1);   /* first of part 2 */
    CHECK(count_search(p, "plain") == 2);              /* every part: once */
    CHECK(count_search(p, "long-1") == 1);
    CHECK(count_search(p, "s-long") == 2);
    CHECK(test_sh("sqlite3 '%s' \"INSERT INTO conv_search(conv_search) "
                  "VALUES('integrity-check')\"", pool_path(p)) == 0);
    /* Other content: the old parts leave the index, the new ones come in. */
    c = long_convo("long-1", 1500, "kilimanjaro", 1400);
    CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
    convo_free(c);
    CHECK(count_search(p, "zanzibar") == 1);
    CHECK(count_search(p, "kilimanjaro") == 1);
    CHECK(q_int(p, "SELECT count(*) FROM conv_search") == 3);   /* 2 parts + 1 */
    CHECK(test_sh("sqlite3 '%s' \"INSERT INTO conv_search(conv_search) "
                  "VALUES('integrity-check')\"", pool_path(p)) == 0);
    pool_close(p);
}

/* A demo pool from before schema 5 (no mark) is recognised by its
 * content on the upgrade, so `make demo` can still reset it; a pool with
 * anything else in it is not. */
static int made_by_demo_after_upgrade(const char *name, const char *reviewer)
{
    char err[ERR_MAX];
    pool *p = tpool_open(name);
    if (!p) return -1;
    put(p, "d1", "hello");
    pool_exec(p, "UPDATE conversations SET source = 'demo'", err);
    rubric *r = rubric_default_new();
    scoreset h = {0};
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_SCORE) { h.v[i] = 5; h.set[i] = 1; }
    pool_add_label(p, r, "d1", reviewer, LABEL_CORRECTED, &h, NULL, NULL, err);
    rubric_free(r);
    char path[512];
    snprintf(path, sizeof path, "%s", pool_path(p));
    if (pool_exec(p, tpool_down_v4, err) < 0 || pool_exec(p, TPOOL_DOWN_TO_V1, err) < 0)
        fprintf(stderr, "%s\n", err);
    pool_close(p);
    p = pool_open_existing(path, err);
    if (!p) return -1;
    char *v = NULL;
    int rc = pool_meta_get(p, "made_by", &v, err);
    free(v);
    pool_close(p);
    return rc;
}

TEST(harden_old_demo_pool_recognised)
{
    CHECK(made_by_demo_after_upgrade("olddemo.db", "demo") == 1);
    CHECK(made_by_demo_after_upgrade("oldreal.db", "alice") == 0);
}

/* A pool written by an early schema-5 build (the index of schema 3: one
 * document per conversation) is brought to parts on the next writable
 * open; a read-only open refuses it instead of answering wrongly. */
TEST(harden_early_v5_search_repaired)
{
    char err[ERR_MAX];
    pool *p = tpool_open("early5.db");
    CHECK(p != NULL);
    put(p, "e1", "zanzibar trip");
    CHECK(pool_exec(p,
        "DROP TABLE conv_search; DROP VIEW conv_doc;"
        "CREATE VIEW conv_doc(cid, doc) AS SELECT c.cid, lower(c.id || char(10) ||"
        " c.seller_id || char(10) || coalesce((SELECT group_concat(m.text, char(10))"
        " FROM messages m WHERE m.mid BETWEEN c.msg_first AND c.msg_last AND"
        " m.cid = c.cid), '')) FROM conversations c;"
        "CREATE VIRTUAL TABLE conv_search USING fts5(doc, content='conv_doc',"
        " content_rowid='cid', tokenize='trigram case_sensitive 1', columnsize=0);"
        "INSERT INTO conv_search(rowid, doc) SELECT cid, doc FROM conv_doc;"
        "UPDATE search_state SET upto = (SELECT max(cid) FROM conversations);", err) == 0);
    CHECK(pool_search_parts_missing(p) == 1);
    char path[512];
    snprintf(path, sizeof path, "%s", pool_path(p));
    pool_close(p);
    CHECK(pool_open_readonly(path, err) == NULL);
    CHECK_MSG(strstr(err, "upgrade"), "%s", err);
    p = pool_open_existing(path, err);
    CHECK_MSG(p != NULL, "%s", err);
    CHECK(pool_search_parts_missing(p) == 0);
    CHECK(count_search(p, "zanzibar") == 1);          /* by the scan */
    CHECK(pool_search_index(p, NULL, NULL, err) == 1);
    CHECK(count_search(p, "zanzibar") == 1);          /* by the index */
    pool_close(p);
    p = pool_open_readonly(path, err);
    CHECK_MSG(p != NULL, "%s", err);
    pool_close(p);
}

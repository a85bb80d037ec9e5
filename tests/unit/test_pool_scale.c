/* test_pool_scale.c: schema v2 (tests/bench, issue 7): the counts and
 * score distributions kept by triggers agree with a recount after every
 * kind of change, lists keep their order, a v1 pool is upgraded, and
 * message ranges stay contiguous when conversations are replaced. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "tpool.h"
#include "../../core/util.h"
#include "../../data/pool.h"

#include <sqlite3.h>
#include <stdlib.h>

static convo *mk(const char *id, const char *seller, int n, int salt)
{
    convo *c = convo_new(id, seller);
    for (int i = 0; i < n; i++) {
        char t[64];
        snprintf(t, sizeof t, "message %d of %s (%d)", i, id, salt);
        convo_add_msg(c, 1700000000 + i * 60, i % 2 ? "Ana" : "John",
                      i % 2 ? ROLE_SELLER : ROLE_CUSTOMER, t);
    }
    return c;
}

/* Rows of a query as one string ("a|b|c\n..."), for comparisons. */
static char *rows_of(sqlite3 *db, const char *sql)
{
    sbuf b = {0};
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        sbuf_addf(&b, "SQL error: %s", sqlite3_errmsg(db));
        return sbuf_take(&b);
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(s); i++)
            sbuf_addf(&b, "%s%s", i ? "|" : "",
                      sqlite3_column_text(s, i) ? (const char *)sqlite3_column_text(s, i) : "NULL");
        sbuf_addc(&b, '\n');
    }
    sqlite3_finalize(s);
    return sbuf_take(&b);
}

/* score_agg and conv_counts recomputed from scratch, by definition. */
static const char *agg_now =
    "SELECT run_id, kind, field, seller_id, value, n FROM score_agg WHERE n <> 0"
    " ORDER BY 1, 2, 3, 4, 5";
static const char *agg_recount =
    "WITH lp AS (SELECT run_id, cid, max(id) AS id FROM predictions"
    "  WHERE run_id IS NOT NULL GROUP BY run_id, cid),"
    " cur AS (SELECT 0 AS run_id, c.cid, c.pred_id AS id FROM conversations c"
    "  WHERE c.pred_id IS NOT NULL UNION ALL SELECT run_id, cid, id FROM lp),"
    " v AS (SELECT cur.run_id, 0 AS kind, a.key AS field, c.seller_id,"
    "  a.value AS value FROM cur JOIN conversations c ON c.cid = cur.cid"
    "  JOIN predictions pr ON pr.id = cur.id, json_each(pr.scores) a"
    "  WHERE a.type IN ('integer', 'real')"
    " UNION ALL SELECT 0, 1, a.key, c.seller_id, a.value FROM conversations c"
    "  JOIN labels lb ON lb.id = c.label_id, json_each(lb.scores) a"
    "  WHERE c.status = 2 AND a.type IN ('integer', 'real')"
    " UNION ALL SELECT cur.run_id, 2, a.key, c.seller_id,"
    "  round(abs(a.value - h.value), 4) FROM cur JOIN conversations c"
    "  ON c.cid = cur.cid JOIN predictions pr ON pr.id = cur.id JOIN labels lb"
    "  ON lb.id = c.label_id, json_each(pr.scores) a, json_each(lb.scores) h"
    "  WHERE c.status = 2 AND a.key = h.key AND a.type IN ('integer', 'real')"
    "  AND h.type IN ('integer', 'real')"
    /* kind 3 (schema 8): a run's human values, field by field */
    " UNION ALL SELECT lp.run_id, 3, a.key, c.seller_id, h.value FROM lp"
    "  JOIN conversations c ON c.cid = lp.cid JOIN predictions pr ON pr.id = lp.id"
    "  JOIN labels lb ON lb.id = c.label_id, json_each(pr.scores) a,"
    "  json_each(lb.scores) h WHERE c.status = 2 AND a.key = h.key"
    "  AND a.type IN ('integer', 'real') AND h.type IN ('integer', 'real'))"
    " SELECT run_id, kind, field, seller_id, CAST(value AS REAL), count(*)"
    " FROM v GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5";
static const char *counts_now =
    "SELECT seller_id, status, edge, scored, n, msgs FROM conv_counts"
    " WHERE n <> 0 ORDER BY 1, 2, 3, 4";
static const char *counts_recount =
    "SELECT seller_id, status, edge, pred_id IS NOT NULL, count(*),"
    " sum(n_messages) FROM conversations GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4";

/* "Some score field (or this one) differs by at least T", by definition:
 * the current prediction against the label in force, both overalls there. */
#define ANY_DIFF(T, FIELD) \
    "(status = 2 AND diff IS NOT NULL AND EXISTS (SELECT 1 FROM predictions pr," \
    " labels lb, json_each(pr.scores) a WHERE pr.id = conversations.pred_id" \
    " AND lb.id = conversations.label_id AND (" FIELD ")" \
    " AND abs(a.value - json_extract(lb.scores, '$.' || a.key)) >= " T " - 1e-9))"

static int same_rows(sqlite3 *db, const char *a, const char *b)
{
    char *x = rows_of(db, a), *y = rows_of(db, b);
    int same = strcmp(x, y) == 0;
    if (!same) fprintf(stderr, "--- kept:\n%s--- recount:\n%s", x, y);
    free(x);
    free(y);
    return same;
}

static void random_prediction(const rubric *r, rng *g, int64_t run,
                              prediction *pr)
{
    memset(pr, 0, sizeof *pr);
    int failed = rng_below(g, 8) == 0;
    for (size_t i = 0; i < r->nfields && !failed; i++) {
        if (!rubric_is_scored(&r->fields[i]) || rng_below(g, 10) == 0) continue;
        pr->scores.v[i] = (double)rng_below(g, 21) / 2;
        pr->scores.set[i] = 1;
    }
    pr->status = failed ? "failed" : "ok";
    pr->error = failed ? "timeout" : NULL;
    pr->model = "m";
    pr->run_id = run;
}

TEST(pool_v2_counts_and_distributions_follow_every_change)
{
    pool *p = tpool_open("agg.db");
    CHECK(p != NULL);
    rubric *r = rubric_default_new();
    char err[ERR_MAX];
    static const char *sellers[] = {"S-A", "S-B", "S-C"};
    rng g;
    rng_seed(&g, 7);
    int64_t runs[3] = {0};
    CHECK(pool_run_start(p, "score", "llm", "m1", 0, NULL, &runs[1], err) == 0);
    CHECK(pool_run_start(p, "score", "llm", "m2", 0, NULL, &runs[2], err) == 0);
    int64_t labels[400];
    int nlabels = 0;
    for (int i = 0; i < 40; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%02d", i);
        convo *c = mk(id, sellers[i % 3], 1 + i % 5, 0);
        CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
        convo_free(c);
    }
    for (int step = 0; step < 600; step++) {
        char id[16];
        snprintf(id, sizeof id, "c%02d", (int)rng_below(&g, 40));
        int op = (int)rng_below(&g, 10);
        if (op < 4) {
            prediction pr;
            random_prediction(r, &g, runs[rng_below(&g, 3)], &pr);
            CHECK(pool_put_prediction(p, r, id, &pr, NULL, err) == 0);
        } else if (op < 7) {
            scoreset h = {0};
            for (size_t i = 0; i < r->nfields; i++)
                if (rubric_is_scored(&r->fields[i]) && rng_below(&g, 6)) {
                    h.v[i] = (double)rng_below(&g, 41) / 4;
                    h.set[i] = 1;
                }
            static const label_status st[] = {LABEL_ACCEPTED, LABEL_CORRECTED,
                                              LABEL_SKIPPED};
            CHECK(pool_add_label(p, r, id, "rev", st[rng_below(&g, 3)], &h,
                                 NULL, &labels[nlabels], err) == 0);
            nlabels++;
        } else if (op == 7 && nlabels) {
            pool_action a;
            if (pool_undo_last(p, "rev", NULL, (int)rng_below(&g, 2), &a, err) == 1)
                pool_action_clear(&a);
        } else if (op == 8) {
            CHECK(pool_set_edge(p, id, "rev", (int)rng_below(&g, 2), NULL, err) == 0);
        } else {
            /* Re-import with other content, sometimes another seller. */
            convo *c = mk(id, sellers[rng_below(&g, 3)], 1 + (int)rng_below(&g, 6), step);
            CHECK(pool_put_convo(p, c, "t2", NULL, err) == 0);
            convo_free(c);
        }
    }
    sqlite3 *db;
    CHECK(sqlite3_open_v2(pool_path(p), &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(same_rows(db, counts_now, counts_recount));
    CHECK(same_rows(db, agg_now, agg_recount));

    /* Counts and windows agree with plain SQL over the table. */
    static const struct { const char *spec, *where; } fl[] = {
        {"all", "1"}, {"to-review", "status = 1"}, {"reviewed", "status = 2"},
        {"edge", "edge = 1"}, {"disagree:1.5", ANY_DIFF("1.5", "1")},
        {"disagree:1.5:responsiveness_score",
         ANY_DIFF("1.5", "a.key = 'responsiveness_score'")},
        {"unscored", "pred_id IS NULL"}, {"scored", "pred_id IS NOT NULL"},
    };
    static const char *cols[] = {"id", "seller_id", "n_messages", "model_overall",
                                 "human_overall", "diff", "status", "edge"};
    for (size_t k = 0; k < sizeof fl / sizeof fl[0]; k++) {
        pool_filter f;
        CHECK(pool_filter_parse(fl[k].spec, &f, err) == 0);
        char sql[1024];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM conversations WHERE %s",
                 fl[k].where);
        char *want = rows_of(db, sql);
        char got[32];
        snprintf(got, sizeof got, "%lld\n", (long long)pool_count(p, &f, err));
        CHECK_STR(got, want);
        free(want);
        f.seller = "S-B";
        snprintf(sql, sizeof sql, "SELECT count(*) FROM conversations WHERE %s"
                 " AND seller_id = 'S-B'", fl[k].where);
        want = rows_of(db, sql);
        snprintf(got, sizeof got, "%lld\n", (long long)pool_count(p, &f, err));
        CHECK_STR(got, want);
        free(want);
        f.seller = NULL;
        for (int s = 0; s < 8; s++)
            for (int d = 0; d < 2; d++) {
                f.sort = (pool_sort_kind)s;
                f.desc = d;
                pool_row rows[8];
                int n = pool_list(p, &f, 2, 8, rows, err);
                CHECK(n >= 0);
                sbuf g1 = {0};
                for (int i = 0; i < n; i++) sbuf_addf(&g1, "%s\n", rows[i].id);
                if (n > 0) pool_rows_clear(rows, n);
                snprintf(sql, sizeof sql, "SELECT id FROM conversations NOT INDEXED"
                         " WHERE %s ORDER BY %s %s, id %s LIMIT 8 OFFSET 2",
                         fl[k].where, cols[s], d ? "DESC" : "ASC", d ? "DESC" : "ASC");
                want = rows_of(db, sql);
                CHECK_MSG(strcmp(g1.s ? g1.s : "", want) == 0, "%s by %s%s: %s vs %s",
                          fl[k].spec, cols[s], d ? " desc" : "", g1.s ? g1.s : "", want);
                free(want);
                sbuf_free(&g1);
            }
    }

    /* Statistics and histograms read the kept distributions. */
    pool_stats st;
    CHECK(pool_get_stats(p, r, runs[1], "S-A", &st, err) == 0);
    int ri = rubric_field_index(r, "responsiveness_score");
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT count(v), printf('%%.6f', coalesce(avg(v), 0)) FROM (SELECT"
             " json_extract(pr.scores, '$.responsiveness_score') AS v FROM"
             " conversations c JOIN predictions pr ON pr.id = (SELECT max(id) FROM"
             " predictions WHERE cid = c.cid AND run_id = %lld) WHERE"
             " c.seller_id = 'S-A')", (long long)runs[1]);
    char *want = rows_of(db, sql);
    char got[64];
    snprintf(got, sizeof got, "%lld|%.6f\n", (long long)st.model[ri].n,
             st.model[ri].n ? st.model[ri].mean : 0.0);
    CHECK_STR(got, want);
    free(want);
    int64_t bins[4], total = 0;
    CHECK(pool_histogram(p, r, ri, 1, 0, NULL, 4, bins, err) == 0);
    for (int i = 0; i < 4; i++) total += bins[i];
    want = rows_of(db, "SELECT count(json_extract(lb.scores, '$.responsiveness_score'))"
                       " FROM conversations c JOIN labels lb ON lb.id = c.label_id"
                       " WHERE c.status = 2");
    snprintf(got, sizeof got, "%lld\n", (long long)total);
    CHECK_STR(got, want);
    free(want);
    sqlite3_close(db);
    pool_close(p);
    rubric_free(r);
}

TEST(pool_v1_pool_is_upgraded)
{
    pool *p = tpool_open("v1.db");
    CHECK(p != NULL);
    rubric *r = rubric_default_new();
    char err[ERR_MAX];
    int64_t run;
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &run, err) == 0);
    rng g;
    rng_seed(&g, 3);
    for (int i = 0; i < 12; i++) {
        char id[16];
        snprintf(id, sizeof id, "v%02d", i);
        convo *c = mk(id, i % 2 ? "S-A" : "S-B", 2 + i % 3, 0);
        CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
        convo_free(c);
        prediction pr;
        random_prediction(r, &g, run, &pr);
        CHECK(pool_put_prediction(p, r, id, &pr, NULL, err) == 0);
        if (i % 3 == 0) {
            scoreset h = {0};
            h.v[2] = 5; h.set[2] = 1;
            CHECK(pool_add_label(p, r, id, "rev", LABEL_CORRECTED, &h, NULL, NULL, err) == 0);
        }
    }
    pool_stats before;
    CHECK(pool_get_stats(p, r, run, NULL, &before, err) == 0);
    char path[512];
    snprintf(path, sizeof path, "%s", pool_path(p));
    pool_close(p);
    /* Back to exactly the v1 schema: no v2 tables or triggers, the v1
     * list indexes, user_version 1. */
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, tpool_down_v4, NULL, NULL, NULL) == SQLITE_OK);
    const char *down = TPOOL_DOWN_TO_V1;
    CHECK(sqlite3_exec(db, down, NULL, NULL, NULL) == SQLITE_OK);
    char *names = rows_of(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                              " ('conv_counts', 'score_agg', 'conv_l_id')");
    CHECK_STR(names, "0\n");
    free(names);
    sqlite3_close(db);

    /* Read-only cannot upgrade and says what to do. */
    p = pool_open_readonly(path, err);
    CHECK(p == NULL);
    CHECK_MSG(strstr(err, "upgrade") != NULL, "%s", err);

    p = pool_open(path, err);
    CHECK_MSG(p != NULL, "%s", err);
    pool_stats after;
    CHECK(pool_get_stats(p, r, run, NULL, &after, err) == 0);
    CHECK(after.conversations == 12 && after.scored == before.scored &&
          after.reviewed == before.reviewed && after.messages == before.messages);
    for (size_t i = 0; i < r->nfields; i++) {
        CHECK(after.model[i].n == before.model[i].n);
        CHECK_NEAR(after.model[i].mean, before.model[i].mean, 1e-9);
        CHECK(after.human[i].n == before.human[i].n);
        CHECK_NEAR(after.abs_err[i].mean, before.abs_err[i].mean, 1e-9);
    }
    CHECK(test_sh("sqlite3 '%s' 'PRAGMA user_version' | grep -qx %d", path,
                  POOL_SCHEMA_VERSION) == 0);
    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(same_rows(db, counts_now, counts_recount));
    CHECK(same_rows(db, agg_now, agg_recount));
    sqlite3_close(db);
    /* And it keeps them in step from then on. */
    prediction pr;
    random_prediction(r, &g, run, &pr);
    pr.status = "ok";
    pr.scores.v[2] = 9.5; pr.scores.set[2] = 1;
    CHECK(pool_put_prediction(p, r, "v01", &pr, NULL, err) == 0);
    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(same_rows(db, agg_now, agg_recount));
    sqlite3_close(db);
    pool_close(p);
    rubric_free(r);
}

TEST(pool_message_ranges_stay_contiguous)
{
    pool *p = tpool_open("ranges.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    CHECK(pool_begin(p, err) == 0);
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "m%d", i);
        convo *c = mk(id, "S", 3 + i, 0);
        int changed;
        CHECK(pool_put_convo(p, c, "t", &changed, err) == 0);
        CHECK(changed == 2);
        convo_free(c);
    }
    CHECK(pool_commit(p, err) == 0);
    /* Replace one in the middle with more messages, one with fewer. */
    convo *c = mk("m2", "S", 9, 1);
    int changed;
    CHECK(pool_put_convo(p, c, "t", &changed, err) == 0);
    CHECK(changed == 1);
    convo_free(c);
    c = mk("m4", "S", 1, 1);
    CHECK(pool_put_convo(p, c, "t", &changed, err) == 0);
    convo_free(c);
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "m%d", i);
        int n = i == 2 ? 9 : i == 4 ? 1 : 3 + i;
        convo *got = pool_get_convo_new(p, id, err);
        CHECK(got != NULL);
        CHECK_MSG((int)got->nmsgs == n, "%s: %zu messages, want %d", id, got->nmsgs, n);
        char want[64];
        snprintf(want, sizeof want, "message %d of %s (%d)", n - 1, id,
                 i == 2 || i == 4 ? 1 : 0);
        CHECK_STR(got->msgs[n - 1].text, want);
        convo_free(got);
    }
    CHECK(test_sh("sqlite3 '%s' \"SELECT count(*) FROM conversations c WHERE"
                  " msg_last - msg_first + 1 <> n_messages OR (SELECT count(*)"
                  " FROM messages m WHERE m.mid BETWEEN c.msg_first AND c.msg_last"
                  " AND m.cid = c.cid) <> n_messages\" | grep -qx 0",
                  pool_path(p)) == 0);
    CHECK(test_sh("sqlite3 '%s' 'SELECT count(*) FROM messages' | grep -qx 23",
                  pool_path(p)) == 0);
    pool_close(p);
}

/* The window at any offset, reached by scrolling, paging, jumping to the
 * end or back (pool_list's anchors and its reading from the end) is the
 * one plain LIMIT/OFFSET gives, also right after the pool changed. */
TEST(pool_list_windows_match_offsets)
{
    pool *p = tpool_open("win.db");
    CHECK(p != NULL);
    rubric *r = rubric_default_new();
    char err[ERR_MAX];
    rng g;
    rng_seed(&g, 11);
    int64_t run;
    CHECK(pool_run_start(p, "score", "llm", "m", 0, NULL, &run, err) == 0);
    CHECK(pool_begin(p, err) == 0);
    for (int i = 0; i < 90; i++) {
        char id[16];
        snprintf(id, sizeof id, "w%03d", i * 7 % 90);   /* not in id order */
        convo *c = mk(id, i % 4 ? "S-A" : "S-B", 1 + i % 4, 0);
        CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
        convo_free(c);
        if (rng_below(&g, 3)) {
            prediction pr;
            random_prediction(r, &g, run, &pr);
            pr.status = "ok";
            /* Ties on the sort value, and some without an overall. */
            for (size_t k = 0; k < r->nfields; k++)
                if (pr.scores.set[k]) pr.scores.v[k] = (double)rng_below(&g, 4);
            if (rng_below(&g, 5) == 0) pr.scores.set[rubric_overall_index(r)] = 0;
            CHECK(pool_put_prediction(p, r, id, &pr, NULL, err) == 0);
        }
        if (rng_below(&g, 3) == 0) {
            scoreset h = {0};
            h.v[2] = (double)rng_below(&g, 3) * 3; h.set[2] = 1;
            CHECK(pool_add_label(p, r, id, "rev", rng_below(&g, 6) ? LABEL_CORRECTED
                                 : LABEL_SKIPPED, &h, NULL, NULL, err) == 0);
        }
        if (rng_below(&g, 6) == 0) CHECK(pool_set_edge(p, id, "rev", 1, NULL, err) == 0);
    }
    CHECK(pool_commit(p, err) == 0);
    sqlite3 *db;
    CHECK(sqlite3_open_v2(pool_path(p), &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    static const struct { const char *spec, *where; } fl[] = {
        {"all", "1"}, {"to-review", "status = 1"}, {"reviewed", "status = 2"},
        {"edge", "edge = 1"}, {"disagree:1", ANY_DIFF("1", "1")},
        {"disagree:3:customer_negative_score",
         ANY_DIFF("3", "a.key = 'customer_negative_score'")},
        {"unscored", "pred_id IS NULL"}, {"scored", "pred_id IS NOT NULL"},
        {"seller=S-A", "seller_id = 'S-A'"},
    };
    static const char *cols[] = {"id", "seller_id", "n_messages", "model_overall",
                                 "human_overall", "diff", "status", "edge"};
    const int lim = 6;
    for (size_t k = 0; k < sizeof fl / sizeof fl[0]; k++)
        for (int s = 0; s < 8; s++)
            for (int d = 0; d < 2; d++) {
                pool_filter f;
                CHECK(pool_filter_parse(fl[k].spec, &f, err) == 0);
                f.sort = (pool_sort_kind)s;
                f.desc = d;
                /* Offsets as a user reaches them: down row by row, a page,
                 * the end, up, the middle... with changes on the way. */
                int64_t t = pool_count(p, &f, err), h2 = t / 2, e = t - lim;
                const int64_t path[] = {0, 1, 2, 3, 9, 16, 15, 14, 7, 0, e, e + 1,
                                        e - 1, e - 2, h2, h2 + 1, h2 - 7, h2 - 6,
                                        30, h2, h2 - 1, h2 + 3, 2, 1, 0, t + 5, 5};
                for (size_t i = 0; i < sizeof path / sizeof path[0]; i++) {
                    if (i == 12 || i == 20) {
                        /* A change mid-walk, by another process or this
                         * one: the next window must see it. */
                        char id[16];
                        snprintf(id, sizeof id, "w%03d", (int)(k * 16 + (size_t)s * 2 + (size_t)d + i) % 90);
                        pool *q = i == 12 ? pool_open(pool_path(p), err) : p;
                        CHECK(q != NULL);
                        CHECK(pool_set_edge(q, id, "rev", (int)(i + k + (size_t)s) % 2, NULL, err) == 0);
                        scoreset h = {0};
                        h.v[2] = (double)(i % 4); h.set[2] = 1;
                        CHECK(pool_add_label(q, r, id, "rev", LABEL_ACCEPTED, &h, NULL, NULL, err) == 0);
                        if (q != p) pool_close(q);
                    }
                    pool_row rows[8];
                    if (path[i] < 0) continue;
                    int n = pool_list(p, &f, path[i], lim, rows, err);
                    CHECK_MSG(n >= 0, "%s", err);
                    sbuf got = {0};
                    for (int j = 0; j < n; j++) sbuf_addf(&got, "%s\n", rows[j].id);
                    if (n > 0) pool_rows_clear(rows, n);
                    char sql[1024];
                    snprintf(sql, sizeof sql, "SELECT id FROM conversations NOT INDEXED"
                             " WHERE %s ORDER BY %s %s, id %s LIMIT %d OFFSET %lld",
                             fl[k].where, cols[s], d ? "DESC" : "ASC",
                             d ? "DESC" : "ASC", lim, (long long)path[i]);
                    char *want = rows_of(db, sql);
                    int same = strcmp(got.s ? got.s : "", want) == 0;
                    if (!same)
                        fprintf(stderr, "%s by %s%s at %lld (step %zu):\n--- got\n%s--- want\n%s",
                                fl[k].spec, cols[s], d ? " desc" : "", (long long)path[i],
                                i, got.s ? got.s : "", want);
                    free(want);
                    sbuf_free(&got);
                    CHECK(same);
                }
            }
    sqlite3_close(db);
    pool_close(p);
    rubric_free(r);
}

/* A pool written by an early build of schema 2 (new conversations counted
 * by a trigger, no conv_s_* indexes) is repaired when opened. */
TEST(pool_early_v2_is_repaired)
{
    pool *p = tpool_open("early.db");
    CHECK(p != NULL);
    char err[ERR_MAX];
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "e%d", i);
        convo *c = mk(id, "S-A", 2, 0);
        CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
        convo_free(c);
    }
    char path[512];
    snprintf(path, sizeof path, "%s", pool_path(p));
    pool_close(p);
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
        "DROP INDEX conv_s_model; DROP INDEX conv_s_human; DROP INDEX conv_s_diff;"
        "CREATE TRIGGER conv_counts_ins AFTER INSERT ON conversations BEGIN"
        " INSERT INTO conv_counts VALUES(new.seller_id, new.status, new.edge,"
        " new.pred_id IS NOT NULL, 1, new.n_messages) ON CONFLICT(seller_id,"
        " status, edge, scored) DO UPDATE SET n = n + 1, msgs = msgs + excluded.msgs; END;"
        "UPDATE conv_counts SET n = n * 2, msgs = msgs * 2;",
        NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    p = pool_open(path, err);
    CHECK_MSG(p != NULL, "%s", err);
    convo *c = mk("e9", "S-B", 3, 0);
    CHECK(pool_put_convo(p, c, "t", NULL, err) == 0);
    convo_free(c);
    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(same_rows(db, counts_now, counts_recount));
    char *n = rows_of(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                          " ('conv_s_model', 'conv_s_human', 'conv_s_diff')"
                          " UNION ALL SELECT count(*) FROM sqlite_master"
                          " WHERE name = 'conv_counts_ins'");
    CHECK_STR(n, "3\n0\n");
    free(n);
    sqlite3_close(db);
    pool_close(p);
}

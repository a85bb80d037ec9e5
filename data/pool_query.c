/* pool_query.c: windowed lists, filters, statistics and example sets,
 * aggregated in SQL so nothing walks the whole pool in C. */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *status_names[] = {"unscored", "to review", "reviewed",
                                     "skipped"};

/* WHERE clause for a filter; parameters ?1 disagree threshold, ?2 search
 * pattern, ?3 seller. */
static void where_clause(const pool_filter *f, sbuf *b)
{
    sbuf_add(b, " WHERE 1");
    switch (f->kind) {
    case FILTER_TO_REVIEW: sbuf_add(b, " AND c.status = 1"); break;
    case FILTER_REVIEWED: sbuf_add(b, " AND c.status = 2"); break;
    case FILTER_EDGE: sbuf_add(b, " AND c.edge = 1"); break;
    case FILTER_DISAGREE: sbuf_add(b, " AND c.diff >= ?1"); break;
    case FILTER_UNSCORED: sbuf_add(b, " AND c.pred_id IS NULL"); break;
    case FILTER_SCORED: sbuf_add(b, " AND c.pred_id IS NOT NULL"); break;
    case FILTER_ALL: break;
    }
    if (f->search && *f->search)
        sbuf_add(b, " AND (c.seller_id LIKE ?2 ESCAPE '\\' OR c.id LIKE ?2 "
                    "ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m WHERE "
                    "m.mid BETWEEN c.msg_first AND c.msg_last AND m.cid = c.cid"
                    " AND m.text LIKE ?2 ESCAPE '\\'))");
    if (f->seller) sbuf_add(b, " AND c.seller_id = ?3");
}

static void bind_filter(sqlite3_stmt *s, const pool_filter *f)
{
    sqlite3_bind_double(s, 1, f->disagree > 0 ? f->disagree : 2.0);
    if (f->search && *f->search) {
        sbuf pat = {0};
        sbuf_addc(&pat, '%');
        for (const char *c = f->search; *c; c++) {
            if (*c == '%' || *c == '_' || *c == '\\') sbuf_addc(&pat, '\\');
            sbuf_addc(&pat, *c);
        }
        sbuf_addc(&pat, '%');
        sqlite3_bind_text(s, 2, pat.s, -1, SQLITE_TRANSIENT);
        sbuf_free(&pat);
    }
    if (f->seller) sqlite3_bind_text(s, 3, f->seller, -1, SQLITE_TRANSIENT);
}

static const char *sort_col(pool_sort_kind k)
{
    switch (k) {
    case SORT_SELLER: return "c.seller_id";
    case SORT_MESSAGES: return "c.n_messages";
    case SORT_MODEL: return "c.model_overall";
    case SORT_HUMAN: return "c.human_overall";
    case SORT_DIFF: return "c.diff";
    case SORT_STATUS: return "c.status";
    case SORT_EDGE: return "c.edge";
    case SORT_ID: break;
    }
    return NULL;
}

int pool_list(pool *p, const pool_filter *f, int64_t offset, int limit,
              pool_row *rows, char *err)
{
    sbuf q = {0};
    sbuf_add(&q, "SELECT c.id, c.seller_id, c.n_messages, c.model_overall, "
                 "c.human_overall, c.status, c.edge FROM conversations c");
    where_clause(f, &q);
    const char *col = sort_col(f->sort);
    const char *dir = f->desc ? "DESC" : "ASC";
    if (col) sbuf_addf(&q, " ORDER BY %s %s, c.id %s", col, dir, dir);
    else sbuf_addf(&q, " ORDER BY c.id %s", dir);
    sbuf_add(&q, " LIMIT ?4 OFFSET ?5");
    sqlite3_stmt *s = pool_prepare(p, q.s, err);
    sbuf_free(&q);
    if (!s) return -1;
    bind_filter(s, f);
    sqlite3_bind_int(s, 4, limit);
    sqlite3_bind_int64(s, 5, offset);
    int n = 0, rc;
    while (n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        pool_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        snprintf(r->id, sizeof r->id, "%s", sqlite3_column_text(s, 0));
        snprintf(r->seller_id, sizeof r->seller_id, "%s",
                 sqlite3_column_text(s, 1));
        r->nmsgs = sqlite3_column_int(s, 2);
        r->has_model = sqlite3_column_type(s, 3) != SQLITE_NULL;
        r->model_overall = sqlite3_column_double(s, 3);
        r->has_human = sqlite3_column_type(s, 4) != SQLITE_NULL;
        r->human_overall = sqlite3_column_double(s, 4);
        int st = sqlite3_column_int(s, 5);
        snprintf(r->status, sizeof r->status, "%s",
                 status_names[st >= 0 && st < 4 ? st : 0]);
        r->edge = sqlite3_column_int(s, 6);
    }
    if (n < limit) rc = sqlite3_errcode(p->db);
    else rc = SQLITE_OK;
    sqlite3_finalize(s);
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        return pool_sql_err(p, "list", err);
    return n;
}

int64_t pool_count(pool *p, const pool_filter *f, char *err)
{
    sbuf q = {0};
    sbuf_add(&q, "SELECT count(*) FROM conversations c");
    where_clause(f, &q);
    sqlite3_stmt *s = pool_prepare(p, q.s, err);
    sbuf_free(&q);
    if (!s) return -1;
    bind_filter(s, f);
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    if (n < 0) pool_sql_err(p, "count", err);
    sqlite3_finalize(s);
    return n;
}

int pool_each_id(pool *p, const pool_filter *f,
                 int (*fn)(const char *id, void *ctx), void *ctx, char *err)
{
    sbuf q = {0};
    sbuf_add(&q, "SELECT c.id FROM conversations c");
    where_clause(f, &q);
    sbuf_add(&q, " ORDER BY c.id");
    sqlite3_stmt *s = pool_prepare(p, q.s, err);
    sbuf_free(&q);
    if (!s) return -1;
    bind_filter(s, f);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (fn((const char *)sqlite3_column_text(s, 0), ctx)) { rc = SQLITE_DONE; break; }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "list ids", err);
}

int pool_filter_parse(const char *spec, pool_filter *f, char *err)
{
    memset(f, 0, sizeof *f);
    f->disagree = 2.0;
    if (!spec || !*spec || !strcmp(spec, "all")) return 0;
    static const struct { const char *name; pool_filter_kind k; } names[] = {
        {"to-review", FILTER_TO_REVIEW}, {"reviewed", FILTER_REVIEWED},
        {"edge", FILTER_EDGE}, {"unscored", FILTER_UNSCORED},
        {"scored", FILTER_SCORED}, {"all", FILTER_ALL},
    };
    if (!strncmp(spec, "seller=", 7)) { f->seller = spec + 7; return 0; }
    if (!strncmp(spec, "search=", 7)) { f->search = spec + 7; return 0; }
    if (!strncmp(spec, "disagree", 8)) {
        f->kind = FILTER_DISAGREE;
        if (spec[8] == ':' || spec[8] == '=') {
            char *end;
            f->disagree = strtod(spec + 9, &end);
            if (end == spec + 9 || *end || f->disagree < 0) {
                err_set(err, "--filter %s: threshold must be a number >= 0", spec);
                return -1;
            }
        } else if (spec[8]) {
            goto bad;
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(spec, names[i].name)) { f->kind = names[i].k; return 0; }
bad:
    err_set(err, "--filter %s: expected to-review, reviewed, edge, "
            "disagree[:T], unscored, scored, all, seller=ID or search=TEXT",
            spec);
    return -1;
}

/* ---- statistics ---- */

static int64_t scalar(pool *p, const char *sql, char *err)
{
    sqlite3_stmt *s = pool_prepare(p, sql, err);
    if (!s) return -1;
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
}

static void fill_agg(sqlite3_stmt *s, int col, pool_agg *a)
{
    a->n = sqlite3_column_int64(s, col);
    if (a->n == 0) return;
    a->mean = sqlite3_column_double(s, col + 1);
    double m2 = sqlite3_column_double(s, col + 2);
    double var = m2 - a->mean * a->mean;
    a->sd = var > 0 ? sqrt(var) : 0;
    a->min = sqlite3_column_double(s, col + 3);
    a->max = sqlite3_column_double(s, col + 4);
}

/* One pass over the model/human score JSON of every conversation in scope:
 * count, mean, mean of squares, min, max per field, and |model - human|. */
static int field_aggs(pool *p, const rubric *r, int64_t run_id,
                      const char *seller, pool_stats *out, char *err)
{
    sbuf q = {0};
    sbuf_add(&q, "WITH v AS (SELECT");
    int first = 1;
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_scored(&r->fields[i])) continue;
        const char *n = r->fields[i].name;
        sbuf_addf(&q, "%s json_extract(pr.scores, '$.%s') AS m%zu,"
                      " json_extract(lb.scores, '$.%s') AS h%zu",
                  first ? "" : ",", n, i, n, i);
        first = 0;
    }
    if (run_id > 0)
        sbuf_add(&q, " FROM conversations c"
                     " LEFT JOIN predictions pr ON pr.id = (SELECT max(id) FROM"
                     "  predictions WHERE cid = c.cid AND run_id = ?1)");
    else
        sbuf_add(&q, " FROM conversations c"
                     " LEFT JOIN predictions pr ON pr.id = c.pred_id");
    sbuf_add(&q, " LEFT JOIN labels lb ON lb.id = c.label_id AND c.status = 2"
                 " WHERE (?2 IS NULL OR c.seller_id = ?2)"
                 " AND (pr.id IS NOT NULL OR lb.id IS NOT NULL)) SELECT");
    first = 1;
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_scored(&r->fields[i])) continue;
        sbuf_addf(&q, "%s count(m%zu), avg(m%zu), avg(m%zu*m%zu), min(m%zu), max(m%zu),"
                      " count(h%zu), avg(h%zu), avg(h%zu*h%zu), min(h%zu), max(h%zu),"
                      " count(m%zu-h%zu), avg(abs(m%zu-h%zu)),"
                      " avg((m%zu-h%zu)*(m%zu-h%zu)), min(abs(m%zu-h%zu)),"
                      " max(abs(m%zu-h%zu))",
                  first ? "" : ",", i, i, i, i, i, i, i, i, i, i, i, i, i, i,
                  i, i, i, i, i, i, i, i, i, i);
        first = 0;
    }
    sbuf_add(&q, " FROM v");
    sqlite3_stmt *s = pool_prepare(p, q.s, err);
    sbuf_free(&q);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, run_id);
    pool_bind_text(s, 2, seller);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return pool_sql_err(p, "statistics", err);
    }
    int col = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_scored(&r->fields[i])) continue;
        fill_agg(s, col, &out->model[i]);
        fill_agg(s, col + 5, &out->human[i]);
        fill_agg(s, col + 10, &out->abs_err[i]);
        col += 15;
    }
    sqlite3_finalize(s);
    return 0;
}

int pool_get_stats(pool *p, const rubric *r, int64_t run_id,
                   const char *seller, pool_stats *out, char *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT count(*), coalesce(sum(n_messages),0), count(pred_id),"
        " sum(status = 2), sum(status = 3), sum(edge) FROM conversations"
        " WHERE ?1 IS NULL OR seller_id = ?1", err);
    if (!s) return -1;
    pool_bind_text(s, 1, seller);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return pool_sql_err(p, "statistics", err);
    }
    out->conversations = sqlite3_column_int64(s, 0);
    out->messages = sqlite3_column_int64(s, 1);
    out->scored = sqlite3_column_int64(s, 2);
    out->reviewed = sqlite3_column_int64(s, 3);
    out->skipped = sqlite3_column_int64(s, 4);
    out->edge = sqlite3_column_int64(s, 5);
    sqlite3_finalize(s);
    out->programs = scalar(p, "SELECT count(*) FROM programs", err);
    out->runs = scalar(p, "SELECT count(*) FROM runs", err);
    /* "Today" is the reviewer's local day. */
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT cid) FROM labels WHERE "
             "created_at >= %lld AND undone_at IS NULL", (long long)mktime(&tm));
    out->reviewed_today = scalar(p, sql, err);
    if (out->programs < 0 || out->runs < 0 || out->reviewed_today < 0) return -1;
    return field_aggs(p, r, run_id, seller, out, err);
}

int pool_histogram(pool *p, const rubric *r, int field, int human,
                   int64_t run_id, const char *seller, int nbins,
                   int64_t *bins, char *err)
{
    memset(bins, 0, (size_t)nbins * sizeof *bins);
    if (field < 0 || (size_t)field >= r->nfields ||
        !rubric_is_scored(&r->fields[field])) {
        err_set(err, "histogram: field %d is not a score", field);
        return -1;
    }
    const rubric_field *f = &r->fields[field];
    sbuf q = {0};
    sbuf_addf(&q, "SELECT min(?3 - 1, CAST((v - ?4) / (?5 - ?4) * ?3 AS INTEGER)), "
                  "count(*) FROM (SELECT json_extract(x.scores, '$.%s') AS v "
                  "FROM conversations c JOIN ", f->name);
    if (human)
        sbuf_add(&q, "labels x ON x.id = c.label_id AND c.status = 2");
    else if (run_id > 0)
        sbuf_add(&q, "predictions x ON x.id = (SELECT max(id) FROM predictions "
                     "WHERE cid = c.cid AND run_id = ?1)");
    else
        sbuf_add(&q, "predictions x ON x.id = c.pred_id");
    sbuf_add(&q, " WHERE (?2 IS NULL OR c.seller_id = ?2)) WHERE v IS NOT NULL"
                 " GROUP BY 1");
    sqlite3_stmt *s = pool_prepare(p, q.s, err);
    sbuf_free(&q);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, run_id);
    pool_bind_text(s, 2, seller);
    sqlite3_bind_int(s, 3, nbins);
    sqlite3_bind_double(s, 4, f->lo);
    sqlite3_bind_double(s, 5, f->hi);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int b = sqlite3_column_int(s, 0);
        if (b < 0) b = 0;
        if (b >= nbins) b = nbins - 1;
        bins[b] += sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "histogram", err);
}

/* ---- examples ---- */

int pool_reviewed_examples(pool *p, pool_example **out, char *err)
{
    *out = NULL;
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT c.id, c.human_overall, c.edge, "
        " (SELECT note FROM edge_marks WHERE cid = c.cid ORDER BY id DESC LIMIT 1)"
        " FROM conversations c WHERE c.status = 2 ORDER BY c.id", err);
    if (!s) return -1;
    int n = 0, cap = 0, rc;
    pool_example *ex = NULL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            ex = xrealloc(ex, (size_t)cap * sizeof *ex);
        }
        ex[n].conv_id = pool_col_strdup(s, 0);
        ex[n].human_overall = sqlite3_column_double(s, 1);
        ex[n].edge = sqlite3_column_int(s, 2);
        ex[n].edge_note = ex[n].edge ? pool_col_strdup(s, 3) : NULL;
        n++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        pool_examples_free(ex, n);
        return pool_sql_err(p, "examples", err);
    }
    *out = ex;
    return n;
}

void pool_examples_free(pool_example *ex, int n)
{
    for (int i = 0; i < n; i++) {
        free(ex[i].conv_id);
        free(ex[i].edge_note);
    }
    free(ex);
}

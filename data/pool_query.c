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

/* The list index of a sort: (sort column, id, the filter columns), so the
 * window is read in index order and the filter tested on the index entry
 * (schema v2). Not forced with a seller, whose own index is better. */
static const char *sort_index(pool_sort_kind k)
{
    static const char *names[] = {"conv_l_id", "conv_l_seller", "conv_l_nmsg",
                                  "conv_l_model", "conv_l_human", "conv_l_diff",
                                  "conv_l_status", "conv_l_edge"};
    return k >= SORT_ID && k <= SORT_EDGE ? names[k] : names[0];
}

static void from_clause(const pool_filter *f, sbuf *b)
{
    sbuf_add(b, " FROM conversations c");
    if (!f->seller) sbuf_addf(b, " INDEXED BY %s", sort_index(f->sort));
}

int pool_list(pool *p, const pool_filter *f, int64_t offset, int limit,
              pool_row *rows, char *err)
{
    sbuf q = {0};
    sbuf_add(&q, "SELECT c.id, c.seller_id, c.n_messages, c.model_overall, "
                 "c.human_overall, c.status, c.edge");
    from_clause(f, &q);
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

/* Counts without a search or a threshold come from conv_counts (kept by
 * triggers); the disagreement count is a range of the diff index; only a
 * search has to look at every conversation. */
int64_t pool_count(pool *p, const pool_filter *f, char *err)
{
    sbuf q = {0};
    if ((!f->search || !*f->search) && f->kind != FILTER_DISAGREE) {
        sbuf_add(&q, "SELECT coalesce(sum(n), 0) FROM conv_counts k WHERE 1");
        switch (f->kind) {
        case FILTER_TO_REVIEW: sbuf_add(&q, " AND k.status = 1"); break;
        case FILTER_REVIEWED: sbuf_add(&q, " AND k.status = 2"); break;
        case FILTER_EDGE: sbuf_add(&q, " AND k.edge = 1"); break;
        case FILTER_UNSCORED: sbuf_add(&q, " AND NOT k.scored"); break;
        case FILTER_SCORED: sbuf_add(&q, " AND k.scored"); break;
        default: break;
        }
        if (f->seller) sbuf_add(&q, " AND k.seller_id = ?3");
    } else {
        sbuf_add(&q, "SELECT count(*) FROM conversations c");
        if (!f->seller && f->kind == FILTER_DISAGREE && (!f->search || !*f->search))
            sbuf_add(&q, " INDEXED BY conv_l_diff");
        where_clause(f, &q);
    }
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
    pool_filter by_id = *f;
    by_id.sort = SORT_ID;
    sbuf_add(&q, "SELECT c.id");
    from_clause(&by_id, &q);
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

/* Count, mean, sd, min and max from count, sum and sum of squares. */
static void agg_from(pool_agg *a, int64_t n, double s1, double s2, double lo,
                     double hi)
{
    a->n = n;
    if (n <= 0) return;
    a->mean = s1 / (double)n;
    double var = s2 / (double)n - a->mean * a->mean;
    a->sd = var > 0 ? sqrt(var) : 0;
    a->min = lo;
    a->max = hi;
}

/* Per-field model, human and |model - human| figures from score_agg (one
 * row per distinct value: a few hundred rows whatever the pool size). */
static int field_aggs(pool *p, const rubric *r, int64_t run_id,
                      const char *seller, pool_stats *out, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT kind, field, sum(n), sum(n * value), sum(n * value * value),"
        " min(value), max(value) FROM score_agg"
        " WHERE ((run_id = ?1 AND kind IN (0, 2)) OR (run_id = 0 AND kind = 1))"
        " AND (?2 IS NULL OR seller_id = ?2) AND n > 0 GROUP BY kind, field",
        err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, run_id > 0 ? run_id : 0);
    pool_bind_text(s, 2, seller);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int kind = sqlite3_column_int(s, 0);
        int i = rubric_field_index(r, (const char *)sqlite3_column_text(s, 1));
        if (i < 0 || !rubric_is_scored(&r->fields[i]) || kind < 0 || kind > 2)
            continue;
        pool_agg *a = kind == 0 ? &out->model[i] : kind == 1 ? &out->human[i]
                                                             : &out->abs_err[i];
        agg_from(a, sqlite3_column_int64(s, 2), sqlite3_column_double(s, 3),
                 sqlite3_column_double(s, 4), sqlite3_column_double(s, 5),
                 sqlite3_column_double(s, 6));
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "statistics", err);
}

int pool_get_stats(pool *p, const rubric *r, int64_t run_id,
                   const char *seller, pool_stats *out, char *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT coalesce(sum(n), 0), coalesce(sum(msgs), 0),"
        " coalesce(sum(CASE WHEN scored THEN n END), 0),"
        " coalesce(sum(CASE WHEN status = 2 THEN n END), 0),"
        " coalesce(sum(CASE WHEN status = 3 THEN n END), 0),"
        " coalesce(sum(CASE WHEN edge THEN n END), 0),"
        " (SELECT count(*) FROM programs), (SELECT count(*) FROM runs)"
        " FROM conv_counts WHERE ?1 IS NULL OR seller_id = ?1", err);
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
    out->programs = sqlite3_column_int64(s, 6);
    out->runs = sqlite3_column_int64(s, 7);
    sqlite3_finalize(s);
    /* "Today" is the reviewer's local day. */
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT cid) FROM labels WHERE "
             "created_at >= %lld AND undone_at IS NULL", (long long)mktime(&tm));
    out->reviewed_today = scalar(p, sql, err);
    if (out->reviewed_today < 0) return -1;
    return field_aggs(p, r, run_id, seller, out, err);
}

int pool_histogram(pool *p, const rubric *r, int field, int human,
                   int64_t run_id, const char *seller, int nbins,
                   int64_t *bins, char *err)
{
    if (nbins < 1) {
        err_set(err, "histogram: %d bins", nbins);
        return -1;
    }
    memset(bins, 0, (size_t)nbins * sizeof *bins);
    if (field < 0 || (size_t)field >= r->nfields ||
        !rubric_is_scored(&r->fields[field])) {
        err_set(err, "histogram: field %d is not a score", field);
        return -1;
    }
    const rubric_field *f = &r->fields[field];
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT min(?3 - 1, CAST((value - ?4) / (?5 - ?4) * ?3 AS INTEGER)),"
        " sum(n) FROM score_agg WHERE run_id = ?1 AND kind = ?6 AND field = ?7"
        " AND (?2 IS NULL OR seller_id = ?2) AND n > 0 GROUP BY 1", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, human || run_id <= 0 ? 0 : run_id);
    pool_bind_text(s, 2, seller);
    sqlite3_bind_int(s, 3, nbins);
    sqlite3_bind_double(s, 4, f->lo);
    sqlite3_bind_double(s, 5, f->hi);
    sqlite3_bind_int(s, 6, human ? 1 : 0);
    sqlite3_bind_text(s, 7, f->name, -1, SQLITE_STATIC);
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

/* pool_stats.c: statistics, histograms and the reviewed example set,
 * aggregated in SQL (score_agg, conv_counts) so nothing walks the whole
 * pool in C. */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- statistics ---- */

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
        " WHERE ((run_id = ?1 AND kind IN (0, 2)) OR (run_id = ?1 AND kind = ?3))"
        " AND (?2 IS NULL OR seller_id = ?2) AND n > 0 GROUP BY kind, field",
        err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, run_id > 0 ? run_id : 0);
    pool_bind_text(s, 2, seller);
    /* A run's human figures: its own conversations' labels (kind 3). */
    sqlite3_bind_int(s, 3, run_id > 0 ? 3 : 1);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int kind = sqlite3_column_int(s, 0);
        int i = rubric_field_index(r, (const char *)sqlite3_column_text(s, 1));
        if (i < 0 || !rubric_is_scored(&r->fields[i]) || kind < 0 || kind > 3)
            continue;
        pool_agg *a = kind == 0 ? &out->model[i] : kind == 2 ? &out->abs_err[i]
                                                             : &out->human[i];
        agg_from(a, sqlite3_column_int64(s, 2), sqlite3_column_double(s, 3),
                 sqlite3_column_double(s, 4), sqlite3_column_double(s, 5),
                 sqlite3_column_double(s, 6));
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : pool_sql_err(p, "statistics", err);
}

/* Counted as "total reviewed" is: the conversation's current state is
 * reviewed (status 2); a skip is not a review. Driven by labels_created:
 * the labels since then (a day's work), not every reviewed conversation
 * (which the planner picked by itself: 24 ms a reload on 100k). */
int64_t pool_reviewed_since(pool *p, int64_t since, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT count(DISTINCT l.cid) FROM labels l INDEXED BY labels_created"
        " JOIN conversations c ON c.cid = l.cid WHERE l.created_at >= ?1"
        " AND l.undone_at IS NULL AND l.status <> 'skipped' AND c.status = 2",
        err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, since);
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    if (n < 0) pool_sql_err(p, "reviewed today", err);
    sqlite3_finalize(s);
    return n;
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
    out->reviewed_today = pool_reviewed_since(p, date_local_midnight(date_now()), err);
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
    sqlite3_bind_int64(s, 1, run_id <= 0 ? 0 : run_id);
    pool_bind_text(s, 2, seller);
    sqlite3_bind_int(s, 3, nbins);
    sqlite3_bind_double(s, 4, f->lo);
    sqlite3_bind_double(s, 5, f->hi);
    sqlite3_bind_int(s, 6, !human ? 0 : run_id > 0 ? 3 : 1);
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

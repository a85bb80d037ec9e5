/* pool_dist.c: see pool_dist.h. */
#define _POSIX_C_SOURCE 200809L
#include "pool_dist.h"
#include "pool_int.h"
#include "../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TYPES "IN ('integer','real')"

/* A growable list of counted values. */
typedef struct {
    dist_count *v;
    size_t n, cap;
} counts;

static void counts_push(counts *c, double v, int64_t n)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->v = xrealloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n].v = v;
    c->v[c->n++].n = n;
}

/* The human rows of a run in score_agg: every current label (kind 1,
 * stored under run 0) for run 0, those of the run's scored conversations
 * (kind 3) for a run. */
static int human_kind(int64_t run_id)
{
    return run_id > 0 ? 3 : 1;
}

/* Spearman of field f from the run's counted (model, human) pairs
 * (score_agg kind 4: a few thousand rows whatever the pool size). */
static int field_pairs(pool *p, const rubric_field *f, int64_t run_id,
                       const char *seller, pool_dist_field *out, char *err)
{
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT value, sum(n) FROM score_agg WHERE run_id = ?1 AND kind = 4"
        " AND field = ?2 AND (?3 IS NULL OR seller_id = ?3) AND n > 0"
        " GROUP BY value", err);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_text(s, 2, f->name, -1, SQLITE_STATIC);
    pool_bind_text(s, 3, seller);
    dist_pair *pairs = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            pairs = xrealloc(pairs, cap * sizeof *pairs);
        }
        int64_t code = sqlite3_column_int64(s, 0);
        pairs[n].x = (double)(code / POOL_PAIR_BASE - POOL_PAIR_OFF) / 100;
        pairs[n].y = (double)(code % POOL_PAIR_BASE - POOL_PAIR_OFF) / 100;
        pairs[n++].n = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(pairs);
        return pool_sql_err(p, "spearman", err);
    }
    out->has_spearman = dist_spearman(pairs, n, &out->spearman) == 0;
    free(pairs);
    return 0;
}

int pool_dist_field_get(pool *p, const rubric *r, int fi, int64_t run_id,
                        const char *seller, int want_pairs,
                        pool_dist_field *out, char *err)
{
    memset(out, 0, sizeof *out);
    out->comp_share = -1;
    if (fi < 0 || (size_t)fi >= r->nfields || !rubric_is_scored(&r->fields[fi])) {
        err_set(err, "distribution: field %d is not a score", fi);
        return -1;
    }
    if (run_id < 0) run_id = 0;
    const rubric_field *f = &r->fields[fi];
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT kind, value, sum(n) FROM score_agg WHERE field = ?1"
        " AND ((run_id = ?2 AND kind IN (0, 2)) OR (run_id = ?5 AND kind = ?4))"
        " AND (?3 IS NULL OR seller_id = ?3) AND n > 0"
        " GROUP BY kind, value ORDER BY kind, value", err);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, f->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, run_id);
    pool_bind_text(s, 3, seller);
    sqlite3_bind_int(s, 4, human_kind(run_id));
    sqlite3_bind_int64(s, 5, run_id > 0 ? run_id : 0);
    counts c[4] = {{0}};
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int k = sqlite3_column_int(s, 0);
        if (k < 0 || k > 3) continue;
        counts_push(&c[k], sqlite3_column_double(s, 1), sqlite3_column_int64(s, 2));
    }
    sqlite3_finalize(s);
    int ret = 0;
    if (rc != SQLITE_DONE) {
        ret = pool_sql_err(p, "distribution", err);
    } else {
        counts *h = &c[human_kind(run_id)];
        dist_agg_from(&out->model, c[0].v, c[0].n);
        dist_agg_from(&out->human, h->v, h->n);
        dist_agg_from(&out->abs_err, c[2].v, c[2].n);
        out->comp_share = dist_compression(c[0].v, c[0].n, DIST_BAND,
                                           DIST_ALARM_MIN_N, &out->comp_lo);
        dist_histogram(c[0].v, c[0].n, f->lo, f->hi, DIST_BINS, out->hist_model);
        dist_histogram(h->v, h->n, f->lo, f->hi, DIST_BINS, out->hist_human);
        if (want_pairs) ret = field_pairs(p, f, run_id, seller, out, err);
    }
    for (int k = 0; k < 4; k++) free(c[k].v);
    return ret;
}

/* ---- sellers ---- */

/* LIKE pattern for an id prefix: % and _ are plain characters. */
static char *prefix_like_new(const char *m)
{
    sbuf b = {0};
    for (const char *c = m; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\') sbuf_addc(&b, '\\');
        sbuf_addc(&b, *c);
    }
    sbuf_addc(&b, '%');
    return sbuf_take(&b);
}

static int seller_cmp(const void *a, const void *b)
{
    return strcmp(((const pool_dist_seller *)a)->seller,
                  ((const pool_dist_seller *)b)->seller);
}

/* Summarises the collected values of one (seller, kind). */
static void seller_flush(pool_dist_seller *s, int kind, int hk, counts *c)
{
    if (!s || c->n == 0) { c->n = 0; return; }
    if (kind == 0) {
        dist_agg_from(&s->model, c->v, c->n);
        s->comp_share = dist_compression(c->v, c->n, DIST_BAND,
                                         DIST_ALARM_MIN_N, &s->comp_lo);
    } else if (kind == 2) {
        dist_agg_from(&s->abs_err, c->v, c->n);
    } else if (kind == hk) {
        dist_agg_from(&s->human, c->v, c->n);
    }
    c->n = 0;
}

int pool_dist_sellers_new(pool *p, const rubric *r, int fi, int64_t run_id,
                          const char *match, pool_dist_seller **out,
                          char *err)
{
    *out = NULL;
    if (fi < 0 || (size_t)fi >= r->nfields || !rubric_is_scored(&r->fields[fi])) {
        err_set(err, "sellers: field %d is not a score", fi);
        return -1;
    }
    if (run_id < 0) run_id = 0;
    char *like = match && *match ? prefix_like_new(match) : NULL;
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT seller_id, sum(n) FROM conv_counts WHERE n > 0 AND"
        " (?1 IS NULL OR seller_id LIKE ?1 ESCAPE '\\')"
        " GROUP BY seller_id ORDER BY seller_id", err);
    if (!s) { free(like); return -1; }
    pool_bind_text(s, 1, like);
    pool_dist_seller *v = NULL;
    int n = 0, cap = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            v = xrealloc(v, (size_t)cap * sizeof *v);
        }
        memset(&v[n], 0, sizeof v[n]);
        v[n].seller = pool_col_strdup(s, 0);
        v[n].conversations = sqlite3_column_int64(s, 1);
        v[n].comp_share = -1;
        n++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(like);
        pool_dist_sellers_free(v, n);
        return pool_sql_err(p, "sellers", err);
    }
    s = pool_prepare(p,
        "SELECT seller_id, kind, value, sum(n) FROM score_agg WHERE field = ?2"
        " AND ((run_id = ?3 AND kind IN (0, 2)) OR (run_id = ?5 AND kind = ?4))"
        " AND n > 0 AND (?1 IS NULL OR seller_id LIKE ?1 ESCAPE '\\')"
        " GROUP BY seller_id, kind, value ORDER BY seller_id, kind, value", err);
    if (!s) { free(like); pool_dist_sellers_free(v, n); return -1; }
    int hk = human_kind(run_id);
    pool_bind_text(s, 1, like);
    sqlite3_bind_text(s, 2, r->fields[fi].name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, run_id);
    sqlite3_bind_int(s, 4, hk);
    sqlite3_bind_int64(s, 5, run_id > 0 ? run_id : 0);
    counts c = {0};
    pool_dist_seller *cur = NULL;
    int kind = -1;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *sid = (const char *)sqlite3_column_text(s, 0);
        int k = sqlite3_column_int(s, 1);
        if (!cur || strcmp(cur->seller, sid) || k != kind) {
            seller_flush(cur, kind, hk, &c);
            pool_dist_seller key = {.seller = (char *)sid};
            cur = bsearch(&key, v, (size_t)n, sizeof *v, seller_cmp);
            kind = k;
        }
        counts_push(&c, sqlite3_column_double(s, 2), sqlite3_column_int64(s, 3));
    }
    seller_flush(cur, kind, hk, &c);
    free(c.v);
    sqlite3_finalize(s);
    free(like);
    if (rc != SQLITE_DONE) {
        pool_dist_sellers_free(v, n);
        return pool_sql_err(p, "sellers", err);
    }
    *out = v;
    return n;
}

void pool_dist_sellers_free(pool_dist_seller *s, int n)
{
    for (int i = 0; i < n; i++) free(s[i].seller);
    free(s);
}

static const char *seller_sort_names[SELLER_SORTS] = {
    "seller", "n", "model mean", "model sd", "human mean", "MAE", "compression",
};

const char *pool_dist_seller_sort_name(pool_dist_seller_sort by)
{
    return by >= 0 && by < SELLER_SORTS ? seller_sort_names[by] : "?";
}

/* The sort key of a row; 0 when it has none. */
static int seller_key(const pool_dist_seller *s, pool_dist_seller_sort by,
                      double *k)
{
    switch (by) {
    case SELLER_BY_N: *k = (double)s->conversations; return 1;
    case SELLER_BY_MODEL_MEAN: *k = s->model.mean; return s->model.n > 0;
    case SELLER_BY_MODEL_SD: *k = s->model.sd; return s->model.n > 0;
    case SELLER_BY_HUMAN_MEAN: *k = s->human.mean; return s->human.n > 0;
    case SELLER_BY_MAE: *k = s->abs_err.mean; return s->abs_err.n > 0;
    case SELLER_BY_COMPRESSION: *k = s->comp_share; return s->comp_share >= 0;
    default: *k = 0; return 1;
    }
}

void pool_dist_sellers_sort(pool_dist_seller *s, int n,
                            pool_dist_seller_sort by, int desc)
{
    /* Insertion sort: stable, and a seller list is hundreds of rows. */
    for (int i = 1; i < n; i++) {
        pool_dist_seller t = s[i];
        double kt;
        int ht = seller_key(&t, by, &kt);
        int j = i;
        while (j > 0) {
            double kp;
            int hp = seller_key(&s[j - 1], by, &kp);
            int before;   /* t goes before s[j-1] */
            if (hp != ht) before = ht;           /* rows without a figure last */
            else if (!ht || kp == kt || by == SELLER_BY_ID)
                before = strcmp(t.seller, s[j - 1].seller) < 0 ?
                         (by == SELLER_BY_ID && desc ? 0 : 1) :
                         (by == SELLER_BY_ID && desc ? 1 : 0);
            else before = desc ? kt > kp : kt < kp;
            if (!before) break;
            s[j] = s[j - 1];
            j--;
        }
        s[j] = t;
    }
}

/* ---- trend ---- */

typedef struct {
    int64_t day;
    int64_t n[2][RUBRIC_MAX_FIELDS];
    double s1[2][RUBRIC_MAX_FIELDS], s2[2][RUBRIC_MAX_FIELDS];
} day_sums;

static day_sums *day_find(day_sums **d, int *n, int *cap, int64_t day)
{
    for (int i = *n - 1; i >= 0; i--)   /* rows come grouped by day */
        if ((*d)[i].day == day) return &(*d)[i];
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *d = xrealloc(*d, (size_t)*cap * sizeof **d);
    }
    memset(&(*d)[*n], 0, sizeof **d);
    (*d)[*n].day = day;
    return &(*d)[(*n)++];
}

static int day_cmp(const void *a, const void *b)
{
    int64_t x = ((const day_sums *)a)->day, y = ((const day_sums *)b)->day;
    return x < y ? -1 : x > y;
}

int pool_dist_trend_new(pool *p, const rubric *r, int64_t run_id,
                        const char *seller, pool_dist_bucket **out,
                        int64_t *step, char *err)
{
    *out = NULL;
    *step = 86400;
    if (run_id < 0) run_id = 0;
    const char *from = run_id > 0
        ? "(SELECT cid, max(id) AS id FROM predictions WHERE run_id = ?1"
          " GROUP BY cid) lp JOIN conversations c ON c.cid = lp.cid"
        : "conversations c";
    const char *pred = run_id > 0 ? "lp.id" : "c.pred_id";
    char sql[1400];
    /* Sums per UTC day and field, model (0) then human (1): for the latest
     * predictions of all sellers from the day counts (score_agg kinds 5
     * and 6), else by a scan of the run's or seller's scores. */
    int counted = run_id == 0 && !seller;
    if (counted)
        snprintf(sql, sizeof sql,
            "SELECT kind - 5, CAST(value AS INTEGER) / %d, field, sum(n),"
            " sum(n * ((CAST(value AS INTEGER) %% %d) - %d) / 100.0),"
            " sum(n * (((CAST(value AS INTEGER) %% %d) - %d) / 100.0) *"
            " (((CAST(value AS INTEGER) %% %d) - %d) / 100.0))"
            " FROM score_agg WHERE run_id = 0 AND kind IN (5, 6) AND seller_id = ''"
            " AND n > 0 GROUP BY 1, 2, 3",
            POOL_PAIR_BASE, POOL_PAIR_BASE, POOL_PAIR_OFF, POOL_PAIR_BASE,
            POOL_PAIR_OFF, POOL_PAIR_BASE, POOL_PAIR_OFF);
    else
        snprintf(sql, sizeof sql,
            "SELECT 0, c.first_ts / 86400, a.key, count(*), sum(a.value),"
            " sum(a.value * a.value) FROM %s JOIN predictions pr ON pr.id = %s,"
            " json_each(pr.scores) a WHERE a.type " TYPES " AND c.first_ts IS NOT NULL"
            " %s GROUP BY 2, 3"
            " UNION ALL "
            "SELECT 1, c.first_ts / 86400, a.key, count(*), sum(a.value),"
            " sum(a.value * a.value) FROM %s JOIN labels lb ON lb.id = c.label_id,"
            " json_each(lb.scores) a WHERE c.status = 2 AND a.type " TYPES
            " AND c.first_ts IS NOT NULL AND %s IS NOT NULL"
            " %s GROUP BY 2, 3",
            /* A plain equality, so the seller's index is used. */
            from, pred, seller ? "AND c.seller_id = ?2" : "", from,
            run_id > 0 ? "lp.id" : "c.pred_id", seller ? "AND c.seller_id = ?2" : "");
    sqlite3_stmt *s = pool_prepare(p, sql, err);
    if (!s) return -1;
    if (!counted) {
        sqlite3_bind_int64(s, 1, run_id);
        pool_bind_text(s, 2, seller);
    }
    day_sums *d = NULL;
    int nd = 0, cap = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int side = sqlite3_column_int(s, 0) ? 1 : 0;
        int fi = rubric_field_index(r, (const char *)sqlite3_column_text(s, 2));
        if (fi < 0 || !rubric_is_scored(&r->fields[fi])) continue;
        day_sums *x = day_find(&d, &nd, &cap, sqlite3_column_int64(s, 1));
        x->n[side][fi] += sqlite3_column_int64(s, 3);
        x->s1[side][fi] += sqlite3_column_double(s, 4);
        x->s2[side][fi] += sqlite3_column_double(s, 5);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(d);
        return pool_sql_err(p, "trend", err);
    }
    if (nd == 0) { free(d); return 0; }
    qsort(d, (size_t)nd, sizeof *d, day_cmp);
    *step = dist_trend_step(d[0].day * 86400, d[nd - 1].day * 86400);
    /* Merge the days into buckets (sums add up). */
    pool_dist_bucket *b = xcalloc((size_t)nd, sizeof *b);
    day_sums acc;
    int nb = 0;
    for (int i = 0; i <= nd; i++) {
        int64_t start = i < nd ? dist_bucket_start(d[i].day * 86400, *step) : 0;
        if (i > 0 && (i == nd || start != b[nb - 1].start)) {
            for (size_t f = 0; f < r->nfields; f++) {
                dist_agg_sums(&b[nb - 1].model[f], acc.n[0][f], acc.s1[0][f], acc.s2[0][f]);
                dist_agg_sums(&b[nb - 1].human[f], acc.n[1][f], acc.s1[1][f], acc.s2[1][f]);
            }
        }
        if (i == nd) break;
        if (nb == 0 || start != b[nb - 1].start) {
            b[nb++].start = start;
            memset(&acc, 0, sizeof acc);
        }
        for (int side = 0; side < 2; side++)
            for (size_t f = 0; f < r->nfields; f++) {
                acc.n[side][f] += d[i].n[side][f];
                acc.s1[side][f] += d[i].s1[side][f];
                acc.s2[side][f] += d[i].s2[side][f];
            }
    }
    free(d);
    *out = b;
    return nb;
}

char *pool_dist_program_summary_new(pool *p, int64_t program_id, char *err)
{
    err[0] = 0;
    sqlite3_stmt *s = pool_prepare(p,
        "SELECT summary FROM runs WHERE kind = 'optimize' AND summary IS NOT NULL"
        " AND json_valid(summary) AND json_extract(summary, '$.program_id') = ?1"
        " ORDER BY id DESC LIMIT 1", err);
    if (!s) return NULL;
    sqlite3_bind_int64(s, 1, program_id);
    int rc = sqlite3_step(s);
    char *res = rc == SQLITE_ROW ? pool_col_strdup(s, 0) : NULL;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) pool_sql_err(p, "program run", err);
    return res;
}

/* pool_query.c: windowed lists, counts and id walks of a filtered view
 * (the filter language is pool_filter.c's, statistics pool_stats.c's). */
#define _POSIX_C_SOURCE 200809L
#include "pool_int.h"
#include "../core/numarg.h"
#include "../core/util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *status_names[] = {"unscored", "to review", "reviewed",
                                     "skipped"};

static int search_drives(pool *p, const pool_filter *f, int64_t m, char *err);

static int has_search(const pool_filter *f)
{
    return f->search && *f->search;
}

static int search_indexed(const pool_filter *f)
{
    return has_search(f) && pool_search_indexed(f->search);
}

/* Before a statement of f is prepared: an indexed search's matches
 * (pool_search_hits). Returns their number (0 without an indexed search)
 * or -1. */
static int64_t prepare_search(pool *p, const pool_filter *f, char *err)
{
    return search_indexed(f) ? pool_search_hits(p, f->search, err) : 0;
}

/* The terms beyond a tab and a search (seller, assignment, reviewer,
 * label dates): then no count comes from conv_counts alone. */
static int has_terms(const pool_filter *f)
{
    return f->seller || f->assigned_to || f->reviewer || f->since || f->until;
}

/* The label a reviewer or date term looks at: the reviewer's latest one
 * not undone and not stale (reviewer given), else the current one. */
#define OWN_LABEL "(SELECT l.id FROM labels l WHERE l.cid = c.cid AND" \
    " l.reviewer = ?10 AND l.undone_at IS NULL AND (l.content_hash IS NULL" \
    " OR l.content_hash = c.content_hash) ORDER BY l.id DESC LIMIT 1)"

/* WHERE clause for a filter; parameters ?1 disagree threshold, ?2 search
 * pattern (unindexed search), ?3 seller, ?8 the disagreement's field, ?9
 * assignee, ?10 reviewer, ?11 and ?12 the label date range, ?13 the
 * skipping reviewer. */
static void where_clause(const pool_filter *f, sbuf *b)
{
    sbuf_add(b, " WHERE 1");
    switch (f->kind) {
    case FILTER_TO_REVIEW: sbuf_add(b, " AND c.status = 1"); break;
    case FILTER_REVIEWED: sbuf_add(b, " AND c.status = 2"); break;
    case FILTER_EDGE: sbuf_add(b, " AND c.edge = 1"); break;
    case FILTER_DISAGREE:
        /* fdiff is the largest field difference, so it bounds the one
         * field's: the fdiff index range, then the field tested. */
        sbuf_add(b, " AND c.fdiff >= ?1");
        if (f->disagree_field)
            sbuf_add(b, " AND (SELECT round(abs(json_extract(pr.scores, ?8) -"
                        " json_extract(lb.scores, ?8)), 4) FROM predictions pr,"
                        " labels lb WHERE pr.id = c.pred_id AND lb.id = c.label_id)"
                        " >= ?1");
        break;
    case FILTER_UNSCORED: sbuf_add(b, " AND c.pred_id IS NULL"); break;
    case FILTER_SCORED: sbuf_add(b, " AND c.pred_id IS NOT NULL"); break;
    case FILTER_SKIPPED:
        /* The reviewer's skips (labels_skipped, schema 16: few) drive;
         * their latest label decides. */
        if (f->skipped_by)
            sbuf_add(b, " AND c.cid IN (SELECT cid FROM labels WHERE status ="
                        " 'skipped' AND reviewer = ?13) AND (SELECT l.status"
                        " FROM labels l WHERE l.cid = c.cid AND l.reviewer = ?13"
                        " AND l.undone_at IS NULL ORDER BY l.id DESC LIMIT 1)"
                        " = 'skipped'");
        else
            sbuf_add(b, " AND c.status = 3");
        break;
    case FILTER_FAILED:
        /* Failures (predictions_failed, schema 16: few) drive; the latest
         * attempt decides. */
        sbuf_add(b, " AND c.cid IN (SELECT cid FROM predictions WHERE status ="
                    " 'failed') AND (SELECT pf.status FROM predictions pf WHERE"
                    " pf.cid = c.cid ORDER BY pf.id DESC LIMIT 1) = 'failed'");
        break;
    case FILTER_CONFLICT: sbuf_add(b, " AND c.consensus = 3"); break;
    case FILTER_ALL: break;
    }
    if (search_indexed(f)) {
        sbuf_add(b, " AND curate_search_hit(c.cid)");
    } else if (has_search(f)) {
        sbuf_add(b, " AND ");
        pool_search_scan_sql(b, "c");
    }
    if (f->seller) sbuf_add(b, " AND c.seller_id = ?3");
    /* IN, not EXISTS: a count is then driven by the reviewer's
     * assignments (assignments_reviewer), not a walk of the whole tab. */
    if (f->assigned_to)
        sbuf_add(b, " AND c.cid IN (SELECT a.cid FROM assignments a WHERE"
                    " a.reviewer = ?9)");
    if (f->reviewer || f->since || f->until) {
        sbuf_add(b, " AND EXISTS (SELECT 1 FROM labels lr WHERE lr.id = ");
        sbuf_add(b, f->reviewer ? OWN_LABEL : "c.label_id");
        if (f->reviewer) sbuf_add(b, " AND lr.status <> 'skipped'");
        if (f->since) sbuf_add(b, " AND lr.created_at >= ?11");
        if (f->until) sbuf_add(b, " AND lr.created_at <= ?12");
        sbuf_add(b, ")");
    }
}

static void bind_filter(sqlite3_stmt *s, const pool_filter *f)
{
    sqlite3_bind_double(s, 1, f->disagree > 0 ? f->disagree : 2.0);
    if (has_search(f) && !search_indexed(f))
        sqlite3_bind_text(s, 2, pool_search_like_new(f->search), -1, free);
    if (f->seller) sqlite3_bind_text(s, 3, f->seller, -1, SQLITE_TRANSIENT);
    if (f->assigned_to) sqlite3_bind_text(s, 9, f->assigned_to, -1, SQLITE_TRANSIENT);
    if (f->reviewer) sqlite3_bind_text(s, 10, f->reviewer, -1, SQLITE_TRANSIENT);
    if (f->since) sqlite3_bind_int64(s, 11, f->since);
    if (f->until) sqlite3_bind_int64(s, 12, f->until);
    if (f->kind == FILTER_SKIPPED && f->skipped_by)
        sqlite3_bind_text(s, 13, f->skipped_by, -1, SQLITE_TRANSIENT);
    if (f->kind == FILTER_DISAGREE && f->disagree_field) {
        char path[200];
        snprintf(path, sizeof path, "$.\"%s\"", f->disagree_field);
        sqlite3_bind_text(s, 8, path, -1, SQLITE_TRANSIENT);
    }
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

/* How a list is read: walking its sort index (DENSE), or from a small set
 * of rows then sorted: the disagreements from the diff index (SPARSE_DIFF),
 * a search's matches by rowid (SPARSE_SEARCH). */
enum { DENSE = 0, SPARSE_DIFF, SPARSE_SEARCH };

/* The index a list is read from (schema v2): the sort's list index
 * (sort column, id, the filter columns), walked in order with the filter
 * tested on the index entry; for the status tabs sorted by a score, the
 * (status, score, id) one; for the edge-case tab, its own index (a small set,
 * sorted). With a seller, SQLite picks (the seller's index is best). */
static const char *list_index(const pool_filter *f, int sparse)
{
    static const char *names[] = {"conv_l_id", "conv_l_seller", "conv_l_nmsg",
                                  "conv_l_model", "conv_l_human", "conv_l_diff",
                                  "conv_l_status", "conv_l_edge"};
    int by_status = f->kind == FILTER_TO_REVIEW || f->kind == FILTER_REVIEWED;
    if (by_status && f->sort == SORT_MODEL) return "conv_s_model";
    if (by_status && f->sort == SORT_HUMAN) return "conv_s_human";
    if (by_status && f->sort == SORT_DIFF) return "conv_s_diff";
    if (f->kind == FILTER_EDGE) return "conv_l_edge";
    /* conflicts: a few rows of their own index, sorted */
    if (f->kind == FILTER_CONFLICT) return "conv_conflict";
    if (f->kind == FILTER_DISAGREE && sparse == SPARSE_DIFF) return "conv_l_fdiff";
    return f->sort >= SORT_ID && f->sort <= SORT_EDGE ? names[f->sort] : names[0];
}

/* Filters whose few rows come from a subquery (where_clause): SQLite reads
 * them by rowid and sorts, rather than walk a sort index past the rest. */
static int driven(const pool_filter *f)
{
    return f->kind == FILTER_FAILED ||
           (f->kind == FILTER_SKIPPED && f->skipped_by);
}

static void from_clause(pool *p, const pool_filter *f, int sparse, sbuf *b)
{
    sbuf_add(b, " FROM conversations c");
    /* A search with few matches: read them by rowid (the only access NOT
     * INDEXED leaves) and sort. While a bulk load has the list indexes
     * out, SQLite plans without them. */
    if (sparse == SPARSE_SEARCH) sbuf_add(b, " NOT INDEXED");
    else if (!f->seller && !driven(f) && !pool_bulk_pending(p))
        sbuf_addf(b, " INDEXED BY %s", list_index(f, sparse));
}

/* ---- windowed lists ----
 * A window is read by walking the sort's list index in order. An OFFSET
 * costs a step per skipped row, fine near the top but tens of ms deep in a
 * million-row list. So pool_list remembers where its last window of a list
 * was (p->anchor) and, while the pool is unchanged (PRAGMA data_version and
 * this connection's change count), reads a nearby window from there by key
 * ("rows after (value, id)", an index range) instead. A far jump past the
 * middle of a list whose length is cheap to know reads backwards from the
 * end. Everything runs in one read transaction, so the window is
 * consistent with itself and with the count. */

#define LIST_COLS "c.id, c.seller_id, c.n_messages, c.model_overall, " \
                  "c.human_overall, c.status, c.edge, c.fdiff, c.fdiff_field"
#define LIST_KEY 9          /* the sort key's column, after LIST_COLS */
/* A disagreement list up to this long is read from the diff index and
 * sorted (a few ms); a longer one is walked in its sort index. */
#define SPARSE_DISAGREE 20000
/* The same for a search's matches. */
#define SPARSE_SEARCH_ROWS POOL_SEARCH_LISTED

/* Beyond this many windows away, a jump is not "nearby": the top or the
 * end is the better start. */
#define ANCHOR_REACH_WINDOWS 8

static int sort_nullable(pool_sort_kind k)
{
    return k == SORT_MODEL || k == SORT_HUMAN || k == SORT_DIFF;
}

/* The list query with an optional condition on the sort key (?6 value,
 * ?7 id), in the list's order or reversed; LIMIT ?4 OFFSET ?5. */
static sqlite3_stmt *list_stmt(pool *p, const pool_filter *f, int sparse,
                               const char *cond,
                               int desc, char *err)
{
    sbuf q = {0};
    const char *col = sort_col(f->sort);
    sbuf_addf(&q, "SELECT " LIST_COLS ", %s", col ? col : "c.id");
    from_clause(p, f, sparse, &q);
    where_clause(f, &q);
    /* Terms that follow from the filter (diff is |model - human|; without
     * a prediction there is no model score) and let a window sorted by a
     * score start at its first possible row instead of walking past the
     * rows without one. */
    if (f->kind == FILTER_DISAGREE && f->sort == SORT_MODEL)
        sbuf_add(&q, " AND c.model_overall IS NOT NULL");
    if (f->kind == FILTER_DISAGREE && f->sort == SORT_HUMAN)
        sbuf_add(&q, " AND c.human_overall IS NOT NULL");
    if (f->kind == FILTER_UNSCORED && f->sort == SORT_MODEL)
        sbuf_add(&q, " AND c.model_overall IS NULL");
    if (f->kind == FILTER_UNSCORED && f->sort == SORT_DIFF)
        sbuf_add(&q, " AND c.diff IS NULL");
    if (cond) sbuf_addf(&q, " AND %s", cond);
    /* Few matches: they drive (rowid lookups), then sort. */
    if (sparse == SPARSE_SEARCH)
        sbuf_add(&q, " AND c.cid IN (SELECT cid FROM temp.search_hits)");
    const char *dir = desc ? "DESC" : "ASC";
    if (col) sbuf_addf(&q, " ORDER BY %s %s, c.id %s", col, dir, dir);
    else sbuf_addf(&q, " ORDER BY c.id %s", dir);
    sbuf_add(&q, " LIMIT ?4 OFFSET ?5");
    sqlite3_stmt *s = pool_prepare(p, q.s, err);
    sbuf_free(&q);
    if (s) bind_filter(s, f);
    return s;
}

static void key_clear(pool_list_key *k)
{
    free(k->s);
    free(k->id);
    memset(k, 0, sizeof *k);
}

static pool_list_key key_dup(const pool_list_key *k)
{
    pool_list_key c = *k;
    c.s = xstrdup(k->s);
    c.id = xstrdup(k->id);
    return c;
}

void pool_rows_clear(pool_row *rows, int n)
{
    for (int i = 0; i < n; i++) {
        free(rows[i].id);
        free(rows[i].seller_id);
        memset(&rows[i], 0, sizeof rows[i]);
    }
}

/* Frees rows and keys [from, to). */
static void drop(pool_row *rows, pool_list_key *keys, int from, int to)
{
    if (from >= to) return;
    pool_rows_clear(rows + from, to - from);
    for (int i = from; i < to; i++) key_clear(&keys[i]);
}

const char *conv_status_name(conv_status st)
{
    return status_names[st >= CONV_UNSCORED && st <= CONV_SKIPPED ? st : 0];
}

static void read_row(sqlite3_stmt *s, pool_row *r, pool_list_key *k)
{
    memset(r, 0, sizeof *r);
    r->id = pool_col_strdup(s, 0);
    r->seller_id = pool_col_strdup(s, 1);
    r->nmsgs = sqlite3_column_int(s, 2);
    r->has_model = sqlite3_column_type(s, 3) != SQLITE_NULL;
    r->model_overall = sqlite3_column_double(s, 3);
    r->has_human = sqlite3_column_type(s, 4) != SQLITE_NULL;
    r->human_overall = sqlite3_column_double(s, 4);
    int st = sqlite3_column_int(s, 5);
    r->status = st >= CONV_UNSCORED && st <= CONV_SKIPPED ? (conv_status)st
                                                          : CONV_UNSCORED;
    r->edge = sqlite3_column_int(s, 6);
    r->has_fdiff = sqlite3_column_type(s, 7) != SQLITE_NULL;
    r->fdiff = sqlite3_column_double(s, 7);
    snprintf(r->fdiff_field, sizeof r->fdiff_field, "%s",
             r->has_fdiff && sqlite3_column_text(s, 8) ?
             (const char *)sqlite3_column_text(s, 8) : "");
    k->type = sqlite3_column_type(s, LIST_KEY);
    k->i = sqlite3_column_int64(s, LIST_KEY);
    k->d = sqlite3_column_double(s, LIST_KEY);
    k->s = k->type == SQLITE_TEXT ? pool_col_strdup(s, LIST_KEY) : NULL;
    k->id = xstrdup(r->id);
}

/* Steps s, appending up to want rows; returns the number added or -1
 * (then none are kept). */
static int collect(pool *p, sqlite3_stmt *s, int want, pool_row *rows,
                   pool_list_key *keys, char *err)
{
    int n = 0, rc = SQLITE_DONE;
    while (n < want && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        read_row(s, &rows[n], &keys[n]);
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        drop(rows, keys, 0, n);
        n = pool_sql_err(p, "list", err);
    }
    sqlite3_finalize(s);
    return n;
}

/* Plain: rows [offset, offset + want) of the list in order desc. */
static int list_plain(pool *p, const pool_filter *f, int sparse, int desc,
                      int64_t offset,
                      int want, pool_row *rows, pool_list_key *keys, char *err)
{
    sqlite3_stmt *s = list_stmt(p, f, sparse, NULL, desc, err);
    if (!s) return -1;
    sqlite3_bind_int(s, 4, want);
    sqlite3_bind_int64(s, 5, offset);
    return collect(p, s, want, rows, keys, err);
}

/* Up to want rows from key k on (k itself when incl), in order desc: one
 * index range, or two when NULL sort values come before or after. */
static int list_from(pool *p, const pool_filter *f, int sparse,
                     const pool_list_key *k,
                     int incl, int desc, int want, pool_row *rows,
                     pool_list_key *keys, char *err)
{
    const char *col = sort_col(f->sort);
    const char *op = desc ? (incl ? "<=" : "<") : (incl ? ">=" : ">");
    char seg[2][160];
    int nseg = 1;
    /* A sort column the filter pins to one value: the id alone orders the
     * rows (and a row value over both would not be used as a range). */
    int pinned = (f->sort == SORT_STATUS && (f->kind == FILTER_TO_REVIEW ||
                                              f->kind == FILTER_REVIEWED)) ||
                 (f->sort == SORT_EDGE && f->kind == FILTER_EDGE) ||
                 (f->sort == SORT_SELLER && f->seller);
    /* Filters under which the sort column is never / always NULL (see
     * list_stmt): no segment for the other kind. */
    int no_nulls = f->kind == FILTER_DISAGREE && sort_nullable(f->sort);
    int nulls_only = f->kind == FILTER_UNSCORED &&
                     (f->sort == SORT_MODEL || f->sort == SORT_DIFF);
    if (!col || pinned) {
        snprintf(seg[0], sizeof seg[0], "c.id %s ?7", op);
    } else if (k->type != SQLITE_NULL) {
        snprintf(seg[0], sizeof seg[0], "(%s, c.id) %s (?6, ?7)", col, op);
        /* NULLs sort first: after a value, descending, come all of them. */
        if (sort_nullable(f->sort) && desc && !no_nulls) {
            snprintf(seg[1], sizeof seg[1], "%s IS NULL", col);
            nseg = 2;
        }
    } else {
        snprintf(seg[0], sizeof seg[0], "%s IS NULL AND c.id %s ?7", col, op);
        if (!desc && !nulls_only) {
            snprintf(seg[1], sizeof seg[1], "%s IS NOT NULL", col);
            nseg = 2;
        }
    }
    int n = 0;
    for (int i = 0; i < nseg && n < want; i++) {
        sqlite3_stmt *s = list_stmt(p, f, sparse, seg[i], desc, err);
        if (!s) return -1;
        sqlite3_bind_int(s, 4, want - n);
        sqlite3_bind_int64(s, 5, 0);
        if (i == 0) {
            if (k->type == SQLITE_INTEGER) sqlite3_bind_int64(s, 6, k->i);
            else if (k->type == SQLITE_FLOAT) sqlite3_bind_double(s, 6, k->d);
            else if (k->type == SQLITE_TEXT) sqlite3_bind_text(s, 6, k->s, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 7, k->id, -1, SQLITE_STATIC);
        }
        int got = collect(p, s, want - n, rows + n, keys + n, err);
        if (got < 0) {
            drop(rows, keys, 0, n);
            return -1;
        }
        n += got;
    }
    return n;
}

/* The list's identity: filter, sort and parameters. */
static char *list_sig(const pool_filter *f)
{
    sbuf b = {0};
    sbuf_addf(&b, "%d|%d|%d|%.17g|%s|%d:%s|%d:%s", (int)f->kind, (int)f->sort,
              f->desc, f->disagree > 0 ? f->disagree : 2.0,
              f->disagree_field ? f->disagree_field : "",
              f->search ? (int)strlen(f->search) : -1, f->search ? f->search : "",
              f->seller ? (int)strlen(f->seller) : -1, f->seller ? f->seller : "");
    /* the other terms: a list of other rows, never the same anchor */
    sbuf_addf(&b, "|%d:%s|%d:%s|%lld|%lld",
              f->assigned_to ? (int)strlen(f->assigned_to) : -1,
              f->assigned_to ? f->assigned_to : "",
              f->reviewer ? (int)strlen(f->reviewer) : -1,
              f->reviewer ? f->reviewer : "", (long long)f->since,
              (long long)f->until);
    sbuf_addf(&b, "|%d:%s", f->skipped_by ? (int)strlen(f->skipped_by) : -1,
              f->skipped_by ? f->skipped_by : "");
    return sbuf_take(&b);
}

static int64_t data_version(pool *p)
{
    sqlite3_stmt *s = pool_stmt(p, ST_DATA_VERSION, "PRAGMA data_version", NULL);
    int64_t v = s && sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    if (s) sqlite3_reset(s);
    return v;
}

int pool_stamp_get(pool *p, pool_stamp *out, char *err)
{
    out->data_version = data_version(p);
    out->changes = (int64_t)sqlite3_total_changes(p->db);
    return out->data_version < 0 ? pool_sql_err(p, "data version", err) : 0;
}

int pool_stamp_same(const pool_stamp *a, const pool_stamp *b)
{
    return a->data_version == b->data_version && a->changes == b->changes;
}

/* Rows of the window [offset, offset + limit) using the anchor, the end or
 * the top; -1 on error. */
static int list_window(pool *p, const pool_filter *f, int sparse,
                       const char *sig,
                       int64_t dv, int64_t offset, int limit, pool_row *rows,
                       pool_list_key *keys, char *err)
{
    pool_list_anchor *a = &p->anchor;
    int valid = a->sig && !strcmp(a->sig, sig) && a->data_version == dv &&
                a->changes == (int64_t)sqlite3_total_changes(p->db);
    int64_t reach = (int64_t)limit * ANCHOR_REACH_WINDOWS;
    if (valid && offset >= a->off[0] && offset - a->off[0] <= reach) {
        /* Forward from the first row of the last window. */
        int skip = (int)(offset - a->off[0]);
        pool_row *tmp = xcalloc((size_t)(skip + limit), sizeof *tmp);
        pool_list_key *tk = xcalloc((size_t)(skip + limit), sizeof *tk);
        int n = list_from(p, f, sparse, &a->key[0], 1, f->desc, skip + limit, tmp, tk, err);
        int got = n < 0 ? -1 : n > skip ? n - skip : 0;
        if (got > 0) {
            memcpy(rows, tmp + skip, (size_t)got * sizeof *rows);
            memcpy(keys, tk + skip, (size_t)got * sizeof *keys);
        }
        drop(tmp, tk, 0, n < skip ? n : skip);
        free(tmp);
        free(tk);
        return got;
    }
    if (valid && offset < a->off[0] && a->off[0] - offset <= reach) {
        /* Backward: the rows before the anchor, read in reverse, then the
         * anchor and after it if the window reaches that far. */
        int back = (int)(a->off[0] - offset);
        pool_row *tmp = xcalloc((size_t)back, sizeof *tmp);
        pool_list_key *tk = xcalloc((size_t)back, sizeof *tk);
        pool_list_key k0 = a->key[0];
        int n = list_from(p, f, sparse, &k0, 0, !f->desc, back, tmp, tk, err);
        int got = -1;
        if (n == back) {   /* else the list is not what the anchor says */
            got = 0;
            int j = back - 1;
            for (; j >= 0 && got < limit; j--) {
                rows[got] = tmp[j];
                keys[got++] = tk[j];
            }
            drop(tmp, tk, 0, j + 1);
            if (got < limit) {
                int m = list_from(p, f, sparse, &k0, 1, f->desc, limit - got,
                                  rows + got, keys + got, err);
                if (m < 0) drop(rows, keys, 0, got);
                got = m < 0 ? -1 : got + m;
            }
        } else if (n > 0) {
            drop(tmp, tk, 0, n);
        }
        free(tmp);
        free(tk);
        if (got >= 0 || n < 0) return got;
    }
    if ((!has_search(f) || search_indexed(f)) && offset > 0) {
        /* Past the middle of a list whose length is known cheaply: from
         * the end, backwards. */
        int64_t total = pool_count(p, f, err);
        if (total < 0) return -1;
        if (offset >= total) return 0;
        if (offset > total / 2) {
            int want = total - offset < limit ? (int)(total - offset) : limit;
            int n = list_plain(p, f, sparse, !f->desc, total - offset - want, want,
                               rows, keys, err);
            if (n < 0) return -1;
            for (int i = 0, j = n - 1; i < j; i++, j--) {
                pool_row t = rows[i]; rows[i] = rows[j]; rows[j] = t;
                pool_list_key u = keys[i]; keys[i] = keys[j]; keys[j] = u;
            }
            return n;
        }
    }
    return list_plain(p, f, sparse, f->desc, offset, limit, rows, keys, err);
}

int pool_list(pool *p, const pool_filter *f, int64_t offset, int limit,
              pool_row *rows, char *err)
{
    if (limit <= 0) return 0;
    if (offset < 0) offset = 0;
    int own = sqlite3_get_autocommit(p->db);
    if (own && sqlite3_exec(p->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return pool_sql_err(p, "list", err);
    char *sig = list_sig(f);
    int64_t dv = data_version(p);
    pool_list_key *keys = xcalloc((size_t)limit, sizeof *keys);
    int n = 0, sparse = DENSE;
    if (search_indexed(f)) {
        /* A term with few matches in the whole pool (typical: a name, a
         * booking reference) under a filter that passes more: read the
         * matches and sort them. Otherwise walking the sort index finds a
         * window's worth soon, or the filter's side is the smaller. */
        int64_t m = prepare_search(p, f, err);
        int drive = m < 0 ? -1 : search_drives(p, f, m, err);
        if (drive < 0) n = -1;
        else if (m <= SPARSE_SEARCH_ROWS && drive) sparse = SPARSE_SEARCH;
    } else if (f->kind == FILTER_DISAGREE && !f->seller && !has_search(f)) {
        /* Few disagreements (the usual case): read them from the diff
         * index and sort them, rather than walk the sort index past
         * everything else. */
        int64_t nd = pool_count(p, f, err);
        if (nd < 0) n = -1;
        if (nd <= SPARSE_DISAGREE) sparse = SPARSE_DIFF;
    }
    if (n == 0)
        n = list_window(p, f, sparse, sig, dv, offset, limit, rows, keys, err);
    pool_list_anchor *a = &p->anchor;
    free(a->sig);
    a->sig = NULL;
    key_clear(&a->key[0]);
    key_clear(&a->key[1]);
    if (n > 0) {
        a->sig = sig;
        sig = NULL;
        a->data_version = dv;
        a->changes = (int64_t)sqlite3_total_changes(p->db);
        a->off[0] = offset;
        a->off[1] = offset + n - 1;
        a->key[0] = key_dup(&keys[0]);
        a->key[1] = key_dup(&keys[n - 1]);
    }
    for (int i = 0; i < n; i++) key_clear(&keys[i]);
    free(sig);
    free(keys);
    if (own) sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL);
    return n;
}

int pool_list_find(pool *p, const pool_filter *f, const char *id,
                   int64_t near, int span, int64_t *pos, char *err)
{
    int64_t from = near - span < 0 ? 0 : near - span;
    int want = (int)(near + span - from);
    if (want <= 0) return 0;
    pool_row *rows = xcalloc((size_t)want, sizeof *rows);
    int n = pool_list(p, f, from, want, rows, err), found = 0;
    for (int i = 0; i < n && !found; i++)
        if (strcmp(rows[i].id, id) == 0) {
            *pos = from + i;
            found = 1;
        }
    if (n > 0) pool_rows_clear(rows, n);
    free(rows);
    return n < 0 ? -1 : found;
}

/* Whether an indexed search under a filter is best read from its m
 * matches (as many rows as the term matches in the pool) rather than from
 * the filter's side (as many as the filter passes without the search). 1,
 * 0, or -1 on error. */
static int search_drives(pool *p, const pool_filter *f, int64_t m, char *err)
{
    if (f->kind == FILTER_ALL && !has_terms(f)) return 1;
    pool_filter plain = *f;
    plain.search = NULL;
    int64_t t = pool_count(p, &plain, err);
    if (t < 0) return -1;
    return m <= t;
}

/* Counts without a search or a threshold come from conv_counts (kept by
 * triggers); the disagreement count is a range of the diff index; a search
 * counts its matches (pool_search_hits), under a filter from their side
 * when they are few, else from the filter's. */
int64_t pool_count(pool *p, const pool_filter *f, char *err)
{
    sbuf q = {0};
    if (!has_search(f) && f->kind != FILTER_DISAGREE && f->kind != FILTER_CONFLICT &&
        !f->assigned_to &&
        !f->reviewer && !f->since && !f->until && !driven(f)) {
        sbuf_add(&q, "SELECT coalesce(sum(n), 0) FROM conv_counts k WHERE 1");
        switch (f->kind) {
        case FILTER_TO_REVIEW: sbuf_add(&q, " AND k.status = 1"); break;
        case FILTER_REVIEWED: sbuf_add(&q, " AND k.status = 2"); break;
        case FILTER_EDGE: sbuf_add(&q, " AND k.edge = 1"); break;
        case FILTER_SKIPPED: sbuf_add(&q, " AND k.status = 3"); break;
        case FILTER_UNSCORED: sbuf_add(&q, " AND NOT k.scored"); break;
        case FILTER_SCORED: sbuf_add(&q, " AND k.scored"); break;
        default: break;
        }
        if (f->seller) sbuf_add(&q, " AND k.seller_id = ?3");
    } else if (search_indexed(f)) {
        int64_t m = prepare_search(p, f, err);
        if (m < 0 || (f->kind == FILTER_ALL && !has_terms(f))) return m;
        int drive = search_drives(p, f, m, err);
        if (drive < 0) return -1;
        sbuf_add(&q, "SELECT count(*) FROM conversations c");
        /* Few matches: a lookup each in conv_state (by cid). Else a walk
         * of the filter's index testing each row; conv_state is the
         * narrowest walk for the filters without one of their own. */
        int few = drive && m <= POOL_SEARCH_LISTED;
        if ((few || (!f->seller && (f->kind == FILTER_SCORED || f->kind == FILTER_UNSCORED)))
            && !pool_bulk_pending(p))
            sbuf_add(&q, " INDEXED BY conv_state");
        where_clause(f, &q);
        if (few) sbuf_add(&q, " AND c.cid IN (SELECT cid FROM temp.search_hits)");
    } else {
        sbuf_add(&q, "SELECT count(*) FROM conversations c");
        if (!f->seller && f->kind == FILTER_DISAGREE && !has_search(f) &&
            !pool_bulk_pending(p))
            sbuf_add(&q, " INDEXED BY conv_l_fdiff");
        if (!f->seller && f->kind == FILTER_CONFLICT && !pool_bulk_pending(p))
            sbuf_add(&q, " INDEXED BY conv_conflict");
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
    if (prepare_search(p, f, err) < 0) return -1;
    sbuf q = {0};
    pool_filter by_id = *f;
    by_id.sort = SORT_ID;
    sbuf_add(&q, "SELECT c.id");
    from_clause(p, &by_id, f->kind == FILTER_DISAGREE ? SPARSE_DIFF : DENSE, &q);
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

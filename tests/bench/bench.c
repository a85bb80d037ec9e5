/* bench.c: times the pool calls the TUI and the CLI make, on a big pool
 * (tests/bench/run builds it and prints the figures next to the targets).
 *
 *   bench parse FILE        JSONL parse-only throughput (no pool)
 *   bench queries DB        the queue, navigation, filters, sorts, search,
 *                           statistics, histograms, distribution view and
 *                           opening the long conversation "b-big"
 *   bench dump DB [RUN]     every statistic, histogram and count in full
 *                           (to compare two versions of the pool code)
 *   bench writes DB         CPU per stored prediction (own transaction, as
 *                           `curate score` stores them, and batched)
 *   bench plans DB          EXPLAIN QUERY PLAN of every list/count query,
 *                           flagging full scans of a big table and
 *                           temporary sorts of a list
 *   bench csv FILE OUT      the messages of a JSONL file as CSV (cid, ts,
 *                           sender, role, text), for sqlite3's .import
 *   bench mininsert FILE DB the alternative import: parse the JSONL, one
 *                           prepared INSERT per message into a bare table
 *                           in one transaction; prints total and insert
 *                           seconds
 *
 * Times are wall-clock milliseconds of the pool calls alone (no drawing);
 * each operation runs a few times and the slowest run is reported. */
#define _POSIX_C_SOURCE 200809L
#include "../../core/util.h"
#include "../../data/import.h"
#include "../../data/pool.h"
#include "../../data/pool_dist.h"
#include "../../data/pool_int.h"   /* white box: the connection, for plans */

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIS 35           /* list rows of a 40-line terminal */
#define REPS 3

static pool *P;
static rubric *R;
static char err[ERR_MAX];

static void die(const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, err);
    exit(1);
}

static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) v = atol(line + 6);
    if (f) fclose(f);
    return v;
}

/* One figure: name, milliseconds, target, and what the worst case was. */
static void report(const char *name, double ms, double target,
                   const char *worst)
{
    printf("  %-46s %9.2f ms   target < %g ms%s%s\n", name, ms, target,
           worst && *worst ? "   worst: " : "", worst ? worst : "");
    fflush(stdout);
}

/* ---- the operations ---- */

static const char *filter_name(pool_filter_kind k)
{
    static const char *n[] = {"all", "to-review", "reviewed", "edge",
                              "disagree", "unscored", "scored", "skipped",
                              "failed", "conflict"};
    return n[k];
}
static const char *sort_name(pool_sort_kind k)
{
    static const char *n[] = {"id", "seller", "messages", "model", "human",
                              "diff", "status", "edge"};
    return n[k];
}

static pool_filter mkf(pool_filter_kind k, pool_sort_kind s, int desc)
{
    pool_filter f;
    pool_filter_parse(NULL, &f, err);
    f.kind = k;
    f.sort = s;
    f.desc = desc;
    f.skipped_by = "bench";       /* the Skipped tab is a reviewer's */
    return f;
}

static pool_row rows[VIS];

static void list(const pool_filter *f, int64_t off)
{
    pool_rows_clear(rows, VIS);
    if (pool_list(P, f, off, VIS, rows, err) < 0) die("pool_list");
}

static int64_t count(const pool_filter *f)
{
    int64_t n = pool_count(P, f, err);
    if (n < 0) die("pool_count");
    return n;
}

/* What the queue does on a (re)load (screen_queue.c counts): the eight tab
 * counts, the pool's "reviewed today", the reviewer's progress (today,
 * the session, their assignments) and the visible window. */
static const pool_filter_kind tabs[8] = {FILTER_TO_REVIEW, FILTER_REVIEWED,
                                         FILTER_EDGE, FILTER_DISAGREE,
                                         FILTER_ALL, FILTER_SKIPPED,
                                         FILTER_FAILED, FILTER_CONFLICT};
static void queue_load(const pool_filter *f)
{
    pool_filter t = *f;
    t.search = NULL;
    for (int i = 0; i < 8; i++) {
        t.kind = tabs[i];
        count(&t);
    }
    if (f->search) count(f);
    if (pool_reviewed_since(P, date_now() - 86400, err) < 0) die("today");
    pool_activity a;
    /* As the workbench: the reviewer's day (every bench label is of
     * today, 20,000 at the default scale: the worst case) and the
     * session (the journal after its start). */
    int64_t last = pool_last_action_id(P, err);
    if (last < 0 ||
        pool_reviewer_activity(P, "bench", date_now() - 86400, 0, &a, err) < 0 ||
        pool_reviewer_activity(P, "bench", 0, last, &a, err) < 0)
        die("activity");
    pool_filter m = mkf(FILTER_TO_REVIEW, SORT_ID, 0);
    m.assigned_to = "bench";
    count(&m);
    list(f, 0);
}

#define TIME(var, stmt)                                  \
    do {                                                 \
        double t0_ = date_mono();                        \
        stmt;                                            \
        double ms_ = (date_mono() - t0_) * 1000;         \
        if (ms_ > (var)) (var) = ms_;                    \
    } while (0)

static int64_t latest_run(void)
{
    pool_run runs[4];
    int n = pool_list_runs(P, NULL, runs, 4, err);
    return n > 0 ? runs[0].id : 0;
}

/* The distribution view: runs, statistics, per-field fine histograms
 * (the compression alarm) and the two histograms of the selected field. */
static void dist_view(int64_t run, const char *seller)
{
    pool_run runs[64];
    if (pool_list_runs(P, "score", runs, 64, err) < 0) die("runs");
    pool_stats st;
    if (pool_get_stats(P, R, run, seller, &st, err) < 0) die("stats");
    int64_t bins[100];
    int first = -1;
    for (size_t i = 0; i < R->nfields; i++) {
        if (!rubric_is_scored(&R->fields[i])) continue;
        if (first < 0) first = (int)i;
        if (pool_histogram(P, R, (int)i, 0, run, seller, 100, bins, err) < 0)
            die("histogram");
    }
    if (pool_histogram(P, R, first, 0, run, seller, 20, bins, err) < 0 ||
        pool_histogram(P, R, first, 1, 0, seller, 20, bins, err) < 0)
        die("histogram");
}

static int queries(const char *db)
{
    double t_open = 0;
    TIME(t_open, P = pool_open(db, err));
    if (!P) die("open");
    R = rubric_default_new();
    printf("queue (TUI equivalents, pool calls only)\n");
    pool_filter f = mkf(FILTER_TO_REVIEW, SORT_ID, 0);
    double t_first = 0;
    TIME(t_first, queue_load(&f));
    report("open pool", t_open, 150, NULL);
    report("first queue (8 counts, today, progress, rows)", t_first, 150, NULL);

    /* Filter switches: every tab, plus the scored/unscored filters. */
    double worst = 0;
    char wname[96] = "";
    static const pool_filter_kind all_f[] = {
        FILTER_TO_REVIEW, FILTER_REVIEWED, FILTER_EDGE, FILTER_DISAGREE,
        FILTER_ALL, FILTER_UNSCORED, FILTER_SCORED, FILTER_SKIPPED, FILTER_FAILED};
    for (size_t i = 0; i < sizeof all_f / sizeof all_f[0]; i++) {
        pool_filter g = mkf(all_f[i], SORT_ID, 0);
        double t = 0;
        for (int r = 0; r < REPS; r++) TIME(t, queue_load(&g));
        if (t > worst) { worst = t; snprintf(wname, sizeof wname, "%s", filter_name(all_f[i])); }
    }
    report("switch filter (reload: counts + today + window)", worst, 100, wname);

    /* Sort switches: every column both ways, on the main tabs. */
    static const pool_filter_kind sort_on[] = {FILTER_TO_REVIEW, FILTER_ALL,
                                               FILTER_REVIEWED};
    worst = 0;
    for (size_t i = 0; i < 3; i++)
        for (int s = 0; s < 8; s++)
            for (int d = 0; d < 2; d++) {
                pool_filter g = mkf(sort_on[i], (pool_sort_kind)s, d);
                double t = 0;
                for (int r = 0; r < REPS; r++) TIME(t, list(&g, 0));
                if (t > worst) {
                    worst = t;
                    snprintf(wname, sizeof wname, "%s by %s%s", filter_name(sort_on[i]),
                             sort_name((pool_sort_kind)s), d ? " desc" : "");
                }
            }
    report("switch sort (window at the top)", worst, 100, wname);

    /* Navigation: scroll a row, page down, at the top, the middle and the
     * end of the longest lists, for every sort; End itself. */
    worst = 0;
    double worst_end = 0, worst_mid = 0;
    char ename[96] = "", mname[96] = "";
    for (size_t i = 0; i < 2; i++)
        for (int s = 0; s < 8; s++)
            for (int d = 0; d < 2; d++) {
                pool_filter g = mkf(sort_on[i], (pool_sort_kind)s, d);
                int64_t n = count(&g);
                int64_t at[3] = {0, n / 2, n > VIS ? n - VIS - 1 : 0};
                for (int k = 0; k < 3; k++) {
                    double t = 0;
                    list(&g, at[k]);   /* where the user is */
                    TIME(t, list(&g, at[k] + 1));          /* j past the bottom */
                    TIME(t, list(&g, at[k] + 1 + VIS));    /* PgDn */
                    TIME(t, list(&g, at[k] > 0 ? at[k] - 1 : 0));   /* k */
                    if (t > worst) {
                        worst = t;
                        snprintf(wname, sizeof wname, "%s by %s%s at %s",
                                 filter_name(sort_on[i]), sort_name((pool_sort_kind)s),
                                 d ? " desc" : "", k == 0 ? "top" : k == 1 ? "middle" : "end");
                    }
                }
                double t = 0;
                list(&g, 0);
                TIME(t, list(&g, n > VIS ? n - VIS : 0));   /* End */
                if (t > worst_end) {
                    worst_end = t;
                    snprintf(ename, sizeof ename, "%s by %s%s", filter_name(sort_on[i]),
                             sort_name((pool_sort_kind)s), d ? " desc" : "");
                }
                t = 0;
                list(&g, 0);
                TIME(t, list(&g, n / 2));   /* a jump to the middle */
                if (t > worst_mid) {
                    worst_mid = t;
                    snprintf(mname, sizeof mname, "%s by %s%s", filter_name(sort_on[i]),
                             sort_name((pool_sort_kind)s), d ? " desc" : "");
                }
            }
    report("navigate (j/k/PgDn past the window)", worst, 10, wname);
    report("jump to End", worst_end, 100, ename);
    report("jump to the middle (scrollbar-like)", worst_mid, 100, mname);

    /* Search, answered by the index (the bench runs `curate index` after
     * the import): a word in about a third of the conversations, a seller
     * prefix, a range of ids, an absent word; in the All and To review
     * tabs, by id and by size (descending); the first window, then End.
     * Under 3 characters the index cannot help: scanned, no target. */
    static const char *terms[] = {"refund", "S-LIS", "b-00999", "zzqx-none"};
    static const pool_filter_kind stabs[] = {FILTER_ALL, FILTER_TO_REVIEW};
    for (int i = 0; i < 4; i++) {
        double ws = 0, we = 0;
        char wsn[64] = "", wen[64] = "";
        for (int k = 0; k < 2; k++)
            for (int so = 0; so < 2; so++) {
                pool_filter g = mkf(stabs[k], so ? SORT_MESSAGES : SORT_ID, so);
                /* Each time as typed afresh: another term first, so the
                 * connection's cached matches are not this term's. */
                g.search = "zzqx-evict";
                count(&g);
                g.search = terms[i];
                double t = 0, te = 0;
                TIME(t, queue_load(&g));
                int64_t n = count(&g);
                TIME(te, list(&g, n > VIS ? n - VIS : 0));
                char nm[64];
                snprintf(nm, sizeof nm, "%s by %s%s", filter_name(stabs[k]),
                         sort_name(g.sort), so ? " desc" : "");
                if (t > ws) { ws = t; snprintf(wsn, sizeof wsn, "%s", nm); }
                if (te > we) { we = te; snprintf(wen, sizeof wen, "%s", nm); }
            }
        pool_filter g = mkf(FILTER_ALL, SORT_ID, 0);
        g.search = terms[i];
        char name[80];
        snprintf(name, sizeof name, "search \"%s\" (%lld found): counts + window",
                 terms[i], (long long)count(&g));
        report(name, ws, 100, wsn);
        report("  then End", we, 100, wen);
    }
    {
        pool_filter g = mkf(FILTER_ALL, SORT_ID, 0);
        g.search = "re";
        double t = 0;
        TIME(t, queue_load(&g));
        printf("  %-46s %9.2f ms   (no target: under 3 characters, scanned)\n",
               "search \"re\": counts + window", t);
    }

    printf("statistics and distribution\n");
    int64_t run = latest_run();
    pool_stats st;
    double t = 0;
    TIME(t, if (pool_get_stats(P, R, 0, NULL, &st, err) < 0) die("stats"));
    report("pool_get_stats (whole pool)", t, 1000, NULL);
    printf("      (%lld conversations, %lld messages, %lld scored, %lld reviewed)\n",
           (long long)st.conversations, (long long)st.messages,
           (long long)st.scored, (long long)st.reviewed);
    t = 0;
    TIME(t, if (pool_get_stats(P, R, run, "S-LIS-01", &st, err) < 0) die("stats"));
    report("pool_get_stats (one run, one seller)", t, 1000, NULL);
    worst = 0;
    for (size_t i = 0; i < R->nfields; i++) {
        if (!rubric_is_scored(&R->fields[i])) continue;
        for (int h = 0; h < 2; h++) {
            int64_t bins[20];
            double tt = 0;
            TIME(tt, if (pool_histogram(P, R, (int)i, h, h ? 0 : run, NULL, 20,
                                        bins, err) < 0) die("histogram"));
            if (tt > worst) {
                worst = tt;
                snprintf(wname, sizeof wname, "%s %s", R->fields[i].name,
                         h ? "human" : "model");
            }
        }
    }
    report("pool_histogram (slowest field)", worst, 1000, wname);
    t = 0;
    TIME(t, dist_view(0, NULL));
    report("distribution view (stats + 6 histograms)", t, 500, NULL);
    t = 0;
    TIME(t, dist_view(run, NULL));
    report("distribution view, one run", t, 500, NULL);
    /* The lead's views (pool_dist): what each screen loads. */
    int oi = rubric_overall_index(R);
    t = 0;
    TIME(t, {
        pool_dist_seller *sv;
        int ns = pool_dist_sellers_new(P, R, oi, 0, NULL, &sv, err);
        if (ns < 0) die("sellers");
        pool_dist_sellers_sort(sv, ns, SELLER_BY_MAE, 1);
        pool_dist_sellers_free(sv, ns);
    });
    report("seller list (every seller, overall)", t, 500, NULL);
    t = 0;
    TIME(t, {
        pool_dist_seller *sv;
        int ns = pool_dist_sellers_new(P, R, oi, 0, "s-li", &sv, err);
        if (ns < 0) die("sellers");
        pool_dist_sellers_free(sv, ns);
    });
    report("seller list, prefix \"s-li\" any case", t, 500, NULL);
    t = 0;
    TIME(t, {
        pool_dist_bucket *b;
        int64_t step;
        if (pool_dist_trend_new(P, R, 0, NULL, &b, &step, err) < 0) die("trend");
        free(b);
    });
    report("trend (every field, model and human)", t, 500, NULL);
    t = 0;
    TIME(t, {
        pool_dist_field df;
        for (size_t i = 0; i < R->nfields; i++)
            if (rubric_is_scored(&R->fields[i]) &&
                (pool_dist_field_get(P, R, (int)i, 0, NULL, 1, &df, err) < 0 ||
                 pool_dist_field_get(P, R, (int)i, run, NULL, 1, &df, err) < 0))
                die("side by side");
    });
    report("side by side (2 runs x fields, with Spearman)", t, 500, NULL);

    printf("review\n");
    t = 0;
    convo *c = NULL;
    TIME(t, {
        c = pool_get_convo_new(P, "b-big", err);
        prediction pr;
        label lb;
        char *note;
        if (pool_get_prediction(P, R, "b-big", 0, &pr, err) < 0) die("prediction");
        prediction_clear(&pr);
        if (pool_get_label(P, R, "b-big", &lb, err) < 0) die("label");
        label_clear(&lb);
        pool_get_edge(P, "b-big", &note, err);
        free(note);
    });
    char nm[64];
    snprintf(nm, sizeof nm, "open a conversation of %zu messages",
             c ? c->nmsgs : 0);
    report(nm, t, 20, NULL);
    convo_free(c);
    printf("  %-46s %9.1f MB   target < 40 MB (bench process, not the TUI)\n",
           "peak RSS", peak_rss_kib() / 1024.0);
    pool_close(P);
    rubric_free(R);
    return 0;
}

/* ---- the queue's reload, part by part ---- */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define QREPS 15
/* One part: its median of QREPS runs (the machine may be shared: the
 * median, not the slowest, says what a part costs). */
#define PART(name, stmt)                                          \
    do {                                                          \
        double v_[QREPS];                                         \
        for (int r_ = 0; r_ < QREPS; r_++) {                      \
            double t0_ = date_mono();                             \
            stmt;                                                 \
            v_[r_] = (date_mono() - t0_) * 1000;                  \
        }                                                         \
        qsort(v_, QREPS, sizeof v_[0], cmp_d);                    \
        printf("  %-46s %9.2f ms\n", name, v_[QREPS / 2]);        \
    } while (0)

static int queue_parts(const char *db)
{
    P = pool_open(db, err);
    if (!P) die("open");
    R = rubric_default_new();
    printf("the queue's reload, part by part (medians of %d)\n", QREPS);
    static const pool_filter_kind k8[] = {
        FILTER_TO_REVIEW, FILTER_REVIEWED, FILTER_EDGE, FILTER_DISAGREE,
        FILTER_ALL, FILTER_SKIPPED, FILTER_FAILED, FILTER_CONFLICT};
    for (size_t i = 0; i < 8; i++) {
        pool_filter f = mkf(k8[i], SORT_ID, 0);
        char nm[64];
        snprintf(nm, sizeof nm, "count %s", filter_name(k8[i]));
        PART(nm, count(&f));
    }
    PART("reviewed today (pool_reviewed_since)",
         if (pool_reviewed_since(P, date_now() - 86400, err) < 0) die("today"));
    pool_stats st;
    PART("  (was: pool_get_stats)",
         if (pool_get_stats(P, R, 0, NULL, &st, err) < 0) die("stats"));
    pool_activity a;
    int64_t last = pool_last_action_id(P, err);
    PART("activity today",
         if (pool_reviewer_activity(P, "bench", date_now() - 86400, 0, &a, err) < 0) die("act"));
    PART("activity of the session",
         if (pool_reviewer_activity(P, "bench", 0, last, &a, err) < 0) die("act"));
    pool_filter m = mkf(FILTER_TO_REVIEW, SORT_ID, 0);
    m.assigned_to = "bench";
    PART("count to-review assigned", count(&m));
    pool_filter f = mkf(FILTER_TO_REVIEW, SORT_ID, 0);
    PART("window", list(&f, 0));
    PART("whole reload (after a change)", queue_load(&f));
    /* The workbench's tab switch on an unchanged pool: its two stamps
     * (tab counts, progress) match, so only the window is read. */
    pool_stamp s1, s2;
    PART("tab switch, pool unchanged (stamps + window)",
         if (pool_stamp_get(P, &s1, err) < 0 || pool_stamp_get(P, &s2, err) < 0 ||
             !pool_stamp_same(&s1, &s2)) die("stamp");
         list(&f, 0));
    pool_close(P);
    rubric_free(R);
    return 0;
}

/* ---- dump ---- */

static void dump_agg(const char *what, const char *field, const pool_agg *a)
{
    printf("%s %s n=%lld mean=%.9g sd=%.6g min=%.9g max=%.9g\n", what, field,
           (long long)a->n, a->mean, a->sd, a->min, a->max);
}

static int dump(const char *db, int64_t run, const char *seller)
{
    P = pool_open(db, err);
    if (!P) die("open");
    R = rubric_default_new();
    pool_stats st;
    if (pool_get_stats(P, R, run, seller, &st, err) < 0) die("stats");
    printf("conversations=%lld messages=%lld scored=%lld reviewed=%lld "
           "skipped=%lld edge=%lld\n", (long long)st.conversations,
           (long long)st.messages, (long long)st.scored, (long long)st.reviewed,
           (long long)st.skipped, (long long)st.edge);
    for (size_t i = 0; i < R->nfields; i++) {
        if (!rubric_is_scored(&R->fields[i])) continue;
        dump_agg("model", R->fields[i].name, &st.model[i]);
        dump_agg("human", R->fields[i].name, &st.human[i]);
        dump_agg("abserr", R->fields[i].name, &st.abs_err[i]);
        for (int h = 0; h < 2; h++) {
            int64_t bins[23];
            if (pool_histogram(P, R, (int)i, h, run, seller, 23, bins, err) < 0)
                die("histogram");
            printf("hist %s %s:", h ? "human" : "model", R->fields[i].name);
            for (int b = 0; b < 23; b++) printf(" %lld", (long long)bins[b]);
            printf("\n");
        }
    }
    for (int k = 0; k <= FILTER_FAILED; k++) {
        pool_filter f = mkf((pool_filter_kind)k, SORT_ID, 0);
        f.seller = seller;
        printf("count %s=%lld\n", filter_name((pool_filter_kind)k),
               (long long)count(&f));
        for (int so = 0; so < 8; so++)
            for (int d = 0; d < 2; d++) {
                f.sort = (pool_sort_kind)so;
                f.desc = d;
                pool_rows_clear(rows, VIS);
                int n = pool_list(P, &f, 3, VIS, rows, err);
                if (n < 0) die("list");
                printf("list %s %s %d:", filter_name((pool_filter_kind)k),
                       sort_name((pool_sort_kind)so), d);
                for (int i = 0; i < n; i++) printf(" %s", rows[i].id);
                printf("\n");
            }
    }
    pool_close(P);
    rubric_free(R);
    return 0;
}

/* ---- writes ---- */

#include <sys/resource.h>

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Stores n predictions for b-0000001... (batch 0: one transaction each). */
static void put_preds(int64_t run, int from, int n, int batch, double *cpu_us,
                      double *wall_us)
{
    double c0 = cpu_s(), t0 = date_mono();
    for (int i = 0; i < n; i++) {
        if (batch && i % batch == 0 && pool_begin(P, err) < 0) die("begin");
        char id[32];
        snprintf(id, sizeof id, "b-%07d", from + i);
        prediction pr;
        memset(&pr, 0, sizeof pr);
        for (size_t k = 0; k < R->nfields; k++)
            if (rubric_is_scored(&R->fields[k])) {
                pr.scores.v[k] = (double)((i * 7 + (int)k) % 21) / 2;
                pr.scores.set[k] = 1;
            }
        pr.status = "ok";
        pr.model = "bench-writes";
        pr.run_id = run;
        pr.raw = "[[ ## responsiveness_score ## ]]\n7\n[[ ## completed ## ]]";
        if (pool_put_prediction(P, R, id, &pr, NULL, err) < 0) die("prediction");
        if (batch && (i % batch == batch - 1 || i == n - 1) && pool_commit(P, err) < 0)
            die("commit");
    }
    *cpu_us = (cpu_s() - c0) * 1e6 / n;
    *wall_us = (date_mono() - t0) * 1e6 / n;
}

static int writes(const char *db)
{
    P = pool_open(db, err);
    if (!P) die("open");
    R = rubric_default_new();
    int64_t run;
    if (pool_run_start(P, "bench", "writes", "bench-writes", 0, NULL, &run, err) < 0)
        die("run");
    double cpu, wall;
    put_preds(run, 1, 1000, 0, &cpu, &wall);
    printf("  %-46s %9.0f us   (wall %.0f us; scoring target: client CPU < 100 us"
           " per request)\n", "store a prediction, one transaction each", cpu, wall);
    put_preds(run, 1001, 1000, 64, &cpu, &wall);
    printf("  %-46s %9.0f us   (wall %.0f us)\n",
           "store a prediction, 64 per transaction", cpu, wall);
    pool_run_finish(P, run, "done", NULL, err);
    pool_close(P);
    rubric_free(R);
    return 0;
}

/* ---- plans ---- */

static sbuf traced;   /* expanded SQL of the statements run, NUL-separated */

static int on_trace(unsigned type, void *ctx, void *stmt, void *x)
{
    char *sql = sqlite3_expanded_sql((sqlite3_stmt *)stmt);
    if (sql && strncmp(sql, "EXPLAIN", 7)) sbuf_addn(&traced, sql, strlen(sql) + 1);
    sqlite3_free(sql);
    return 0;
}

/* A scan of a table that grows with the pool, not through an index. */
static int full_scan(const char *d)
{
    static const char *big[] = {"c", "conversations", "m", "messages", "pr",
                                "predictions", "lb", "labels", "x"};
    if (strncmp(d, "SCAN ", 5) || strstr(d, "INDEX")) return 0;
    size_t n = strcspn(d + 5, " ");
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
        if (strlen(big[i]) == n && !strncmp(d + 5, big[i], n)) return 1;
    return 0;
}

/* Prints the plan of every traced statement on one line; returns 1 when a
 * plan scans the conversations or messages table or sorts in a temp B-tree. */
static int show_plans(const char *what)
{
    int bad = 0;
    size_t n = traced.len;
    traced.len = 0;   /* EXPLAIN itself is traced: collect nothing more */
    char *all = xmalloc(n + 1);
    memcpy(all, traced.s ? traced.s : "", n);
    for (size_t off = 0; off < n; off += strlen(all + off) + 1) {
        const char *sql = all + off;
        if (strncmp(sql, "SELECT", 6) && strncmp(sql, "WITH", 4)) continue;
        sbuf q = {0}, line = {0};
        sbuf_addf(&q, "EXPLAIN QUERY PLAN %s", sql);
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(P->db, q.s, -1, &s, NULL) != SQLITE_OK) {
            printf("  %-34s (cannot explain: %s)\n", what, sqlite3_errmsg(P->db));
            sbuf_free(&q);
            continue;
        }
        int this_bad = 0, small = 0;
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *d = (const char *)sqlite3_column_text(s, 3);
            if (line.len) sbuf_add(&line, " | ");
            sbuf_add(&line, d);
            if (strstr(d, "conv_l_edge (edge=?)") || strstr(d, "conv_l_fdiff (fdiff>?)") ||
                strstr(d, "INDEX conv_conflict"))
                small = 1;
            /* A search with few matches (pool_list counts them first). */
            if (strstr(sql, "search_hits") && strstr(d, "INTEGER PRIMARY KEY (rowid=?)"))
                small = 1;
            /* The failures and a reviewer's skips (schema 16 partial
             * indexes). */
            if (strstr(d, "predictions_failed") || strstr(d, "labels_skipped"))
                small = 1;
            if (full_scan(d) || strstr(d, "TEMP B-TREE FOR ORDER BY"))
                this_bad = 1;
        }
        sqlite3_finalize(s);
        /* The edge cases, the conflicts, a short disagreement list and a
         * search with few matches are read from their own index and
         * sorted: a small set by nature (by count). */
        if (this_bad && small && !full_scan(line.s)) {
            this_bad = 0;
            sbuf_add(&line, "   (sorts the small set)");
        }
        printf("  %s %-34s %s\n", this_bad ? "!!" : "  ", what, line.s ? line.s : "");
        bad |= this_bad;
        sbuf_free(&q);
        sbuf_free(&line);
    }
    free(all);
    traced.len = 0;
    return bad;
}

static int plans(const char *db)
{
    P = pool_open(db, err);
    if (!P) die("open");
    R = rubric_default_new();
    sqlite3_trace_v2(P->db, SQLITE_TRACE_STMT, on_trace, NULL);
    int nbad = 0;
    char what[96];
    printf("pool_list: every filter x sort (\"!!\": full scan or temp sort)\n");
    for (int k = 0; k <= FILTER_FAILED; k++)
        for (int s = 0; s < 8; s++) {
            pool_filter f = mkf((pool_filter_kind)k, (pool_sort_kind)s, 0);
            traced.len = 0;
            list(&f, 0);
            snprintf(what, sizeof what, "%s by %s", filter_name((pool_filter_kind)k),
                     sort_name((pool_sort_kind)s));
            nbad += show_plans(what);
        }
    printf("pool_count: every filter, with a seller, with a search\n");
    for (int k = 0; k <= FILTER_FAILED; k++) {
        pool_filter f = mkf((pool_filter_kind)k, SORT_ID, 0);
        traced.len = 0;
        count(&f);
        nbad += show_plans(filter_name((pool_filter_kind)k));
        f.seller = "S-LIS-01";
        traced.len = 0;
        count(&f);
        snprintf(what, sizeof what, "%s, seller", filter_name((pool_filter_kind)k));
        nbad += show_plans(what);
    }
    printf("the conflicts (the queue's Conflicts tab): every sort, the count\n");
    for (int so = 0; so < 8; so++) {
        pool_filter f = mkf(FILTER_CONFLICT, (pool_sort_kind)so, 0);
        traced.len = 0;
        list(&f, 0);
        snprintf(what, sizeof what, "conflict by %s", sort_name((pool_sort_kind)so));
        nbad += show_plans(what);
    }
    {
        pool_filter f = mkf(FILTER_CONFLICT, SORT_ID, 0);
        traced.len = 0;
        count(&f);
        nbad += show_plans("conflict");
    }
    printf("search (indexed): counts and windows, many and few matches\n");
    static const char *terms[] = {"refund", "zzqx-none"};
    static const pool_filter_kind sk[] = {FILTER_ALL, FILTER_TO_REVIEW, FILTER_EDGE};
    for (int t = 0; t < 2; t++)
        for (int k = 0; k < 3; k++)
            for (int so = 0; so < 2; so++) {
                pool_filter f = mkf(sk[k], so ? SORT_MESSAGES : SORT_ID, 0);
                f.search = terms[t];
                traced.len = 0;
                list(&f, 0);
                snprintf(what, sizeof what, "\"%s\" %s by %s", terms[t],
                         filter_name(sk[k]), sort_name(f.sort));
                nbad += show_plans(what);
            }
    printf("statistics and histograms\n");
    pool_stats st;
    traced.len = 0;
    if (pool_get_stats(P, R, 0, NULL, &st, err) < 0) die("stats");
    nbad += show_plans("pool_get_stats");
    int64_t bins[20];
    int fi = 0;
    while ((size_t)fi < R->nfields && !rubric_is_scored(&R->fields[fi])) fi++;
    traced.len = 0;
    if (pool_histogram(P, R, fi, 0, 0, NULL, 20, bins, err) < 0) die("histogram");
    nbad += show_plans("pool_histogram");
    printf("%d plan%s with a full scan or a temp sort\n", nbad, nbad == 1 ? "" : "s");
    sbuf_free(&traced);
    pool_close(P);
    rubric_free(R);
    return 0;
}

/* ---- parse ---- */

static long parsed_msgs;
static int count_msgs(const convo *c, void *ctx, char *e)
{
    parsed_msgs += (long)c->nmsgs;
    return 0;
}

static int parse(const char *path)
{
    size_t len;
    double t0 = date_mono();
    char *data = file_read_new(path, &len, err);
    if (!data) die("read");
    double t1 = date_mono();
    if (import_jsonl(data, len, path, count_msgs, NULL, err) < 0) die("parse");
    double t2 = date_mono();
    free(data);
    printf("%.3f %.3f %ld\n", t1 - t0, t2 - t1, parsed_msgs);
    return 0;
}

/* ---- the alternatives to curate import ---- */

typedef struct {
    FILE *out;
    sqlite3_stmt *ins;
    long cid;
    double t_sql;
} alt_ctx;

static void csv_field(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int csv_convo(const convo *c, void *ctx, char *e)
{
    alt_ctx *a = ctx;
    a->cid++;
    for (size_t i = 0; i < c->nmsgs; i++) {
        const convo_msg *m = &c->msgs[i];
        fprintf(a->out, "%ld,%lld,", a->cid, (long long)m->ts);
        csv_field(a->out, m->sender);
        fprintf(a->out, ",%d,", (int)m->role);
        csv_field(a->out, m->text);
        fputc('\n', a->out);
    }
    return 0;
}

static int to_csv(const char *path, const char *out)
{
    size_t len;
    char *data = file_read_new(path, &len, err);
    if (!data) die("read");
    alt_ctx a = {.out = fopen(out, "w")};
    if (!a.out) { err_set(err, "%s", out); die("open"); }
    fputs("cid,ts,sender,role,text\n", a.out);
    if (import_jsonl(data, len, path, csv_convo, &a, err) < 0) die("parse");
    fclose(a.out);
    free(data);
    return 0;
}

static int ins_convo(const convo *c, void *ctx, char *e)
{
    alt_ctx *a = ctx;
    double t = date_mono();
    a->cid++;
    for (size_t i = 0; i < c->nmsgs; i++) {
        const convo_msg *m = &c->msgs[i];
        sqlite3_bind_int64(a->ins, 1, a->cid);
        sqlite3_bind_int64(a->ins, 2, m->ts);
        sqlite3_bind_text(a->ins, 3, m->sender, -1, SQLITE_STATIC);
        sqlite3_bind_int(a->ins, 4, (int)m->role);
        sqlite3_bind_text(a->ins, 5, m->text, -1, SQLITE_STATIC);
        if (sqlite3_step(a->ins) != SQLITE_DONE) return -1;
        sqlite3_reset(a->ins);
    }
    a->t_sql += date_mono() - t;
    return 0;
}

static int mininsert(const char *path, const char *dbpath)
{
    double t0 = date_mono();
    size_t len;
    char *data = file_read_new(path, &len, err);
    if (!data) die("read");
    sqlite3 *db;
    if (sqlite3_open(dbpath, &db) != SQLITE_OK) die("open");
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE messages(cid "
                 "INTEGER, ts INTEGER, sender TEXT, role INTEGER, text TEXT);"
                 "BEGIN", NULL, NULL, NULL);
    alt_ctx a = {0};
    sqlite3_prepare_v2(db, "INSERT INTO messages VALUES(?,?,?,?,?)", -1,
                       &a.ins, NULL);
    if (import_jsonl(data, len, path, ins_convo, &a, err) < 0) die("insert");
    double t = date_mono();
    sqlite3_finalize(a.ins);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    a.t_sql += date_mono() - t;
    sqlite3_close(db);
    free(data);
    printf("%.3f %.3f\n", date_mono() - t0, a.t_sql);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "csv")) return to_csv(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "mininsert"))
        return mininsert(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "parse")) return parse(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "queries")) return queries(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "plans")) return plans(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "queue")) return queue_parts(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "writes")) return writes(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "dump"))
        return dump(argv[2], argc > 3 ? atoll(argv[3]) : 0,
                    argc > 4 ? argv[4] : NULL);
    fputs("usage: bench parse FILE | queries DB | plans DB | writes DB | "
          "dump DB [RUN [SELLER]]\n", stderr);
    return 2;
}

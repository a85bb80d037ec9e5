/* screen_dist.c: the distribution view (d): per score field, model vs
 * human statistics, MAE, the compression alarm (largest share of model
 * scores inside any 1-point band) and side-by-side histograms of the
 * picked field; per seller, per scoring run, with a pinned baseline run
 * to compare before / after. Aggregation happens in SQL (pool_get_stats,
 * pool_histogram). */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../../core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HBINS 10        /* histogram bins shown */
#define FINE 100        /* fine bins for the compression alarm */
#define MAX_RUNS 64
#define ALARM_SHARE 0.6 /* highlight when >= 60% sit in one 1-point band */

typedef struct {
    screen base;
    char seller[128];
    pool_run runs[MAX_RUNS];
    int nruns;
    int run;                      /* 0 = latest predictions, i = runs[i-1] */
    int base_run;                 /* pinned baseline (-1 none) */
    pool_stats st, bst;
    int fields[RUBRIC_MAX_FIELDS], nfields, sel;
    double comp_share[RUBRIC_MAX_FIELDS];
    double comp_lo[RUBRIC_MAX_FIELDS];
    int64_t hm[HBINS], hh[HBINS];
    int loaded;
} dist_screen;

static int64_t run_id(dist_screen *d, int run)
{
    return run > 0 && run <= d->nruns ? d->runs[run - 1].id : 0;
}

static const char *seller_or_null(dist_screen *d)
{
    return d->seller[0] ? d->seller : NULL;
}

/* The compression alarm of field fi for the shown run. */
static void compression(ui *u, dist_screen *d, int fi)
{
    const rubric_field *f = &u->r->fields[fi];
    int64_t bins[FINE];
    char err[ERR_MAX];
    d->comp_share[fi] = -1;
    if (pool_histogram(u->p, u->r, fi, 0, run_id(d, d->run), seller_or_null(d),
                       FINE, bins, err) < 0)
        return;
    double bw = (f->hi - f->lo) / FINE;
    if (bw <= 0 || f->hi - f->lo < 1) return;
    /* A closed band [a, a+1]: 1/bw fine bins plus the one starting at a+1
     * (values exactly on the upper edge). */
    int window = (int)lround(1.0 / bw) + 1;
    int64_t total = 0;
    for (int i = 0; i < FINE; i++) total += bins[i];
    if (total == 0) return;
    int start;
    int64_t best = ui_max_window(bins, FINE, window, &start);
    d->comp_share[fi] = (double)best / (double)total;
    d->comp_lo[fi] = f->lo + start * bw;
}

static void load(ui *u, dist_screen *d)
{
    char err[ERR_MAX];
    /* Every run that produced predictions (score runs, the demo's). */
    pool_run all[MAX_RUNS];
    int n = pool_list_runs(u->p, NULL, all, MAX_RUNS, err);
    if (n < 0) { ui_error(u, "%s", err); n = 0; }
    d->nruns = 0;
    for (int i = 0; i < n; i++)
        if (all[i].npred > 0) d->runs[d->nruns++] = all[i];
    n = d->nruns;
    if (d->run > n) d->run = 0;
    if (d->base_run > n) d->base_run = -1;
    if (pool_get_stats(u->p, u->r, run_id(d, d->run), seller_or_null(d),
                       &d->st, err) < 0)
        ui_error(u, "%s", err);
    if (d->base_run >= 0 &&
        pool_get_stats(u->p, u->r, run_id(d, d->base_run), seller_or_null(d),
                       &d->bst, err) < 0)
        ui_error(u, "%s", err);
    for (int i = 0; i < d->nfields; i++) compression(u, d, d->fields[i]);
    int fi = d->fields[d->sel];
    if (pool_histogram(u->p, u->r, fi, 0, run_id(d, d->run), seller_or_null(d),
                       HBINS, d->hm, err) < 0 ||
        pool_histogram(u->p, u->r, fi, 1, 0, seller_or_null(d), HBINS, d->hh,
                       err) < 0)
        ui_error(u, "%s", err);
    d->loaded = 1;
}

static void dist_reload(ui *u, screen *s) { load(u, (dist_screen *)s); }

static void run_label(dist_screen *d, int run, char *out, size_t n)
{
    if (run <= 0 || run > d->nruns) {
        snprintf(out, n, "latest predictions");
        return;
    }
    const pool_run *r = &d->runs[run - 1];
    char when[32];
    date_iso8601(r->started_at, when, sizeof when);
    when[16] = 0;
    char prog[48] = "";
    if (r->program_id)
        snprintf(prog, sizeof prog, ", program %lld", (long long)r->program_id);
    snprintf(out, n, "run %lld: %s %s%s, %lld predictions, %s, %s",
             (long long)r->id, r->backend, r->model, prog, (long long)r->npred,
             when, r->status);
}

static void field_name(ui *u, int fi, char *out, size_t n)
{
    char *p = rubric_prefix_new(u->r->fields[fi].name);
    size_t l = strlen(p);
    if (l && p[l - 1] == ':') p[l - 1] = 0;
    snprintf(out, n, "%s", p);
    free(p);
}

static void agg_cells(const pool_agg *a, int compact, char *out, size_t n)
{
    if (compact) {
        if (a->n == 0) snprintf(out, n, "%6d %5s %5s", 0, "-", "-");
        else snprintf(out, n, "%6lld %5.2f %5.2f", (long long)a->n, a->mean, a->sd);
    } else if (a->n == 0) {
        snprintf(out, n, "%7d %5s %5s %5s %5s", 0, "-", "-", "-", "-");
    } else {
        snprintf(out, n, "%7lld %5.2f %5.2f %5.2f %5.2f", (long long)a->n,
                 a->mean, a->sd, a->min, a->max);
    }
}

static void draw_table(ui *u, dist_screen *d, int y)
{
    int compact = COLS < 110;
    int namew = compact ? 12 : 22, cw = compact ? 18 : 31;
    int ha = ui_attr(u, A_UI_HEAD);
    ui_fill(y, 0, COLS, ha);
    ui_put(u, y, 1, namew, "field", ha);
    int x = namew + 2;
    ui_put(u, y, x, cw, compact ? " model  mean    sd" :
           "model n  mean    sd   min   max", ha);
    ui_put(u, y, x + cw + 2, cw, compact ? " human  mean    sd" :
           "human n  mean    sd   min   max", ha);
    int mx0 = x + 2 * cw + 4;
    ui_put(u, y, mx0, COLS - mx0,
           d->base_run >= 0 ? "  MAE (base) compression" : "  MAE compression", ha);
    for (int i = 0; i < d->nfields; i++) {
        int fi = d->fields[i], yy = y + 1 + i;
        int a = i == d->sel ? ui_attr(u, A_UI_SEL) : UI_PLAIN;
        if (i == d->sel) ui_fill(yy, 0, COLS, a);
        char name[128], cells[96];
        field_name(u, fi, name, sizeof name);
        ui_put(u, yy, 1, namew, name, a);
        agg_cells(&d->st.model[fi], compact, cells, sizeof cells);
        ui_put(u, yy, x, cw, cells, a);
        agg_cells(&d->st.human[fi], compact, cells, sizeof cells);
        ui_put(u, yy, x + cw + 2, cw, cells, a);
        char mae[48] = "    -";
        if (d->st.abs_err[fi].n)
            snprintf(mae, sizeof mae, "%5.2f", d->st.abs_err[fi].mean);
        if (d->base_run >= 0) {
            char b[24] = " (-)";
            if (d->bst.abs_err[fi].n)
                snprintf(b, sizeof b, " (%.2f)", d->bst.abs_err[fi].mean);
            strncat(mae, b, sizeof mae - strlen(mae) - 1);
        }
        int mx = mx0;
        mx += ui_put(u, yy, mx, 14, mae, a) + 1;
        if (d->comp_share[fi] >= 0) {
            int alarm = d->comp_share[fi] >= ALARM_SHARE;
            ui_putf(u, yy, mx, COLS - mx, alarm && i != d->sel ?
                    ui_attr(u, A_UI_ERR) : a, "%s%.0f%% in %.1f-%.1f",
                    alarm ? "!" : "", d->comp_share[fi] * 100,
                    d->comp_lo[fi], d->comp_lo[fi] + 1);
        }
    }
}

static void draw_hist(ui *u, dist_screen *d, int y, int rows)
{
    int fi = d->fields[d->sel];
    const rubric_field *f = &u->r->fields[fi];
    char name[128], t[256];
    field_name(u, fi, name, sizeof name);
    snprintf(t, sizeof t, "%s: model (left) vs human (right)", name);
    ui_rule(u, y, 0, COLS, t, ui_attr(u, A_UI_HEAD));
    int64_t nm = 0, nh = 0, mx = 1;
    for (int i = 0; i < HBINS; i++) nm += d->hm[i], nh += d->hh[i];
    /* Bars show each side's share of its own n, scaled to the larger. */
    double smax = 0;
    for (int i = 0; i < HBINS; i++) {
        if (nm && (double)d->hm[i] / nm > smax) smax = (double)d->hm[i] / nm;
        if (nh && (double)d->hh[i] / nh > smax) smax = (double)d->hh[i] / nh;
    }
    (void)mx;
    int labw = 10, cntw = 12;
    int barw = (COLS - labw - 2 * cntw - 6) / 2;
    if (barw < 4) barw = 4;
    double bw = (f->hi - f->lo) / HBINS;
    for (int i = 0; i < HBINS && i + 1 < rows; i++) {
        int b = HBINS - 1 - i;      /* highest scores on top */
        int yy = y + 1 + i;
        ui_putf(u, yy, 1, labw, UI_PLAIN, "%4.1f-%-4.1f", f->lo + b * bw,
                f->lo + (b + 1) * bw);
        int x = labw + 1;
        double sm = nm ? (double)d->hm[b] / nm : 0, sh = nh ? (double)d->hh[b] / nh : 0;
        ui_draw_bar(u, yy, x, barw, smax > 0 ? sm / smax : 0, 0, 1,
                    ui_attr(u, A_UI_MODEL));
        ui_putf(u, yy, x + barw + 1, cntw, ui_attr(u, A_UI_DIM), "%5lld %3.0f%%",
                (long long)d->hm[b], sm * 100);
        x += barw + cntw + 3;
        ui_put(u, yy, x - 2, 1, u->ascii ? "|" : "\u2502", UI_PLAIN);
        ui_draw_bar(u, yy, x, barw, smax > 0 ? sh / smax : 0, 0, 1,
                    ui_attr(u, A_UI_HUMAN));
        ui_putf(u, yy, x + barw + 1, cntw, ui_attr(u, A_UI_DIM), "%5lld %3.0f%%",
                (long long)d->hh[b], sh * 100);
    }
    int ay = y + 1 + (HBINS < rows - 1 ? HBINS : rows - 1);
    if (ay < y + rows && d->comp_share[fi] >= 0) {
        int alarm = d->comp_share[fi] >= ALARM_SHARE;
        ui_putf(u, ay, 1, COLS - 2, ui_attr(u, alarm ? A_UI_ERR : A_UI_DIM),
                "%s%.0f%% of %s scores in %.1f-%.1f (model, n=%lld)",
                alarm ? "compression alarm: " : "compression: ",
                d->comp_share[fi] * 100, u->r->fields[fi].name, d->comp_lo[fi],
                d->comp_lo[fi] + 1, (long long)nm);
    }
}

static void dist_draw(ui *u, screen *s, int top, int rows)
{
    dist_screen *d = (dist_screen *)s;
    if (!d->loaded) load(u, d);
    char rl[256], bl[256];
    run_label(d, d->run, rl, sizeof rl);
    int x = ui_putf(u, top, 1, COLS - 2, A_BOLD, "Run: %s", rl);
    x += ui_putf(u, top, x + 1, COLS - x - 2, UI_PLAIN, " | seller: %s",
                 d->seller[0] ? d->seller : "all");
    if (d->base_run >= 0) {
        run_label(d, d->base_run, bl, sizeof bl);
        ui_putf(u, top + 1, 1, COLS - 2, ui_attr(u, A_UI_DIM), "Baseline: %s", bl);
    } else {
        ui_putf(u, top + 1, 1, COLS - 2, ui_attr(u, A_UI_DIM),
                "%lld conversations, %lld scored, %lld reviewed | [ ] run  b "
                "baseline  s seller  j/k field", (long long)d->st.conversations,
                (long long)d->st.scored, (long long)d->st.reviewed);
    }
    draw_table(u, d, top + 2);
    int hy = top + 3 + d->nfields + 1;
    if (hy < top + rows - 2) draw_hist(u, d, hy, top + rows - hy);
}

static void seller_done(ui *u, screen *s, const char *text)
{
    dist_screen *d = (dist_screen *)s;
    snprintf(d->seller, sizeof d->seller, "%s", text);
    load(u, d);
}

static int d_next_field(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    if (d->sel < d->nfields - 1) d->sel++;
    load(u, d);
    return 1;
}

static int d_prev_field(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    if (d->sel > 0) d->sel--;
    load(u, d);
    return 1;
}

static int d_next_run(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    d->run = (d->run + 1) % (d->nruns + 1);
    load(u, d);
    return 1;
}

static int d_prev_run(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    d->run = (d->run + d->nruns) % (d->nruns + 1);
    load(u, d);
    return 1;
}

static int d_baseline(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    d->base_run = d->base_run >= 0 ? -1 : d->run;
    load(u, d);
    return 1;
}

static int d_seller(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    ui_prompt(u, s, "Seller id (empty: all): ", d->seller, seller_done);
    return 1;
}

static int d_all_sellers(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    d->seller[0] = 0;
    load(u, d);
    return 1;
}

static const ui_keydef dist_keys[] = {
    {0, 0, NULL, "Distribution", ""},
    {'j', 0, d_next_field, "next score field (whose histograms are shown)", NULL},
    {KEY_DOWN, 1, d_next_field, NULL, NULL},
    {'k', 0, d_prev_field, "previous score field", NULL},
    {KEY_UP, 1, d_prev_field, NULL, NULL},
    {']', 0, d_next_run, "next scoring run (latest predictions first)", NULL},
    {KEY_RIGHT, 1, d_next_run, NULL, NULL},
    {'[', 0, d_prev_run, "previous scoring run", NULL},
    {KEY_LEFT, 1, d_prev_run, NULL, NULL},
    {'b', 0, d_baseline, "pin the shown run as the baseline to compare with (again: unpin)", NULL},
    {'s', 0, d_seller, "restrict to one seller (empty: all sellers)", NULL},
    {'S', 0, d_all_sellers, "all sellers again", NULL},
    {0, 0, NULL, "Compression alarm: the largest share of the model's scores inside"
                 " any 1-point band; highlighted from 60%.", ""},
    UI_KEYS_END,
};

static void dist_destroy(screen *s) { free(s); }

screen *screen_dist_new(ui *u, const char *seller)
{
    dist_screen *d = xcalloc(1, sizeof *d);
    d->base.title = "Distribution";
    d->base.hint = "j/k field  [ ] run  b baseline  s seller  S all sellers  "
                   "? help  q back";
    d->base.keys = dist_keys;
    d->base.draw = dist_draw;
    d->base.reload = dist_reload;
    d->base.destroy = dist_destroy;
    d->base_run = -1;
    if (seller) snprintf(d->seller, sizeof d->seller, "%s", seller);
    for (size_t i = 0; i < u->r->nfields; i++)
        if (rubric_is_scored(&u->r->fields[i])) d->fields[d->nfields++] = (int)i;
    if (d->nfields == 0) {
        free(d);
        ui_error(u, "the rubric has no score fields");
        return NULL;
    }
    d->sel = d->nfields - 1;       /* the overall first */
    return &d->base;
}

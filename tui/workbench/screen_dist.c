/* screen_dist.c: the distribution view (d): per score field, model and
 * human n / mean / sd, MAE and the compression share with its alarm
 * (explained on screen); every field's model-vs-human histogram when the
 * terminal has room (one, the picked field's, when small); per seller
 * (prefix, any case: several matches open the seller list), per scoring
 * run (single re-scores hidden unless asked), and with a pinned baseline
 * both runs side by side per field (n, mean, sd, compression, MAE,
 * Spearman) and both histograms. The numbers come from pool_dist (the
 * same as `curate report`); this file only draws them. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../../core/util.h"
#include "../../data/pool_dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_RUNS 256

typedef struct {
    screen base;
    char *seller;                 /* NULL = all sellers */
    pool_run runs[MAX_RUNS];      /* the runs offered by [ ] */
    int nruns;
    int hidden;                   /* single re-scores left out */
    int show_single;              /* a: offer them too */
    int run;                      /* 0 = latest predictions, i = runs[i-1] */
    int64_t base_id;              /* pinned baseline run id (-1 none, 0 the
                                     latest predictions) */
    pool_stats st;
    int fields[RUBRIC_MAX_FIELDS], nfields, sel;
    pool_dist_field cur[RUBRIC_MAX_FIELDS], bas[RUBRIC_MAX_FIELDS];
    int loaded;
} dist_screen;

static int64_t run_id(dist_screen *d)
{
    return d->run > 0 && d->run <= d->nruns ? d->runs[d->run - 1].id : 0;
}

static void load(ui *u, dist_screen *d)
{
    char err[ERR_MAX];
    int64_t shown = run_id(d);
    /* Every run that produced predictions; a one-prediction score run is
     * an `r` re-score, left out unless asked for. */
    pool_run *all = xcalloc(MAX_RUNS, sizeof *all);
    int n = pool_list_runs(u->p, NULL, all, MAX_RUNS, err);
    if (n < 0) { ui_error(u, "%s", err); n = 0; }
    d->nruns = d->hidden = 0;
    for (int i = 0; i < n; i++) {
        if (all[i].npred == 0) continue;
        int single = all[i].npred == 1 && !strcmp(all[i].kind, "score");
        if (single && !d->show_single && all[i].id != shown &&
            all[i].id != d->base_id) {
            d->hidden++;
            continue;
        }
        d->runs[d->nruns++] = all[i];
    }
    free(all);
    /* Keep showing the same run when the list changes. */
    d->run = 0;
    for (int i = 0; i < d->nruns; i++)
        if (d->runs[i].id == shown) d->run = i + 1;
    const char *seller = d->seller;
    if (pool_get_stats(u->p, u->r, run_id(d), seller, &d->st, err) < 0)
        ui_error(u, "%s", err);
    int pairs = d->base_id >= 0;   /* Spearman: side by side only */
    for (int i = 0; i < d->nfields; i++) {
        int fi = d->fields[i];
        if (pool_dist_field_get(u->p, u->r, fi, run_id(d), seller, pairs,
                                &d->cur[fi], err) < 0 ||
            (d->base_id >= 0 &&
             pool_dist_field_get(u->p, u->r, fi, d->base_id, seller, 1,
                                 &d->bas[fi], err) < 0)) {
            ui_error(u, "%s", err);
            break;
        }
    }
    d->loaded = 1;
}

static void dist_reload(ui *u, screen *s) { load(u, (dist_screen *)s); }

static void run_text(const pool_run *r, char *out, size_t n)
{
    char when[32];
    date_iso8601(r->started_at, when, sizeof when);
    when[16] = 0;
    char prog[48] = "";
    if (r->program_id)
        snprintf(prog, sizeof prog, ", program %lld", (long long)r->program_id);
    snprintf(out, n, "run %lld: %s %s%s, %lld %s, %s, %s",
             (long long)r->id, r->backend, r->model, prog, (long long)r->npred,
             ui_plural(r->npred, "prediction", "predictions"), when, r->status);
}

static void run_label(dist_screen *d, int64_t id, char *out, size_t n)
{
    for (int i = 0; i < d->nruns; i++)
        if (d->runs[i].id == id) { run_text(&d->runs[i], out, n); return; }
    if (id == 0) snprintf(out, n, "latest predictions");
    else snprintf(out, n, "run %lld", (long long)id);
}

static void field_name(ui *u, int fi, char *out, size_t n)
{
    char *p = rubric_prefix_new(u->r->fields[fi].name);
    size_t l = strlen(p);
    if (l && p[l - 1] == ':') p[l - 1] = 0;
    snprintf(out, n, "%s", p);
    free(p);
}

static void agg_text(const dist_agg *a, char *out, size_t n)
{
    if (a->n == 0) snprintf(out, n, "%7d %5s %5s", 0, "-", "-");
    else snprintf(out, n, "%7lld %5.2f %5.2f", (long long)a->n, a->mean, a->sd);
}

static void comp_text(const pool_dist_field *f, char *out, size_t n)
{
    if (f->comp_share < 0)
        snprintf(out, n, "n<%d", DIST_ALARM_MIN_N);
    else
        snprintf(out, n, "%s%.0f%% in %.1f-%.1f", dist_alarm(f->comp_share) ?
                 "!" : "", f->comp_share * 100, f->comp_lo, f->comp_lo + DIST_BAND);
}

static int comp_attr(ui *u, const pool_dist_field *f, int a, int sel)
{
    return f->comp_share >= 0 && dist_alarm(f->comp_share) && !sel ?
           ui_attr(u, A_UI_ERR) : a;
}

/* One run's figures of a field on row y from x: model n mean sd, [human n
 * mean sd,] MAE, [Spearman,] compression. */
static void figures(ui *u, int y, int x, const pool_dist_field *f, int wide,
                    int rho, int a, int sel)
{
    char t[64];
    agg_text(&f->model, t, sizeof t);
    x += ui_put(u, y, x, 20, t, a) + 2;
    if (wide) {
        agg_text(&f->human, t, sizeof t);
        x += ui_put(u, y, x, 20, t, a) + 2;
    }
    if (f->abs_err.n) snprintf(t, sizeof t, "%5.2f", f->abs_err.mean);
    else snprintf(t, sizeof t, "%5s", "-");
    x += ui_put(u, y, x, 6, t, a) + 1;
    if (rho) {
        if (f->has_spearman) snprintf(t, sizeof t, "%6.2f", f->spearman);
        else snprintf(t, sizeof t, "%6s", "-");
        x += ui_put(u, y, x, 7, t, a) + 1;
    }
    comp_text(f, t, sizeof t);
    ui_put(u, y, x + 1, COLS - x - 2, t, comp_attr(u, f, a, sel));
}

/* The table; returns the rows used. */
static int draw_table(ui *u, dist_screen *d, int y, int maxrows)
{
    int side = d->base_id >= 0;
    int wide = COLS >= 100;
    int namew = wide ? 27 : 14;
    int ha = ui_attr(u, A_UI_HEAD);
    ui_fill(y, 0, COLS, ha);
    ui_put(u, y, 1, namew, "field", ha);
    int x = namew + 2;
    if (side) x += ui_put(u, y, x, 7, "run", ha) + 1;
    char h[160];
    snprintf(h, sizeof h, "%s%s  MAE%s  compression",
             "model n  mean    sd  ", wide ? "human n  mean    sd  " : "",
             side ? "   rho" : "");
    ui_put(u, y, x, COLS - x, h, ha);
    int used = 1;
    for (int i = 0; i < d->nfields && used < maxrows; i++) {
        int fi = d->fields[i], yy = y + used;
        int sel = i == d->sel;
        int a = sel ? ui_attr(u, A_UI_SEL) : UI_PLAIN;
        char name[128];
        field_name(u, fi, name, sizeof name);
        if (sel) ui_fill(yy, 0, COLS, a);
        ui_put(u, yy, 1, namew, name, a);
        if (!side) {
            figures(u, yy, namew + 2, &d->cur[fi], wide, 0, a, sel);
            used++;
            continue;
        }
        ui_put(u, yy, namew + 2, 7, "before", a);
        figures(u, yy, namew + 10, &d->bas[fi], wide, 1, a, sel);
        if (used + 1 >= maxrows) { used++; break; }
        if (sel) ui_fill(yy + 1, 0, COLS, a);
        ui_put(u, yy + 1, namew + 2, 7, "after", a);
        figures(u, yy + 1, namew + 10, &d->cur[fi], wide, 1, a, sel);
        used += 2;
    }
    return used;
}

/* A histogram panel of field fi at (y, x), w wide, rows high: a title,
 * one row per bin (highest scores on top) with a bar per series, the
 * compression line. Bars show each series' share of its own n, scaled to
 * the largest share. */
static void draw_panel(ui *u, dist_screen *d, int fi, int y, int x, int w,
                       int rows, int grid)
{
    const rubric_field *f = &u->r->fields[fi];
    int side = d->base_id >= 0;
    const int64_t *ser[3];
    int attr[3], ns = 0;
    if (side) {
        ser[ns] = d->bas[fi].hist_model; attr[ns++] = ui_attr(u, A_UI_DIM);
    }
    ser[ns] = d->cur[fi].hist_model; attr[ns++] = ui_attr(u, A_UI_MODEL);
    ser[ns] = d->cur[fi].hist_human; attr[ns++] = ui_attr(u, A_UI_HUMAN);
    char name[128], t[256];
    field_name(u, fi, name, sizeof name);
    if (side)
        snprintf(t, sizeof t, "%s: before | after | human", name);
    else if (grid)
        snprintf(t, sizeof t, "%s: model | human", name);
    else
        snprintf(t, sizeof t, "%s: model (left) vs human (right)", name);
    ui_rule(u, y, x, w, t, ui_attr(u, A_UI_HEAD));
    int64_t tot[3] = {0};
    double smax = 0;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < DIST_BINS; i++) tot[k] += ser[k][i];
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < DIST_BINS; i++)
            if (tot[k] && (double)ser[k][i] / tot[k] > smax)
                smax = (double)ser[k][i] / tot[k];
    int labw = 10, cntw = side ? 5 : 12;
    int barw = (w - labw - ns * (cntw + 3)) / ns;
    if (barw < 3) barw = 3;
    double bw = (f->hi - f->lo) / DIST_BINS;
    for (int i = 0; i < DIST_BINS && i + 1 < rows - 1; i++) {
        int b = DIST_BINS - 1 - i;
        int yy = y + 1 + i;
        ui_putf(u, yy, x + 1, labw, UI_PLAIN, "%4.1f-%-4.1f", f->lo + b * bw,
                f->lo + (b + 1) * bw);
        int xx = x + labw + 1;
        for (int k = 0; k < ns; k++) {
            double sh = tot[k] ? (double)ser[k][b] / tot[k] : 0;
            if (k) ui_put(u, yy, xx - 2, 1, u->ascii ? "|" : "\u2502", UI_PLAIN);
            ui_draw_bar(u, yy, xx, barw, smax > 0 ? sh / smax : 0, 0, 1, attr[k]);
            if (side)
                ui_putf(u, yy, xx + barw + 1, cntw, ui_attr(u, A_UI_DIM), "%3.0f%%",
                        sh * 100);
            else
                ui_putf(u, yy, xx + barw + 1, cntw, ui_attr(u, A_UI_DIM),
                        "%5lld %3.0f%%", (long long)ser[k][b], sh * 100);
            xx += barw + cntw + 3;
        }
    }
    int ay = y + 1 + (DIST_BINS < rows - 2 ? DIST_BINS : rows - 2);
    const pool_dist_field *c = &d->cur[fi];
    if (ay >= y + rows) return;
    int alarm = c->comp_share >= 0 && dist_alarm(c->comp_share);
    const char *what = alarm ? "compression alarm: " : "compression: ";
    if (c->comp_share < 0)
        ui_putf(u, ay, x + 1, w - 2, ui_attr(u, A_UI_DIM),
                "compression: not judged below %d model scores (n=%lld)",
                DIST_ALARM_MIN_N, (long long)c->model.n);
    else if (grid)   /* the field is in the panel's title */
        ui_putf(u, ay, x + 1, w - 2, ui_attr(u, alarm ? A_UI_ERR : A_UI_DIM),
                "%s%.0f%% in %.1f-%.1f (model, n=%lld)", what,
                c->comp_share * 100, c->comp_lo, c->comp_lo + DIST_BAND,
                (long long)c->model.n);
    else
        ui_putf(u, ay, x + 1, w - 2, ui_attr(u, alarm ? A_UI_ERR : A_UI_DIM),
                "%s%.0f%% of %s scores in %.1f-%.1f (model, n=%lld)", what,
                c->comp_share * 100, f->name, c->comp_lo, c->comp_lo + DIST_BAND,
                (long long)c->model.n);
}

static void dist_draw(ui *u, screen *s, int top, int rows)
{
    dist_screen *d = (dist_screen *)s;
    if (!d->loaded) load(u, d);
    char rl[256], bl[256];
    run_label(d, run_id(d), rl, sizeof rl);
    int x = ui_putf(u, top, 1, COLS - 2, A_BOLD, "Run: %s", rl);
    x += ui_putf(u, top, x + 1, COLS - x - 2, UI_PLAIN, " | seller: %s",
                 d->seller ? d->seller : "all");
    if (d->base_id >= 0) {
        run_label(d, d->base_id, bl, sizeof bl);
        ui_putf(u, top + 1, 1, COLS - 2, ui_attr(u, A_UI_DIM), "Baseline: %s", bl);
    } else {
        char hid[64] = "";
        if (d->hidden)
            snprintf(hid, sizeof hid, " | %d single %s hidden (a)", d->hidden,
                     ui_plural(d->hidden, "re-score", "re-scores"));
        ui_putf(u, top + 1, 1, COLS - 2, ui_attr(u, A_UI_DIM),
                "%lld %s, %lld scored, %lld reviewed%s | [ ] run  b "
                "baseline  s seller  l sellers  t trend", (long long)d->st.conversations,
                ui_plural(d->st.conversations, "conversation", "conversations"),
                (long long)d->st.scored, (long long)d->st.reviewed, hid);
    }
    int y = top + 2;
    y += draw_table(u, d, y, rows - 3);
    if (y < top + rows)
        ui_putf(u, y++, 1, COLS - 2, ui_attr(u, A_UI_DIM),
                "compression = largest share of model scores in any %.0f-point band;"
                " alarm (!) from %.0f%% with n >= %d",
                DIST_BAND, DIST_ALARM_SHARE * 100, DIST_ALARM_MIN_N);
    int left = top + rows - y;
    int ph = DIST_BINS + 2;           /* a panel: title, bins, compression */
    int cols = COLS >= 110 ? 2 : 1;
    int fit = cols * (left / ph);
    if (fit >= d->nfields && d->nfields > 1) {
        /* Every field, in a grid. */
        int w = COLS / cols;
        for (int i = 0; i < d->nfields; i++)
            draw_panel(u, d, d->fields[i], y + (i / cols) * ph, (i % cols) * w,
                       w - 1, ph, 1);
    } else if (left >= 4) {
        draw_panel(u, d, d->fields[d->sel], y, 0, COLS, left, 0);
    }
}

static void set_seller(ui *u, dist_screen *d, const char *seller)
{
    free(d->seller);
    d->seller = seller && *seller ? xstrdup(seller) : NULL;
    load(u, d);
}

static void seller_done(ui *u, screen *s, const char *text)
{
    dist_screen *d = (dist_screen *)s;
    if (!*text) { set_seller(u, d, NULL); return; }
    char err[ERR_MAX];
    pool_dist_seller *v;
    int n = pool_dist_sellers_new(u->p, u->r, d->fields[d->sel], run_id(d), text,
                                  &v, err);
    if (n < 0) { ui_error(u, "%s", err); return; }
    int exact = -1;
    for (int i = 0; i < n; i++)
        if (!strcasecmp(v[i].seller, text)) exact = exact < 0 ? i : -2;
    if (n == 0) {
        ui_error(u, "no seller id starts with '%s' (any case)", text);
    } else if (n == 1 || exact >= 0) {
        set_seller(u, d, v[n == 1 ? 0 : exact].seller);
        ui_status(u, "seller %s", d->seller);
    } else {
        ui_push(u, screen_sellers_new(u, text, run_id(d)));
    }
    pool_dist_sellers_free(v, n);
}

/* ---- keys: the one table (dist_keys) for handling and help ---- */

static int d_next_field(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    if (d->sel < d->nfields - 1) d->sel++;
    return 1;
}

static int d_prev_field(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    if (d->sel > 0) d->sel--;
    return 1;
}

/* load() keeps showing the run whose index d->run names. */
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

static int d_single(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    d->show_single = !d->show_single;
    load(u, d);
    ui_status(u, d->show_single ? "single re-scores are offered among the runs"
                                : "single re-scores hidden");
    return 1;
}

static int d_baseline(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    d->base_id = d->base_id >= 0 ? -1 : run_id(d);
    load(u, d);
    return 1;
}

static int d_seller(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    ui_prompt(u, s, "Seller id or prefix, any case (empty: all): ", d->seller,
              seller_done);
    return 1;
}

static int d_all_sellers(ui *u, screen *s, ui_key k) { set_seller(u, (dist_screen *)s, NULL); return 1; }
static int d_sellers(ui *u, screen *s, ui_key k) { ui_push(u, screen_sellers_new(u, NULL, run_id((dist_screen *)s))); return 1; }

static int d_trend(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    /* Of each conversation's latest scores (a run's would scan the run). */
    ui_push(u, screen_trend_new(u, d->seller, 0));
    return 1;
}

static int d_convs(ui *u, screen *s, ui_key k)
{
    dist_screen *d = (dist_screen *)s;
    if (!d->seller) { ui_status(u, "pick a seller first (s or l)"); return 1; }
    ui_push(u, screen_queue_seller_new(u, d->seller));
    return 1;
}

static const ui_keydef dist_keys[] = {
    {0, 0, NULL, "Distribution", ""},
    {'j', 0, d_next_field, "next score field (its histogram when only one fits)", NULL},
    {KEY_DOWN, 1, d_next_field, NULL, NULL},
    {'k', 0, d_prev_field, "previous score field", NULL},
    {KEY_UP, 1, d_prev_field, NULL, NULL},
    {']', 0, d_next_run, "next scoring run (latest predictions first)", NULL},
    {KEY_RIGHT, 1, d_next_run, NULL, NULL},
    {'[', 0, d_prev_run, "previous scoring run", NULL},
    {KEY_LEFT, 1, d_prev_run, NULL, NULL},
    {'a', 0, d_single, "offer single re-scores (r in review) among the runs too", NULL},
    {'b', 0, d_baseline, "pin the shown run as the baseline: both side by side (again: unpin)", NULL},
    {'s', 0, d_seller, "one seller: an id prefix in any case (several: the seller list)", NULL},
    {'S', 0, d_all_sellers, "all sellers again", NULL},
    {'l', 0, d_sellers, "the seller list", NULL},
    {'t', 0, d_trend, "the trend of the latest scores over the conversations' dates", NULL},
    {'c', 0, d_convs, "the shown seller's conversations", NULL},
    {0, 0, NULL, "Compression: the largest share of the model's scores inside any"
                 " 1-point band; the alarm (!) from 60% and 20 scores on.", ""},
    UI_KEYS_END,
};

static void dist_destroy(screen *s)
{
    dist_screen *d = (dist_screen *)s;
    free(d->seller);
    free(d);
}

screen *screen_dist_new(ui *u, const char *seller)
{
    dist_screen *d = xcalloc(1, sizeof *d);
    d->base.title = "Distribution";
    d->base.hint = "j/k field  [ ] run  b baseline  s seller  l sellers  "
                   "t trend  ? help  q back";
    d->base.keys = dist_keys;
    d->base.draw = dist_draw;
    d->base.reload = dist_reload;
    d->base.destroy = dist_destroy;
    d->base_id = -1;
    if (seller && *seller) d->seller = xstrdup(seller);
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

/* screen_sellers.c: the seller list (l in the distribution view): each
 * seller with conversations, model n / mean / sd, human mean, MAE and the
 * compression share of the picked field, sortable by any column, narrowed
 * by an id prefix typed in any case; Enter opens the seller's
 * distribution, c their conversations. Figures from pool_dist. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../../core/util.h"
#include "../../data/pool_dist.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    screen base;
    char *match;                  /* prefix, or NULL */
    int64_t run;
    int field;                    /* rubric index of the figures' field */
    pool_dist_seller *v;
    int n, cur, top;
    pool_dist_seller_sort sort;
    int desc;
    int vis;
} sellers_screen;

static void load(ui *u, sellers_screen *s)
{
    char err[ERR_MAX];
    pool_dist_sellers_free(s->v, s->n);
    s->v = NULL;
    s->n = pool_dist_sellers_new(u->p, u->r, s->field, s->run, s->match, &s->v, err);
    if (s->n < 0) { ui_error(u, "%s", err); s->n = 0; }
    pool_dist_sellers_sort(s->v, s->n, s->sort, s->desc);
    if (s->cur >= s->n) s->cur = s->n - 1;
    if (s->cur < 0) s->cur = 0;
}

static void sellers_reload(ui *u, screen *sc) { load(u, (sellers_screen *)sc); }

/* Columns: one per sort key, in pool_dist_seller_sort order. */
static const int colw[SELLER_SORTS] = {24, 7, 11, 9, 11, 6, 16};

static void sellers_draw(ui *u, screen *sc, int top, int rows)
{
    sellers_screen *s = (sellers_screen *)sc;
    char title[256];
    snprintf(title, sizeof title, "%d seller%s%s%s | figures of %s | sorted by %s%s",
             s->n, s->n == 1 ? "" : "s", s->match ? " starting with " : "",
             s->match ? s->match : "", u->r->fields[s->field].name,
             pool_dist_seller_sort_name(s->sort), s->desc ? " (descending)" : "");
    ui_put(u, top, 1, COLS - 2, title, A_BOLD);
    int ha = ui_attr(u, A_UI_HEAD);
    int y = top + 1;
    ui_fill(y, 0, COLS, ha);
    int x = 2;
    static const char *head[SELLER_SORTS] = {"seller", "convs", "model mean",
                                             "model sd", "human mean", "MAE",
                                             "compression"};
    for (int c = 0; c < SELLER_SORTS; c++) {
        char t[48];
        snprintf(t, sizeof t, "%s%s", head[c], (int)s->sort == c ?
                 (s->desc ? (u->ascii ? "v" : "\u25be") : (u->ascii ? "^" : "\u25b4")) : "");
        ui_put(u, y, x, colw[c], t, ha);
        x += colw[c] + 1;
    }
    s->vis = rows - 3;
    if (s->vis < 1) s->vis = 1;
    if (s->cur < s->top) s->top = s->cur;
    if (s->cur >= s->top + s->vis) s->top = s->cur - s->vis + 1;
    if (s->n == 0) {
        ui_put(u, y + 2, 2, COLS - 4, s->match ?
               "No seller id starts with that prefix (any case); / to change it." :
               "No sellers: the pool is empty.", ui_attr(u, A_UI_DIM));
        return;
    }
    for (int i = 0; i < s->vis && s->top + i < s->n; i++) {
        const pool_dist_seller *r = &s->v[s->top + i];
        int yy = y + 1 + i, sel = s->top + i == s->cur;
        int a = sel ? ui_attr(u, A_UI_SEL) : UI_PLAIN;
        if (sel) ui_fill(yy, 0, COLS, a);
        x = 2;
        ui_put(u, yy, x, colw[0], r->seller, a);
        x += colw[0] + 1;
        char t[64];
        snprintf(t, sizeof t, "%*lld", colw[1], (long long)r->conversations);
        ui_put(u, yy, x, colw[1], t, a);
        x += colw[1] + 1;
        const double vals[4] = {r->model.mean, r->model.sd, r->human.mean,
                                r->abs_err.mean};
        const int has[4] = {r->model.n > 0, r->model.n > 0, r->human.n > 0,
                            r->abs_err.n > 0};
        for (int c = 0; c < 4; c++) {
            if (has[c]) snprintf(t, sizeof t, "%*.2f", colw[2 + c], vals[c]);
            else snprintf(t, sizeof t, "%*s", colw[2 + c], "-");
            ui_put(u, yy, x, colw[2 + c], t, a);
            x += colw[2 + c] + 1;
        }
        int alarm = r->comp_share >= 0 && dist_alarm(r->comp_share);
        if (r->comp_share < 0) snprintf(t, sizeof t, "n<%d", DIST_ALARM_MIN_N);
        else snprintf(t, sizeof t, "%s%.0f%% in %.1f-%.1f", alarm ? "!" : "",
                      r->comp_share * 100, r->comp_lo, r->comp_lo + DIST_BAND);
        ui_put(u, yy, x, colw[6], t, alarm && !sel ? ui_attr(u, A_UI_ERR) :
               r->comp_share < 0 && !sel ? ui_attr(u, A_UI_DIM) : a);
        x += colw[6] + 1;
        if (r->model.n)
            ui_putf(u, yy, x, COLS - x - 1, sel ? a : ui_attr(u, A_UI_DIM),
                    "(model n=%lld, human n=%lld)", (long long)r->model.n,
                    (long long)r->human.n);
    }
}

static void match_done(ui *u, screen *sc, const char *text)
{
    sellers_screen *s = (sellers_screen *)sc;
    free(s->match);
    s->match = *text ? xstrdup(text) : NULL;
    s->cur = s->top = 0;
    load(u, s);
}

/* ---- keys: the one table (sellers_keys) for handling and help ---- */

static int sl_down(ui *u, screen *sc, ui_key k)
{
    sellers_screen *s = (sellers_screen *)sc;
    if (s->cur < s->n - 1) s->cur++;
    return 1;
}

static int sl_up(ui *u, screen *sc, ui_key k)
{
    sellers_screen *s = (sellers_screen *)sc;
    if (s->cur > 0) s->cur--;
    return 1;
}

static int sl_pgdn(ui *u, screen *sc, ui_key k)
{
    sellers_screen *s = (sellers_screen *)sc;
    s->cur += s->vis;
    if (s->cur >= s->n) s->cur = s->n - 1;
    if (s->cur < 0) s->cur = 0;
    return 1;
}

static int sl_pgup(ui *u, screen *sc, ui_key k)
{
    sellers_screen *s = (sellers_screen *)sc;
    s->cur -= s->vis;
    if (s->cur < 0) s->cur = 0;
    return 1;
}

static int sl_first(ui *u, screen *sc, ui_key k) { ((sellers_screen *)sc)->cur = 0; return 1; }

static int sl_last(ui *u, screen *sc, ui_key k)
{
    sellers_screen *s = (sellers_screen *)sc;
    s->cur = s->n > 0 ? s->n - 1 : 0;
    return 1;
}

static int sl_sort_next(ui *u, screen *sc, ui_key k)
{
    sellers_screen *s = (sellers_screen *)sc;
    s->sort = (pool_dist_seller_sort)((s->sort + 1) % SELLER_SORTS);
    s->desc = s->sort != SELLER_BY_ID;   /* figures: largest first */
    pool_dist_sellers_sort(s->v, s->n, s->sort, s->desc);
    return 1;
}

static int sl_sort_rev(ui *u, screen *sc, ui_key k)
{
    sellers_screen *s = (sellers_screen *)sc;
    s->desc = !s->desc;
    pool_dist_sellers_sort(s->v, s->n, s->sort, s->desc);
    return 1;
}

static int sl_field(ui *u, screen *sc, ui_key k)
{
    sellers_screen *s = (sellers_screen *)sc;
    do s->field = (s->field + 1) % (int)u->r->nfields;
    while (!rubric_is_scored(&u->r->fields[s->field]));
    load(u, s);
    return 1;
}

static int sl_prefix(ui *u, screen *sc, ui_key k)
{
    sellers_screen *s = (sellers_screen *)sc;
    ui_prompt(u, sc, "Seller id prefix, any case (empty: all): ", s->match,
              match_done);
    return 1;
}

static int sl_dist(ui *u, screen *sc, ui_key k)
{
    sellers_screen *s = (sellers_screen *)sc;
    if (s->n > 0) ui_push(u, screen_dist_new(u, s->v[s->cur].seller));
    return 1;
}

static int sl_convs(ui *u, screen *sc, ui_key k)
{
    sellers_screen *s = (sellers_screen *)sc;
    if (s->n > 0) ui_push(u, screen_queue_seller_new(u, s->v[s->cur].seller));
    return 1;
}

static const ui_keydef sellers_keys[] = {
    {0, 0, NULL, "Sellers", ""},
    {'\r', 0, sl_dist, "the selected seller's distribution", NULL},
    {'\n', 0, sl_dist, NULL, NULL},
    {KEY_ENTER, 1, sl_dist, NULL, NULL},
    {'c', 0, sl_convs, "the selected seller's conversations", NULL},
    {'/', 0, sl_prefix, "narrow to ids starting with a prefix, any case (empty: all)", NULL},
    {'o', 0, sl_sort_next, "sort by the next column", NULL},
    {'O', 0, sl_sort_rev, "reverse the order", NULL},
    {'f', 0, sl_field, "next score field for the figures", NULL},
    {'j', 0, sl_down, "move the selection down", NULL},
    {KEY_DOWN, 1, sl_down, NULL, NULL},
    {'k', 0, sl_up, "move the selection up", NULL},
    {KEY_UP, 1, sl_up, NULL, NULL},
    {KEY_NPAGE, 1, sl_pgdn, "page down", NULL},
    {KEY_PPAGE, 1, sl_pgup, "page up", NULL},
    {KEY_HOME, 1, sl_first, "first", NULL},
    {'g', 0, sl_first, NULL, NULL},
    {KEY_END, 1, sl_last, "last", NULL},
    {'G', 0, sl_last, NULL, NULL},
    UI_KEYS_END,
};

static void sellers_destroy(screen *sc)
{
    sellers_screen *s = (sellers_screen *)sc;
    pool_dist_sellers_free(s->v, s->n);
    free(s->match);
    free(s);
}

screen *screen_sellers_new(ui *u, const char *match, int64_t run_id)
{
    sellers_screen *s = xcalloc(1, sizeof *s);
    s->base.title = "Sellers";
    s->base.hint = "Enter distribution  c conversations  / prefix  o/O sort  "
                   "f field  ? help  q back";
    s->base.keys = sellers_keys;
    s->base.draw = sellers_draw;
    s->base.reload = sellers_reload;
    s->base.destroy = sellers_destroy;
    s->match = match && *match ? xstrdup(match) : NULL;
    s->run = run_id;
    s->field = rubric_overall_index(u->r);
    if (s->field < 0)
        for (size_t i = 0; i < u->r->nfields; i++)
            if (rubric_is_scored(&u->r->fields[i])) s->field = (int)i;
    if (s->field < 0) {
        free(s->match);
        free(s);
        ui_error(u, "the rubric has no score fields");
        return NULL;
    }
    load(u, s);
    return &s->base;
}

/* screen_trend.c: the trend (t in the distribution view): per day (short
 * spans) or week of the conversations' first message, the mean and sd of
 * model and human scores of each field as rows of numbers, with a
 * sparkline of the means per field above them. Figures from pool_dist. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../../core/util.h"
#include "../../data/pool_dist.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    screen base;
    char *seller;
    int64_t run;
    pool_dist_bucket *b;
    int n, top, vis;
    int64_t step;
} trend_screen;

static void load(ui *u, trend_screen *t)
{
    char err[ERR_MAX];
    free(t->b);
    t->b = NULL;
    t->n = pool_dist_trend_new(u->p, u->r, t->run, t->seller, &t->b, &t->step, err);
    if (t->n < 0) { ui_error(u, "%s", err); t->n = 0; }
}

static void trend_reload(ui *u, screen *s) { load(u, (trend_screen *)s); }

static const char *spark_glyph(ui *u, int level)
{
    static const char *blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                    "\u2585", "\u2586", "\u2587", "\u2588"};
    static const char *ascii[8] = {"_", ".", "-", "~", "=", "+", "*", "#"};
    return u->ascii ? ascii[level] : blocks[level];
}

/* A sparkline of field fi's means (side 0 model, 1 human) over the last
 * w buckets at (y, x). */
static void sparkline(ui *u, trend_screen *t, int fi, int side, int y, int x,
                      int w, int attr)
{
    const rubric_field *f = &u->r->fields[fi];
    int from = t->n > w ? t->n - w : 0;
    for (int k = from; k < t->n; k++) {
        const dist_agg *a = side ? &t->b[k].human[fi] : &t->b[k].model[fi];
        const char *g = a->n ? spark_glyph(u, dist_spark_level(a->mean, f->lo, f->hi, 8))
                             : " ";
        ui_put(u, y, x + (k - from), 1, g, attr);
    }
}

static void trend_draw(ui *u, screen *s, int top, int rows)
{
    trend_screen *t = (trend_screen *)s;
    int fields[RUBRIC_MAX_FIELDS], nf = 0;
    for (size_t i = 0; i < u->r->nfields; i++)
        if (rubric_is_scored(&u->r->fields[i])) fields[nf++] = (int)i;
    ui_putf(u, top, 1, COLS - 2, A_BOLD, "Trend per %s | seller: %s | %s",
            t->step == 86400 ? "day" : "week", t->seller ? t->seller : "all",
            t->run ? "run" : "latest predictions");
    if (t->run) ui_putf(u, top, COLS - 12, 11, A_BOLD, "run %lld", (long long)t->run);
    if (t->n == 0) {
        ui_put(u, top + 2, 2, COLS - 4, "No scored conversations.", ui_attr(u, A_UI_DIM));
        return;
    }
    /* Sparklines: a line per field, model then human. */
    int y = top + 1, namew = 28, sw = COLS - namew - 16;
    if (sw > t->n) sw = t->n;
    ui_put(u, y++, 1, COLS - 2, "means, oldest left (model | human):",
           ui_attr(u, A_UI_DIM));
    for (int i = 0; i < nf && y < top + rows - 4; i++, y++) {
        char *p = rubric_prefix_new(u->r->fields[fields[i]].name);
        ui_put(u, y, 1, namew, p, UI_PLAIN);
        free(p);
        int half = (COLS - namew - 6) / 2;
        int w = t->n < half ? t->n : half;
        sparkline(u, t, fields[i], 0, y, namew + 2, w, ui_attr(u, A_UI_MODEL));
        ui_put(u, y, namew + 3 + w, 1, u->ascii ? "|" : "\u2502", UI_PLAIN);
        sparkline(u, t, fields[i], 1, y, namew + 5 + w, w, ui_attr(u, A_UI_HUMAN));
    }
    (void)sw;
    /* The numbers: a row per bucket, a model and a human column per field. */
    y++;
    int ha = ui_attr(u, A_UI_HEAD);
    ui_fill(y, 0, COLS, ha);
    ui_put(u, y, 1, 11, "from", ha);
    int cw = (COLS - 13) / (2 * nf);
    if (cw > 14) cw = 14;
    for (int i = 0; i < nf; i++) {
        char *p = rubric_prefix_new(u->r->fields[fields[i]].name);
        char h[64];
        snprintf(h, sizeof h, "%.*s", cw * 2 - 1, p);
        free(p);
        ui_put(u, y, 13 + 2 * i * cw, 2 * cw - 1, h, ha);
    }
    y++;
    ui_fill(y, 0, COLS, ha);
    for (int i = 0; i < nf; i++) {
        ui_put(u, y, 13 + 2 * i * cw, cw - 1, "model", ha);
        ui_put(u, y, 13 + (2 * i + 1) * cw, cw - 1, "human", ha);
    }
    y++;
    t->vis = top + rows - y;
    if (t->vis < 1) t->vis = 1;
    if (t->top > t->n - t->vis) t->top = t->n - t->vis;
    if (t->top < 0) t->top = 0;
    for (int k = t->top; k < t->n && y < top + rows; k++, y++) {
        char d[32];
        date_iso8601(t->b[k].start, d, sizeof d);
        d[10] = 0;
        ui_put(u, y, 1, 11, d, UI_PLAIN);
        for (int i = 0; i < nf; i++)
            for (int side = 0; side < 2; side++) {
                const dist_agg *a = side ? &t->b[k].human[fields[i]]
                                         : &t->b[k].model[fields[i]];
                char c[32];
                if (a->n) snprintf(c, sizeof c, "%.2f (%.2f)", a->mean, a->sd);
                else snprintf(c, sizeof c, "-");
                ui_put(u, y, 13 + (2 * i + side) * cw, cw - 1, c,
                       side ? ui_attr(u, A_UI_HUMAN) : UI_PLAIN);
            }
    }
}

/* ---- keys: the one table (trend_keys) for handling and help ---- */

static int tr_down(ui *u, screen *s, ui_key k) { ((trend_screen *)s)->top++; return 1; }

static int tr_up(ui *u, screen *s, ui_key k)
{
    trend_screen *t = (trend_screen *)s;
    if (t->top > 0) t->top--;
    return 1;
}

static int tr_pgdn(ui *u, screen *s, ui_key k) { trend_screen *t = (trend_screen *)s; t->top += t->vis; return 1; }

static int tr_pgup(ui *u, screen *s, ui_key k)
{
    trend_screen *t = (trend_screen *)s;
    t->top -= t->vis;
    if (t->top < 0) t->top = 0;
    return 1;
}

static const ui_keydef trend_keys[] = {
    {0, 0, NULL, "Trend", ""},
    {'j', 0, tr_down, "scroll the rows down", NULL},
    {KEY_DOWN, 1, tr_down, NULL, NULL},
    {'k', 0, tr_up, "scroll the rows up", NULL},
    {KEY_UP, 1, tr_up, NULL, NULL},
    {KEY_NPAGE, 1, tr_pgdn, "page down", NULL},
    {KEY_PPAGE, 1, tr_pgup, "page up", NULL},
    {0, 0, NULL, "Each row: a day (spans up to 3 weeks) or a week from Monday, of"
                 " the conversations' first message; mean (sd) of the model's and"
                 " the human scores per field.", ""},
    UI_KEYS_END,
};

static void trend_destroy(screen *s)
{
    trend_screen *t = (trend_screen *)s;
    free(t->b);
    free(t->seller);
    free(t);
}

screen *screen_trend_new(ui *u, const char *seller, int64_t run_id)
{
    trend_screen *t = xcalloc(1, sizeof *t);
    t->base.title = "Trend";
    t->base.hint = "j/k scroll  ? help  q back";
    t->base.keys = trend_keys;
    t->base.draw = trend_draw;
    t->base.reload = trend_reload;
    t->base.destroy = trend_destroy;
    t->seller = seller && *seller ? xstrdup(seller) : NULL;
    t->run = run_id;
    load(u, t);
    return &t->base;
}

/* screen_programs.c: the programs view (P): the optimised few-shot
 * programs (validation score, metric, demos, model, date, current best),
 * and a reader for one program's demos (parsed from its DSPy state JSON),
 * or its raw state JSON pretty-printed. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../app/job_optimize.h"
#include "../term/sanitize.h"
#include "../../data/pool_dist.h"
#include "../../core/program.h"
#include "../../core/util.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static int imported(const pool_program *p)
{
    return p->metric && strcmp(p->metric, "imported") == 0;
}

/* ---- list ---- */

typedef struct {
    screen base;
    pool_program *pg;
    int n, sel, top, vis, list_y;
    int loaded;
} programs_screen;

static void programs_reload(ui *u, screen *s)
{
    programs_screen *ps = (programs_screen *)s;
    char err[ERR_MAX];
    pool_programs_free(ps->pg, ps->n);
    ps->pg = NULL;
    ps->n = pool_list_programs(u->p, &ps->pg, err);
    if (ps->n < 0) {
        ui_error(u, "%s", err);
        ps->n = 0;
    }
    if (ps->sel >= ps->n) ps->sel = ps->n - 1;
    if (ps->sel < 0) ps->sel = 0;
    ps->loaded = 1;
}

static void programs_draw(ui *u, screen *s, int top, int rows)
{
    programs_screen *ps = (programs_screen *)s;
    if (!ps->loaded) programs_reload(u, s);
    int ha = ui_attr(u, A_UI_HEAD);
    ui_fill(top, 0, COLS, ha);
    ui_put(u, top, 1, COLS - 2, "    id  created            best  val score  "
           "demos  metric            model / note", ha);
    ps->list_y = top + 1;
    ps->vis = rows - 1;
    if (ps->n == 0) {
        ui_put(u, top + 2, 2, COLS - 4, "No optimised programs yet: run an "
               "optimisation (curate optimize, or x when it is available).",
               ui_attr(u, A_UI_DIM));
        return;
    }
    if (ps->sel < ps->top) ps->top = ps->sel;
    if (ps->sel >= ps->top + ps->vis) ps->top = ps->sel - ps->vis + 1;
    for (int i = 0; i < ps->vis && ps->top + i < ps->n; i++) {
        const pool_program *p = &ps->pg[ps->top + i];
        int y = ps->list_y + i, sel = ps->top + i == ps->sel;
        int a = sel ? ui_attr(u, A_UI_SEL) : UI_PLAIN;
        if (sel) ui_fill(y, 0, COLS, a);
        char when[32];
        date_iso8601(p->created_at, when, sizeof when);
        when[16] = 0;
        /* an imported program was never validated: '-', not 0.0000 */
        char val[32] = "-";
        if (!imported(p)) snprintf(val, sizeof val, "%.4f", p->val_score);
        int x = ui_putf(u, y, 1, COLS - 2, a, "%6lld  %-17s  %-4s  %9s  %5d  ",
                        (long long)p->id, when, p->is_best ? (u->ascii ? "*" : "\u2605") : "",
                        val, p->n_demos);
        x += 1;
        x += ui_put(u, y, x, 18, p->metric ? p->metric : "-", a);
        x = 1 + 6 + 2 + 17 + 2 + 4 + 2 + 9 + 2 + 5 + 2 + 18;
        char mn[512];
        snprintf(mn, sizeof mn, "%s%s%s", p->model ? p->model : "",
                 p->note && *p->note ? " | " : "", p->note ? p->note : "");
        ui_put(u, y, x, COLS - x - 1, mn, a);
    }
}

screen *screen_program_new(ui *u, int64_t id);

static void make_best(ui *u, programs_screen *ps)
{
    char err[ERR_MAX];
    int64_t id = ps->pg[ps->sel].id;
    if (pool_set_best_program(u->p, id, err) < 0) {
        ui_error(u, "%s", err);
        return;
    }
    ui_changed(u);
    ui_status(u, "program %lld is now the current best (scoring uses it)",
              (long long)id);
}

static int ps_down(ui *u, screen *s, ui_key k)
{
    programs_screen *ps = (programs_screen *)s;
    if (ps->sel < ps->n - 1) ps->sel++;
    return 1;
}

static int ps_up(ui *u, screen *s, ui_key k)
{
    programs_screen *ps = (programs_screen *)s;
    if (ps->sel > 0) ps->sel--;
    return 1;
}

static int ps_pgdn(ui *u, screen *s, ui_key k)
{
    programs_screen *ps = (programs_screen *)s;
    ps->sel += ps->vis;
    if (ps->sel >= ps->n) ps->sel = ps->n - 1;
    if (ps->sel < 0) ps->sel = 0;
    return 1;
}

static int ps_pgup(ui *u, screen *s, ui_key k)
{
    programs_screen *ps = (programs_screen *)s;
    ps->sel -= ps->vis;
    if (ps->sel < 0) ps->sel = 0;
    return 1;
}

static int ps_first(ui *u, screen *s, ui_key k) { ((programs_screen *)s)->sel = 0; return 1; }

static int ps_last(ui *u, screen *s, ui_key k)
{
    programs_screen *ps = (programs_screen *)s;
    ps->sel = ps->n > 0 ? ps->n - 1 : 0;
    return 1;
}

static int ps_open(ui *u, screen *s, ui_key k)
{
    programs_screen *ps = (programs_screen *)s;
    if (ps->n > 0) ui_push(u, screen_program_new(u, ps->pg[ps->sel].id));
    return 1;
}

static int ps_export(ui *u, screen *s, ui_key k)
{
    programs_screen *ps = (programs_screen *)s;
    if (ps->n > 0) ui_action_export(u, ps->pg[ps->sel].id, k.ch == 'm');
    return 1;
}

static int ps_best(ui *u, screen *s, ui_key k)
{
    programs_screen *ps = (programs_screen *)s;
    if (ps->n > 0) make_best(u, ps);
    return 1;
}

static const ui_keydef programs_keys[] = {
    {0, 0, NULL, "Programs", ""},
    {'j', 0, ps_down, "next program", NULL},
    {KEY_DOWN, 1, ps_down, NULL, NULL},
    {'k', 0, ps_up, "previous program", NULL},
    {KEY_UP, 1, ps_up, NULL, NULL},
    {KEY_NPAGE, 1, ps_pgdn, "page down", NULL},
    {KEY_PPAGE, 1, ps_pgup, "page up", NULL},
    {'\r', 0, ps_open, "read its demos", NULL},
    {'\n', 0, ps_open, NULL, NULL},
    {KEY_ENTER, 1, ps_open, NULL, NULL},
    {'l', 0, ps_open, NULL, NULL},
    {KEY_RIGHT, 1, ps_open, NULL, NULL},
    {'b', 0, ps_best, "make the selected program the current best", NULL},
    {'e', 0, ps_export, "export the selected program as DSPy JSON (a file)", NULL},
    {'m', 0, ps_export, "export the selected program to MongoDB (CURATE_MONGO_URI)", NULL},
    {KEY_HOME, 1, ps_first, "first", NULL},
    {'g', 0, ps_first, NULL, NULL},
    {KEY_END, 1, ps_last, "last", NULL},
    {'G', 0, ps_last, NULL, NULL},
    UI_KEYS_END,
};

static void programs_mouse(ui *u, screen *s, const MEVENT *ev)
{
    programs_screen *ps = (programs_screen *)s;
    if (ev->bstate & BUTTON4_PRESSED) { if (ps->sel > 0) ps->sel--; return; }
    if (ev->bstate & BUTTON5_PRESSED) { if (ps->sel < ps->n - 1) ps->sel++; return; }
    if (!(ev->bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))) return;
    int i = ps->top + ev->y - ps->list_y;
    if (ev->y < ps->list_y || i >= ps->n) return;
    if (i == ps->sel) ui_push(u, screen_program_new(u, ps->pg[i].id));
    else ps->sel = i;
}

static void programs_destroy(screen *s)
{
    programs_screen *ps = (programs_screen *)s;
    pool_programs_free(ps->pg, ps->n);
    free(ps);
}

screen *screen_programs_new(ui *u)
{
    (void)u;
    programs_screen *ps = xcalloc(1, sizeof *ps);
    ps->base.title = "Programs";
    ps->base.hint = "Enter read demos  b make best  e export JSON  m export "
                    "MongoDB  j/k move  ? help  q back";
    ps->base.keys = programs_keys;
    ps->base.draw = programs_draw;
    ps->base.mouse = programs_mouse;
    ps->base.reload = programs_reload;
    ps->base.destroy = programs_destroy;
    return &ps->base;
}

/* ---- one program ---- */

typedef struct {
    screen base;
    int64_t id;
    char *demos_text;      /* the demos, readable */
    char *json_text;       /* the state JSON, pretty-printed */
    int raw;               /* showing json_text */
    wchar_t *w;
    size_t wn;
    ui_span *lines;
    size_t nlines;
    int lines_w, lines_raw;
    int scroll, rows;
} program_screen;

/* The optimisation that stored the program: its decision and the
 * before -> after figures (nothing for an imported program). */
static void outcome_text(ui *u, const pool_program *pp, sbuf *b)
{
    char err[ERR_MAX];
    char *js = pool_dist_program_summary_new(u->p, pp->id, err);
    char *t = job_optimize_outcome_new(u->r, js);
    if (t) sbuf_addf(b, "\n\u2500\u2500 Its optimisation \u2500\u2500\n%s", t);
    else if (!js && err[0]) sbuf_addf(b, "\n(optimisation outcome: %s)\n", err);
    free(t);
    free(js);
}

static void demos_text(ui *u, const program *pg, const pool_program *pp,
                       sbuf *b)
{
    char when[32];
    date_iso8601(pp->created_at, when, sizeof when);
    char val[32] = "-";
    if (!imported(pp)) snprintf(val, sizeof val, "%.4f", pp->val_score);
    sbuf_addf(b, "Program %lld%s | created %s | validation %s | metric %s | "
              "model %s | %zu %s\n", (long long)pp->id,
              pp->is_best ? " (current best)" : "", when, val,
              pp->metric ? pp->metric : "-", pp->model ? pp->model : "-",
              pg->ndemos, ui_plural((int64_t)pg->ndemos, "demo", "demos"));
    if (pp->note && *pp->note) sbuf_addf(b, "Note: %s\n", pp->note);
    outcome_text(u, pp, b);
    for (size_t i = 0; i < pg->ndemos; i++) {
        const demo *d = &pg->demos[i];
        sbuf_addf(b, "\n\u2500\u2500 Demo %zu of %zu: %s%s%s \u2500\u2500\n", i + 1,
                  pg->ndemos, d->augmented ? "bootstrapped" : "labeled",
                  d->conv_id ? ", from " : "", d->conv_id ? d->conv_id : "");
        /* Outputs first (short), then the inputs (the transcript). */
        for (size_t f = 0; f < u->r->nfields; f++)
            if (rubric_is_output(&u->r->fields[f]) && d->values[f])
                sbuf_addf(b, "%s: %s\n", u->r->fields[f].name, d->values[f]);
        if (d->reasoning) sbuf_addf(b, "reasoning: %s\n", d->reasoning);
        for (size_t f = 0; f < u->r->nfields; f++)
            if (!rubric_is_output(&u->r->fields[f]) && d->values[f])
                sbuf_addf(b, "%s:\n%s\n", u->r->fields[f].name, d->values[f]);
    }
}

static int program_load(ui *u, program_screen *ps)
{
    char err[ERR_MAX];
    pool_program pp;
    int rc = pool_get_program(u->p, ps->id, &pp, err);
    if (rc <= 0) {
        ui_error(u, "%s", rc < 0 ? err : "no such program");
        return -1;
    }
    cJSON *j = cJSON_Parse(pp.state_json ? pp.state_json : "");
    ps->json_text = j ? json_text_new(j, 1)
                      : xstrdup(pp.state_json ? pp.state_json : "");
    cJSON_Delete(j);
    program *pg = program_from_state_json_new(pp.state_json ? pp.state_json : "",
                                              u->r, err);
    sbuf b = {0};
    if (pg) {
        demos_text(u, pg, &pp, &b);
        program_free(pg);
    } else {
        sbuf_addf(&b, "Program %lld: its state could not be read as demos for "
                  "this rubric:\n%s\n\nPress J for the raw state JSON.\n",
                  (long long)pp.id, err);
        ps->raw = 1;
    }
    ps->demos_text = sbuf_take(&b);
    pool_program_clear(&pp);
    return 0;
}

static void build(program_screen *ps, int w)
{
    free(ps->w);
    free(ps->lines);
    ps->w = sanitize_wide_new(ps->raw ? ps->json_text : ps->demos_text,
                              SAN_KEEP_NL, &ps->wn);
    /* Tabs from cJSON's pretty printer: expanded by the sanitiser to one
     * space each, which keeps the indentation readable. */
    ps->lines = ui_wrap_new(ps->w, ps->wn, w, &ps->nlines);
    ps->lines_w = w;
    ps->lines_raw = ps->raw;
}

static void program_draw(ui *u, screen *s, int top, int rows)
{
    program_screen *ps = (program_screen *)s;
    int w = COLS - 2;
    if (ps->lines_w != w || ps->lines_raw != ps->raw) build(ps, w);
    ps->rows = rows;
    int max = (int)ps->nlines - rows;
    if (ps->scroll > max) ps->scroll = max;
    if (ps->scroll < 0) ps->scroll = 0;
    for (int i = 0; i < rows && (size_t)(ps->scroll + i) < ps->nlines; i++) {
        const ui_span *l = &ps->lines[ps->scroll + i];
        int head = l->len > 0 && ps->w[l->start] == 0x2500;
        ui_putw(u, top + i, 1, w, ps->w + l->start, l->len,
                head ? ui_attr(u, A_UI_HEAD) : UI_PLAIN);
    }
}

static int page_rows(const program_screen *ps) { return ps->rows > 1 ? ps->rows - 1 : 1; }
static int p_down(ui *u, screen *s, ui_key k) { ((program_screen *)s)->scroll++; return 1; }
static int p_up(ui *u, screen *s, ui_key k) { ((program_screen *)s)->scroll--; return 1; }
static int p_pgdn(ui *u, screen *s, ui_key k) { program_screen *ps = (program_screen *)s; ps->scroll += page_rows(ps); return 1; }
static int p_pgup(ui *u, screen *s, ui_key k) { program_screen *ps = (program_screen *)s; ps->scroll -= page_rows(ps); return 1; }
static int p_top(ui *u, screen *s, ui_key k) { ((program_screen *)s)->scroll = 0; return 1; }
static int p_bottom(ui *u, screen *s, ui_key k) { ((program_screen *)s)->scroll = 1 << 30; return 1; }

static int p_raw(ui *u, screen *s, ui_key k)
{
    program_screen *ps = (program_screen *)s;
    ps->raw = !ps->raw;
    ps->scroll = 0;
    return 1;
}

static const ui_keydef program_keys[] = {
    {0, 0, NULL, "Program", ""},
    {'j', 0, p_down, "scroll down a line", NULL},
    {KEY_DOWN, 1, p_down, NULL, NULL},
    {'k', 0, p_up, "scroll up a line", NULL},
    {KEY_UP, 1, p_up, NULL, NULL},
    {KEY_NPAGE, 1, p_pgdn, "scroll down a page", NULL},
    {' ', 0, p_pgdn, NULL, NULL},
    {KEY_PPAGE, 1, p_pgup, "scroll up a page", NULL},
    {KEY_HOME, 1, p_top, "top", NULL},
    {'g', 0, p_top, NULL, NULL},
    {KEY_END, 1, p_bottom, "bottom", NULL},
    {'G', 0, p_bottom, NULL, NULL},
    {'J', 0, p_raw, "switch between the demos and the raw state JSON", NULL},
    UI_KEYS_END,
};

static void program_mouse(ui *u, screen *s, const MEVENT *ev)
{
    program_screen *ps = (program_screen *)s;
    if (ev->bstate & BUTTON4_PRESSED) ps->scroll -= 3;
    else if (ev->bstate & BUTTON5_PRESSED) ps->scroll += 3;
    (void)u;
}

static void program_destroy(screen *s)
{
    program_screen *ps = (program_screen *)s;
    free(ps->demos_text);
    free(ps->json_text);
    free(ps->w);
    free(ps->lines);
    free(ps);
}

screen *screen_program_new(ui *u, int64_t id)
{
    program_screen *ps = xcalloc(1, sizeof *ps);
    ps->base.title = "Program";
    ps->base.hint = "j/k PgUp/PgDn scroll  J raw JSON / demos  ? help  q back";
    ps->base.keys = program_keys;
    ps->base.draw = program_draw;
    ps->base.mouse = program_mouse;
    ps->base.destroy = program_destroy;
    ps->id = id;
    if (program_load(u, ps) < 0) {
        program_destroy(&ps->base);
        return NULL;
    }
    return &ps->base;
}

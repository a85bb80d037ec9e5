/* screen_team.c: the team view (T): per reviewer the figures of `curate
 * stats --by-reviewer` and `curate assign --status`, then per score field
 * the agreement summary of `curate agreement` (alpha, n). The figures
 * come from the same use cases (app/team.h); nothing is computed here. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "ui_keys.h"
#include "../app/team.h"
#include "../../core/date.h"
#include "../../core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One reviewer's line: their counts and/or their assignments. */
typedef struct {
    const char *name;                /* points into rev or asg */
    const team_reviewer *rev;        /* NULL: no label yet */
    const team_assign_row *asg;      /* NULL: no assignment */
} team_line;

typedef struct {
    screen base;
    team_reviewer *rev;
    size_t nrev;
    team_assign_row *asg;
    size_t nasg;
    team_line *lines;
    size_t nlines;
    team_agreement *agr;             /* NULL when it failed (shown) */
    int64_t conflicts;
    int top, vis;
} team_screen;

static void team_clear(team_screen *t)
{
    team_reviewers_free(t->rev, t->nrev);
    team_assign_status_free(t->asg, t->nasg);
    team_agreement_free(t->agr);
    free(t->lines);
    t->rev = NULL;
    t->asg = NULL;
    t->agr = NULL;
    t->lines = NULL;
    t->nrev = t->nasg = t->nlines = 0;
}

static void load(ui *u, team_screen *t)
{
    char err[ERR_MAX];
    team_clear(t);
    if (team_reviewers_new(u->p, u->r, -1, date_now(), &t->rev, &t->nrev, err) < 0) {
        ui_error(u, "team: %s", err);
        t->rev = NULL;
        t->nrev = 0;
    }
    if (team_assign_status_new(u->p, &t->asg, &t->nasg, err) < 0) {
        ui_error(u, "team: %s", err);
        t->asg = NULL;
        t->nasg = 0;
    }
    team_agreement_opts o = {.field = -1, .tolerance = -1};
    t->agr = team_agreement_new(u->p, u->r, &o, err);
    if (!t->agr) ui_error(u, "team: %s", err);
    t->conflicts = pool_team_conflicts(u->p, err);
    /* both lists are by name: merge them */
    t->lines = xcalloc(t->nrev + t->nasg + 1, sizeof *t->lines);
    size_t i = 0, j = 0;
    while (i < t->nrev || j < t->nasg) {
        int c = i == t->nrev ? 1 : j == t->nasg ? -1
              : strcmp(t->rev[i].reviewer, t->asg[j].reviewer);
        team_line *l = &t->lines[t->nlines++];
        if (c <= 0) { l->rev = &t->rev[i++]; l->name = l->rev->reviewer; }
        if (c >= 0) { l->asg = &t->asg[j++]; l->name = l->asg->reviewer; }
    }
}

static void team_reload(ui *u, screen *s) { load(u, (team_screen *)s); }

/* A figure or "-" (as the CLI prints them). */
static void fig(char *buf, size_t len, double v, const char *fmt)
{
    if (isnan(v)) snprintf(buf, len, "-");
    else snprintf(buf, len, fmt, v);
}

/* The name column: up to 24, narrower when the figures need the room. */
static int name_w(void)
{
    int w = COLS - 3 - 62;
    return w > 24 ? 24 : w < 8 ? 8 : w;
}

static void draw_reviewer(ui *u, int y, const team_line *l)
{
    int nw = name_w();
    ui_put_cut(u, y, 1, nw, l->name, UI_PLAIN);
    char line[160], rate[32], share[32], asg[64];
    if (l->rev) {
        fig(rate, sizeof rate, l->rev->per_hour, "%.1f");
        fig(share, sizeof share, team_reviewer_skipped_pct(l->rev), "%.0f%%");
        snprintf(line, sizeof line, "%7lld %7lld %9s %8s %9lld",
                 (long long)l->rev->today, (long long)l->rev->total, rate, share,
                 (long long)l->rev->conflicts);
    } else {
        snprintf(line, sizeof line, "%7s %7s %9s %8s %9s", "0", "0", "-", "-", "0");
    }
    if (l->asg)
        snprintf(asg, sizeof asg, " %9lld %7lld", (long long)l->asg->assigned,
                 (long long)(l->asg->assigned - l->asg->done));
    else
        snprintf(asg, sizeof asg, " %9s %7s", "-", "-");
    ui_putf(u, y, 1 + nw + 1, COLS - nw - 3, UI_PLAIN, "%s%s", line, asg);
}

static void team_draw(ui *u, screen *s, int top, int rows)
{
    team_screen *t = (team_screen *)s;
    char n[32];
    ui_fmt_count(t->conflicts, n, sizeof n);
    ui_putf(u, top, 1, COLS - 2, A_BOLD, "Team | %zu reviewers | conflicts %s"
            " (tolerance %g) | as curate stats --by-reviewer, assign --status,"
            " agreement", t->nlines, n, pool_team_tolerance(u->p));
    /* everything below scrolls as one list of rows */
    int y = top + 2, limit = top + rows, row = 0;
    int ha = ui_attr(u, A_UI_HEAD);
#define ROW_VISIBLE (row++ >= t->top && y < limit)
    if (ROW_VISIBLE) {
        ui_fill(y, 0, COLS, ha);
        ui_putf(u, y++, 1, COLS - 2, ha, "%-*s %7s %7s %9s %8s %9s %9s %7s", name_w(),
                "reviewer", "today", "total", "per hour", "skipped", "conflicts",
                "assigned", "left");
    }
    for (size_t i = 0; i < t->nlines; i++)
        if (ROW_VISIBLE) draw_reviewer(u, y++, &t->lines[i]);
    if (!t->nlines && ROW_VISIBLE)
        ui_put(u, y++, 1, COLS - 2, "(no labels and no assignments yet)", ui_attr(u, A_UI_DIM));
    if (ROW_VISIBLE) y++;
    if (t->agr) {
        const team_agreement *a = t->agr;
        if (ROW_VISIBLE)
            ui_putf(u, y++, 1, COLS - 2, A_BOLD, "Agreement: %zu reviewers, %zu"
                    " conversations with their labels, in conflict %zu", a->nrev,
                    a->units, a->conflicts);
        if (ROW_VISIBLE) {
            ui_fill(y, 0, COLS, ha);
            ui_putf(u, y++, 1, COLS - 2, ha, "%-36s %7s %14s %7s", "field",
                    "alpha", "conversations", "values");
        }
        for (size_t f = 0; f < a->nfields; f++) {
            if (!ROW_VISIBLE) continue;
            const team_field_agreement *fa = &a->fields[f];
            char al[32];
            fig(al, sizeof al, fa->alpha.alpha, "%.3f");
            ui_put_cut(u, y, 1, 36, u->r->fields[fa->field].name, UI_PLAIN);
            ui_putf(u, y++, 38, COLS - 39, UI_PLAIN, "%7s %14zu %7zu", al,
                    fa->alpha.units, fa->alpha.values);
        }
        if (ROW_VISIBLE)
            ui_put(u, y++, 1, COLS - 2, "alpha: Krippendorff's, interval metric,"
                   " over the conversations with two or more reviewers' labels"
                   " (- when undefined); pairs: curate agreement",
                   ui_attr(u, A_UI_DIM));
    }
#undef ROW_VISIBLE
    t->vis = row;   /* rows in all, for scrolling */
}

/* ---- keys ---- */

static int tm_down(ui *u, screen *s, ui_key k)
{
    team_screen *t = (team_screen *)s;
    if (t->top < t->vis - 1) t->top++;
    return 1;
}

static int tm_up(ui *u, screen *s, ui_key k)
{
    team_screen *t = (team_screen *)s;
    if (t->top > 0) t->top--;
    return 1;
}

static int tm_home(ui *u, screen *s, ui_key k) { ((team_screen *)s)->top = 0; return 1; }

static const ui_keydef team_keys[] = {
    {0, 0, NULL, "Team", ""},
    {'j', 0, tm_down, "scroll down a row", NULL},
    {KEY_DOWN, 1, tm_down, NULL, NULL},
    {'k', 0, tm_up, "scroll up a row", NULL},
    {KEY_UP, 1, tm_up, NULL, NULL},
    {KEY_HOME, 1, tm_home, "back to the top", NULL},
    {'g', 0, tm_home, NULL, NULL},
    {0, 0, NULL, "Per reviewer: labels today and in all (skips count, undone"
                 " ones do not), labels per hour over their last session (a"
                 " pause of 30 minutes ends one), the share skipped, the"
                 " conflicts they are in, assignments and how many are left."
                 " Per field: Krippendorff's alpha and its n. The queue's"
                 " Conflicts tab (8) lists the conflicts to adjudicate.", ""},
    UI_KEYS_END,
};

static void team_destroy(screen *s)
{
    team_screen *t = (team_screen *)s;
    team_clear(t);
    free(t);
}

screen *screen_team_new(ui *u)
{
    team_screen *t = xcalloc(1, sizeof *t);
    t->base.title = "Team";
    t->base.hint = "j/k scroll  8 in the queue: conflicts  ? help  q back";
    t->base.keys = team_keys;
    t->base.draw = team_draw;
    t->base.reload = team_reload;
    t->base.destroy = team_destroy;
    load(u, t);
    return &t->base;
}

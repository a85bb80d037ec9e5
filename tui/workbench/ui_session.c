/* ui_session.c: this reviewer's progress ("12 today · 38/h · 106 left",
 * the daily goal) and the summary of the session, from the pool's journal
 * (pool_reviewer_activity): what is shown equals what the pool holds. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "../../core/date.h"
#include "../../core/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ui_goal_key(const char *reviewer, char *buf, size_t n)
{
    snprintf(buf, n, "goal.%s", reviewer ? reviewer : "");
}

void ui_session_start(ui *u)
{
    char key[256], err[ERR_MAX], *v = NULL;
    u->session_start = date_mono();
    u->session_after = pool_last_action_id(u->p, err);
    u->prog_valid = 0;
    if (u->session_after < 0) u->session_after = INT64_MAX;   /* shown as 0 */
    u->goal = 0;
    ui_goal_key(u->o->reviewer, key, sizeof key);
    if (u->o->reviewer && pool_meta_get(u->p, key, &v, err) == 1)
        u->goal = strtoll(v, NULL, 10) > 0 ? strtoll(v, NULL, 10) : 0;
    free(v);
}

int64_t ui_today_start(void)
{
    return date_local_midnight(date_now());
}

/* The pool's part of the progress: read again only when the pool changed
 * (a write here, another process's commit) or the day did; a tab switch
 * then costs nothing here (the day's journal: 12 ms for 20,000 actions). */
static int progress_read(ui *u, char *err)
{
    pool_stamp now;
    int64_t day = ui_today_start();
    if (pool_stamp_get(u->p, &now, err) < 0) return -1;
    if (u->prog_valid && u->prog_day == day && pool_stamp_same(&now, &u->prog_stamp))
        return 0;
    u->prog_valid = 0;
    if (pool_reviewer_activity(u->p, u->o->reviewer, day, 0, &u->prog_today,
                               err) < 0 ||
        pool_reviewer_activity(u->p, u->o->reviewer, 0, u->session_after,
                               &u->prog_session, err) < 0)
        return -1;
    /* What is left for them: their assignments still to review when
     * they have any, else the pool's to-review list. */
    pool_filter f = {.kind = FILTER_TO_REVIEW, .assigned_to = u->o->reviewer};
    int64_t mine = u->o->reviewer ? pool_count(u->p, &f, err) : 0;
    if (mine < 0) return -1;
    f.assigned_to = NULL;
    u->prog_left = mine > 0 ? mine : pool_count(u->p, &f, err);
    if (u->prog_left < 0) return -1;
    u->prog_stamp = now;
    u->prog_day = day;
    u->prog_valid = 1;
    return 0;
}

int ui_progress_get(ui *u, ui_progress *out, char *err)
{
    memset(out, 0, sizeof *out);
    out->goal = u->goal;
    if (progress_read(u, err) < 0) return -1;
    out->today = u->prog_today;
    out->session = u->prog_session;
    out->left = u->prog_left;
    /* A rate over less than a minute says nothing: at least a minute. */
    double secs = date_mono() - u->session_start;
    if (secs < 60) secs = 60;
    out->per_hour = out->session.labels > 0
                        ? (double)out->session.labels * 3600.0 / secs
                        : -1;
    return 0;
}

void ui_session_summary(ui *u, char *buf, size_t n)
{
    char err[ERR_MAX], gap[32];
    pool_activity a;
    if (pool_reviewer_activity(u->p, u->o->reviewer, 0, u->session_after, &a,
                               err) < 0) {
        snprintf(buf, n, "session: %s", err);
        return;
    }
    int64_t secs = (int64_t)(date_mono() - u->session_start);
    if (secs < 60) snprintf(gap, sizeof gap, "%llds", (long long)secs);
    else ui_fmt_gap(secs, gap, sizeof gap);
    snprintf(buf, n, "session: %lld %s (%lld corrected), %lld %s, %lld %s in %s",
             (long long)a.labels, ui_plural(a.labels, "label", "labels"),
             (long long)a.corrections, (long long)a.skips,
             ui_plural(a.skips, "skip", "skips"), (long long)a.edges,
             ui_plural(a.edges, "edge case", "edge cases"), gap);
}

/* ui_job.c: one background action at a time on a pthread, with its own
 * pool connection, a progress row (bar, live counters, cancel with X) and
 * log lines handed to the main thread. The job function is a core or data
 * function wrapped by ui_actions.c; it polls c->cancel. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "../../core/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define JOB_LOG_MAX 64

struct ui_job {
    pthread_t th;
    pthread_mutex_t mu;
    ui_job_ctx ctx;
    char name[64];
    int (*fn)(ui_job_ctx *c);
    void (*free_arg)(void *arg);
    double started;
    /* under mu */
    long done, total, failed;
    char what[256];
    char *logq[JOB_LOG_MAX];
    int nlog;
    int finished, rc;
};

static void *job_main(void *arg)
{
    ui_job *j = arg;
    char err[ERR_MAX];
    int rc;
    j->ctx.p = pool_open_existing(j->ctx.o->db_path, err);
    if (!j->ctx.p) {
        snprintf(j->ctx.err, sizeof j->ctx.err, "%s", err);
        rc = -1;
    } else {
        rc = j->fn(&j->ctx);
        pool_close(j->ctx.p);
        j->ctx.p = NULL;
    }
    pthread_mutex_lock(&j->mu);
    j->finished = 1;
    j->rc = rc;
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

void ui_job_progress(ui_job_ctx *c, long done, long total, long failed,
                     const char *what)
{
    ui_job *j = (ui_job *)((char *)c - offsetof(ui_job, ctx));
    pthread_mutex_lock(&j->mu);
    j->done = done;
    j->total = total;
    j->failed = failed;
    if (what) snprintf(j->what, sizeof j->what, "%s", what);
    pthread_mutex_unlock(&j->mu);
}

void ui_job_log(ui_job_ctx *c, const char *fmt, ...)
{
    ui_job *j = (ui_job *)((char *)c - offsetof(ui_job, ctx));
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&j->mu);
    if (j->nlog < JOB_LOG_MAX) j->logq[j->nlog++] = xstrdup(buf);
    pthread_mutex_unlock(&j->mu);
}

int ui_job_start(ui *u, const char *name, int (*fn)(ui_job_ctx *c),
                 void *arg, void (*free_arg)(void *arg))
{
    if (u->job) {
        ui_error(u, "'%s' is still running: wait for it or cancel it with X",
                 u->job->name);
        if (free_arg) free_arg(arg);
        return -1;
    }
    ui_job *j = xcalloc(1, sizeof *j);
    pthread_mutex_init(&j->mu, NULL);
    snprintf(j->name, sizeof j->name, "%s", name);
    j->fn = fn;
    j->free_arg = free_arg;
    j->ctx.o = u->o;
    j->ctx.arg = arg;
    j->started = date_mono();
    if (pthread_create(&j->th, NULL, job_main, j) != 0) {
        ui_error(u, "%s: cannot start a thread", name);
        pthread_mutex_destroy(&j->mu);
        if (free_arg) free_arg(arg);
        free(j);
        return -1;
    }
    u->job = j;
    ui_status(u, "%s started (X cancels)", name);
    return 0;
}

int ui_job_running(ui *u)
{
    if (!u->job) return 0;
    pthread_mutex_lock(&u->job->mu);
    int r = !u->job->finished;
    pthread_mutex_unlock(&u->job->mu);
    return r;
}

static void drain_log(ui *u, ui_job *j)
{
    char *q[JOB_LOG_MAX];
    pthread_mutex_lock(&j->mu);
    int n = j->nlog;
    memcpy(q, j->logq, (size_t)n * sizeof *q);
    j->nlog = 0;
    pthread_mutex_unlock(&j->mu);
    for (int i = 0; i < n; i++) {
        ui_log_add(u, 0, q[i]);
        free(q[i]);
    }
}

static void job_destroy(ui_job *j)
{
    pthread_join(j->th, NULL);
    for (int i = 0; i < j->nlog; i++) free(j->logq[i]);
    if (j->free_arg) j->free_arg(j->ctx.arg);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

void ui_job_poll(ui *u)
{
    ui_job *j = u->job;
    if (!j) return;
    drain_log(u, j);
    pthread_mutex_lock(&j->mu);
    int fin = j->finished, rc = j->rc;
    long done = j->done, total = j->total, failed = j->failed;
    pthread_mutex_unlock(&j->mu);
    if (!fin) return;
    double secs = date_mono() - j->started;
    if (rc < 0)
        ui_error(u, "%s failed: %s", j->name, j->ctx.err[0] ? j->ctx.err : "?");
    else if (j->ctx.cancel)
        ui_status(u, "%s cancelled after %ld of %ld (%.1fs)", j->name, done,
                  total, secs);
    else
        ui_status(u, "%s done: %ld of %ld%s%ld failed (%.1fs)%s%s", j->name,
                  done, total, ", ", failed, secs, j->ctx.err[0] ? ": " : "",
                  j->ctx.err);
    int64_t show = rc == 0 && !j->ctx.cancel ? j->ctx.open_program : 0;
    u->job = NULL;
    job_destroy(j);
    ui_changed(u);
    /* An optimisation's outcome: the program it stored, decision first. */
    if (show) ui_push(u, screen_program_new(u, show));
}

void ui_job_draw(ui *u, int y)
{
    ui_job *j = u->job;
    if (!j) return;
    pthread_mutex_lock(&j->mu);
    long done = j->done, total = j->total, failed = j->failed;
    char what[256];
    snprintf(what, sizeof what, "%s", j->what);
    pthread_mutex_unlock(&j->mu);
    int a = ui_attr(u, A_UI_HEAD);
    ui_fill(y, 0, COLS, a);
    double frac = total > 0 ? (double)done / (double)total : 0;
    char left[160];
    snprintf(left, sizeof left, " %s%s %ld/%ld %3d%% ", j->name,
             j->ctx.cancel ? " (cancelling)" : "", done, total,
             (int)(frac * 100));
    int x = ui_put(u, y, 0, COLS, left, a);
    int barw = COLS / 4;
    ui_put(u, y, x, 1, "[", a);
    ui_draw_bar(u, y, x + 1, barw, frac, 0, 1, ui_attr(u, A_UI_OK));
    ui_put(u, y, x + 1 + barw, 1, "]", a);
    x += barw + 3;
    /* Rate and time left from the pace so far. */
    double el = date_mono() - j->started;
    char pace[64] = "";
    if (done > 0 && el > 0) {
        double rate = (double)done / el;
        long left_s = total > done ? (long)((double)(total - done) / rate + 0.5) : 0;
        snprintf(pace, sizeof pace, " | %.1f/s, ETA %ld:%02ld", rate, left_s / 60,
                 left_s % 60);
    }
    char right[400];
    snprintf(right, sizeof right, "%ld failed | %.0fs%s | %s | X cancels", failed,
             el, pace, what);
    ui_put(u, y, x, COLS - x, right, a);
}

void ui_job_cancel(ui *u)
{
    if (!u->job) return;
    u->job->ctx.cancel = 1;
    ui_status(u, "cancelling %s ...", u->job->name);
}

void ui_job_free(ui *u)
{
    if (!u->job) return;
    u->job->ctx.cancel = 1;
    job_destroy(u->job);
    u->job = NULL;
}

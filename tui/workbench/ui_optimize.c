/* ui_optimize.c: the workbench's "optimise" action: the same job as
 * `curate optimize` (job_optimize.h, default settings), on a background
 * thread with a progress bar, log lines and cancel. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "../app/job_optimize.h"
#include "../app/job_score.h"
#include "../../core/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    llm_config llm;
    job_optimize_opts o;
} opt_arg;

static void opt_arg_free(void *arg)
{
    opt_arg *a = arg;
    llm_config_clear(&a->llm);
    free(a);
}

static const char *phase_name(job_optimize_phase ph)
{
    switch (ph) {
    case JOB_OPT_PHASE_SETS: return "choosing sets";
    case JOB_OPT_PHASE_BOOTSTRAP: return "bootstrapping";
    case JOB_OPT_PHASE_EVALUATE: return "validating candidate";
    case JOB_OPT_PHASE_BASELINE: return "validating current best";
    case JOB_OPT_PHASE_DONE: break;
    }
    return "done";
}

static void opt_progress(const job_optimize_progress *p, void *ctx)
{
    ui_job_ctx *c = ctx;
    char what[128];
    snprintf(what, sizeof what, "%s: %zu accepted, %zu rejected, %zu cached",
             phase_name(p->phase), p->accepted, p->rejected, p->cache_hits);
    ui_job_progress(c, (long)p->done, (long)p->total,
                    (long)(p->errors + p->failed), what);
}

static void opt_log(const job_optimize_event *ev, void *ctx)
{
    ui_job_ctx *c = ctx;
    const job_optimize_result *r = ev->res;
    if (ev->kind == JOB_OPT_EV_SETS)
        ui_job_log(c, "optimise: %zu reviewed; training %zu (%zu edge cases), "
                   "validation %zu", r->reviewed, r->ntrain, r->n_edge, r->nval);
    else if (ev->kind == JOB_OPT_EV_DECIDED)
        ui_job_log(c, "optimise: candidate %.4f vs current %.4f: program %lld "
                   "%s (%zu demos: %zu bootstrapped, %zu labeled)",
                   r->after.mean, r->before.mean, (long long)r->program_id,
                   r->improved ? "is the new best" : "stored, not improved",
                   r->n_demos, r->n_augmented, r->n_labeled);
}

static int opt_cancel(void *ctx)
{
    ui_job_ctx *c = ctx;
    return atomic_load(&c->cancel);
}

static int opt_job(ui_job_ctx *c)
{
    opt_arg *a = c->arg;
    a->o.log = opt_log;
    a->o.progress = opt_progress;
    a->o.cancel = opt_cancel;
    a->o.ctx = c;
    job_optimize_result res;
    /* The rubric is read-only and outlives the job (ui_job_free joins). */
    int rc = job_optimize_run(c->p, c->o->r, &a->o, &res, c->err);
    if (rc == 0) c->open_program = res.program_id;
    job_optimize_result_clear(&res);
    return rc;
}

static void start(ui *u)
{
    opt_arg *a = xcalloc(1, sizeof *a);
    job_optimize_opts_init(&a->o);
    llm_config_init(&a->llm);
    llm_config_from_env(&a->llm);
    a->o.backend = job_score_default_backend(&a->llm);
    a->o.llm = &a->llm;
    char err[ERR_MAX];
    if (a->o.backend == SCORER_LLM && llm_config_check(&a->llm, err) < 0) {
        ui_error(u, "Optimise: %s", err);
        opt_arg_free(a);
        return;
    }
    char title[160];
    snprintf(title, sizeof title, "Optimise (%s)",
             a->o.backend == SCORER_LLM ? (a->llm.model ? a->llm.model : "llm")
                                        : "heuristic");
    ui_job_start(u, title, opt_job, a, opt_arg_free);
}

static void confirm_done(ui *u, screen *s, const char *text)
{
    (void)s;
    if (text[0] == 'y' || text[0] == 'Y') start(u);
    else ui_status(u, "optimisation not started");
}

void ui_action_optimize(ui *u)
{
    llm_config cfg;
    llm_config_init(&cfg);
    llm_config_from_env(&cfg);
    int heuristic = job_score_default_backend(&cfg) != SCORER_LLM;
    llm_config_clear(&cfg);
    if (!heuristic) { start(u); return; }
    /* The heuristic baseline reads no prompt: demos cannot change its
     * scores, so an optimisation can only find "no improvement". */
    ui_log_add(u, 0, "optimise: no LLM endpoint (CURATE_LLM_URL), so the heuristic"
               " backend would score: it reads no prompt and ignores demos, so an"
               " optimisation cannot improve on it");
    ui_prompt(u, u->top, "Heuristic backend ignores demos: optimise anyway? (y/N) ",
              NULL, confirm_done);
}

/* team.c: see team.h. */
#define _POSIX_C_SOURCE 200809L
#include "team.h"
#include "../../core/assign.h"
#include "../../core/date.h"
#include "../../core/err.h"
#include "../../core/xalloc.h"
#include "../../data/pool_team.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ names */

typedef struct {
    char **v;
    size_t n, cap;
} names;

static size_t names_find(const names *ns, const char *s)
{
    for (size_t i = 0; i < ns->n; i++)
        if (!strcmp(ns->v[i], s)) return i;
    return ns->n;
}

static size_t names_add(names *ns, const char *s)
{
    size_t i = names_find(ns, s);
    if (i < ns->n) return i;
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? ns->cap * 2 : 8;
        ns->v = xrealloc(ns->v, ns->cap * sizeof *ns->v);
    }
    ns->v[ns->n] = xstrdup(s);
    return ns->n++;
}

static void names_free(names *ns)
{
    for (size_t i = 0; i < ns->n; i++) free(ns->v[i]);
    free(ns->v);
    memset(ns, 0, sizeof *ns);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The consensus of a unit from its labels. */
static void unit_consensus(const rubric *r, const pool_team_unit *u,
                           double tolerance, consensus_result *out)
{
    consensus_label *cl = xmalloc((u->n ? u->n : 1) * sizeof *cl);
    for (size_t i = 0; i < u->n; i++) {
        cl[i].role = u->labels[i].adjudication ? CONSENSUS_ROLE_ADJUDICATION
                                               : CONSENSUS_ROLE_REVIEW;
        cl[i].skipped = u->labels[i].skipped;
        cl[i].order = u->labels[i].id;
        cl[i].scores = u->labels[i].scores;
    }
    consensus_decide(r, cl, u->n, tolerance, out);
    free(cl);
}

/* -------------------------------------------------------- agreement */

typedef struct {
    size_t who;                /* index into the collector's names */
    scoreset s;
} unit_label;

typedef struct {
    unit_label *labels;
    size_t n;
    consensus_result cons;
    int has_model;
    scoreset model;
} unit_row;

typedef struct {
    const rubric *r;
    const team_agreement_opts *o;
    names who;
    unit_row *rows;
    size_t n, cap;
} agree_ctx;

static int agree_unit(const pool_team_unit *u, void *vctx)
{
    agree_ctx *c = vctx;
    unit_row row;
    memset(&row, 0, sizeof row);
    unit_consensus(c->r, u, c->o->tolerance, &row.cons);
    row.labels = xmalloc((u->n ? u->n : 1) * sizeof *row.labels);
    for (size_t i = 0; i < u->n; i++) {
        const pool_team_label *l = &u->labels[i];
        if (l->adjudication || l->skipped) continue;
        if (c->o->reviewers) {
            int asked = 0;
            for (size_t k = 0; k < c->o->nreviewers; k++)
                asked |= !strcmp(c->o->reviewers[k], l->reviewer);
            if (!asked) continue;
        }
        row.labels[row.n].who = names_add(&c->who, l->reviewer);
        row.labels[row.n].s = l->scores;
        row.n++;
    }
    if (!row.n) {
        free(row.labels);
        return 0;
    }
    row.has_model = u->has_model;
    row.model = u->model;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->rows = xrealloc(c->rows, c->cap * sizeof *c->rows);
    }
    c->rows[c->n++] = row;
    return 0;
}

void team_agreement_free(team_agreement *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->nrev; i++) free(a->reviewers[i]);
    free(a->reviewers);
    for (size_t f = 0; f < a->nfields; f++) {
        free(a->fields[f].pairs);
        free(a->fields[f].vs_consensus);
        free(a->fields[f].vs_model);
    }
    free(a->fields);
    free(a);
}

team_agreement *team_agreement_new(pool *p, const rubric *r,
                                   const team_agreement_opts *o, char *err)
{
    agree_ctx c;
    memset(&c, 0, sizeof c);
    c.r = r;
    team_agreement_opts oo = *o;
    if (oo.tolerance < 0) oo.tolerance = pool_team_tolerance(p);
    c.o = &oo;
    if (pool_team_each_unit(p, r, agree_unit, &c, err) < 0) {
        for (size_t i = 0; i < c.n; i++) free(c.rows[i].labels);
        free(c.rows);
        names_free(&c.who);
        return NULL;
    }
    team_agreement *a = xcalloc(1, sizeof *a);
    /* the reviewers: as asked, else everyone found, by name */
    a->tolerance = oo.tolerance;
    if (o->reviewers) {
        for (size_t k = 0; k < o->nreviewers; k++) {
            if (names_find(&c.who, o->reviewers[k]) == c.who.n) {
                err_set(err, "--reviewers: '%s' has no label in this pool",
                        o->reviewers[k]);
                for (size_t i = 0; i < c.n; i++) free(c.rows[i].labels);
                free(c.rows);
                names_free(&c.who);
                free(a);
                return NULL;
            }
        }
        a->nrev = o->nreviewers;
        a->reviewers = xmalloc((a->nrev ? a->nrev : 1) * sizeof *a->reviewers);
        for (size_t k = 0; k < a->nrev; k++) a->reviewers[k] = xstrdup(o->reviewers[k]);
    } else {
        a->nrev = c.who.n;
        a->reviewers = xmalloc((a->nrev ? a->nrev : 1) * sizeof *a->reviewers);
        for (size_t k = 0; k < a->nrev; k++) a->reviewers[k] = xstrdup(c.who.v[k]);
        qsort(a->reviewers, a->nrev, sizeof *a->reviewers, cmp_str);
    }
    /* collector index -> report index */
    size_t *map = xmalloc((c.who.n ? c.who.n : 1) * sizeof *map);
    for (size_t i = 0; i < c.who.n; i++)
        for (size_t k = 0; k < a->nrev; k++)
            if (!strcmp(c.who.v[i], a->reviewers[k])) map[i] = k;
    a->units = c.n;
    for (size_t u = 0; u < c.n; u++)
        a->conflicts += c.rows[u].cons.status == CONSENSUS_CONFLICT;

    size_t nr = a->nrev, nu = c.n;
    a->fields = xcalloc(r->nfields ? r->nfields : 1, sizeof *a->fields);
    double *m = xmalloc((nu * (nr + 2) + 1) * sizeof *m);   /* nr columns, consensus, model */
    double *col = xmalloc((nu * (nr + 2) + 1) * sizeof *col);
    for (size_t f = 0; f < r->nfields; f++) {
        if (!rubric_is_scored(&r->fields[f])) continue;
        if (o->field >= 0 && (size_t)o->field != f) continue;
        team_field_agreement *fa = &a->fields[a->nfields++];
        fa->field = (int)f;
        for (size_t i = 0; i < nu * (nr + 2); i++) m[i] = NAN;
        for (size_t u = 0; u < nu; u++) {
            const unit_row *row = &c.rows[u];
            double *line = m + u * (nr + 2);
            for (size_t i = 0; i < row->n; i++)
                if (row->labels[i].s.set[f]) line[map[row->labels[i].who]] = row->labels[i].s.v[f];
            if (row->cons.scores.set[f]) line[nr] = row->cons.scores.v[f];
            if (row->has_model && row->model.set[f]) line[nr + 1] = row->model.v[f];
        }
        /* alpha over the reviewers' columns only: copy them out */
        for (size_t u = 0; u < nu; u++)
            for (size_t k = 0; k < nr; k++) col[u * nr + k] = m[u * (nr + 2) + k];
        agreement_alpha_interval(col, nu, nr, &fa->alpha);
        /* columns as series */
        double *series = col;   /* (nr + 2) series of nu values */
        for (size_t k = 0; k < nr + 2; k++)
            for (size_t u = 0; u < nu; u++) series[k * nu + u] = m[u * (nr + 2) + k];
        size_t np = nr * (nr - (nr ? 1 : 0)) / 2;
        fa->pairs = xcalloc(np ? np : 1, sizeof *fa->pairs);
        fa->vs_consensus = xcalloc(nr ? nr : 1, sizeof *fa->vs_consensus);
        fa->vs_model = xcalloc(nr ? nr : 1, sizeof *fa->vs_model);
        size_t pi = 0;
        for (size_t x = 0; x < nr; x++) {
            for (size_t y = x + 1; y < nr; y++)
                agreement_pair_compute(series + x * nu, series + y * nu, nu,
                                       &fa->pairs[pi++]);
            agreement_pair_compute(series + x * nu, series + nr * nu, nu,
                                   &fa->vs_consensus[x]);
            agreement_pair_compute(series + x * nu, series + (nr + 1) * nu, nu,
                                   &fa->vs_model[x]);
        }
    }
    free(m);
    free(col);
    free(map);
    for (size_t i = 0; i < c.n; i++) free(c.rows[i].labels);
    free(c.rows);
    names_free(&c.who);
    return a;
}

/* ------------------------------------------------------- reviewers */

typedef struct {
    team_reviewer *v;
    size_t n, cap;
    int64_t midnight;
    int64_t last;              /* previous event time of the current reviewer */
    int64_t sess_first;
    double tolerance;
    const rubric *r;
} rev_ctx;

static team_reviewer *rev_get(rev_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].reviewer, name)) return &c->v[i];
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->v = xrealloc(c->v, c->cap * sizeof *c->v);
    }
    team_reviewer *t = &c->v[c->n++];
    memset(t, 0, sizeof *t);
    t->reviewer = xstrdup(name);
    t->per_hour = NAN;
    return t;
}

static int rev_event(const char *reviewer, int64_t at, int skipped, void *vctx)
{
    rev_ctx *c = vctx;
    int fresh = !c->n || strcmp(c->v[c->n - 1].reviewer, reviewer) != 0;
    team_reviewer *t = rev_get(c, reviewer);
    t->total++;
    t->today += at >= c->midnight;
    t->skipped += skipped;
    /* events come by reviewer then time: a gap starts a new session */
    if (fresh || at - c->last > TEAM_SESSION_GAP) {
        c->sess_first = at;
        t->session_n = 0;
    }
    t->session_n++;
    t->session_hours = (double)(at - c->sess_first) / 3600.0;
    t->per_hour = t->session_n >= 2 && at > c->sess_first
                      ? (double)t->session_n / t->session_hours : NAN;
    c->last = at;
    return 0;
}

static int rev_unit(const pool_team_unit *u, void *vctx)
{
    rev_ctx *c = vctx;
    consensus_result cr;
    unit_consensus(c->r, u, c->tolerance, &cr);
    if (cr.status != CONSENSUS_CONFLICT) return 0;
    for (size_t i = 0; i < u->n; i++)
        if (!u->labels[i].adjudication && !u->labels[i].skipped)
            rev_get(c, u->labels[i].reviewer)->conflicts++;
    return 0;
}

static int cmp_rev(const void *a, const void *b)
{
    return strcmp(((const team_reviewer *)a)->reviewer,
                  ((const team_reviewer *)b)->reviewer);
}

int team_reviewers_new(pool *p, const rubric *r, double tolerance,
                       int64_t now, team_reviewer **out, size_t *n, char *err)
{
    rev_ctx c;
    memset(&c, 0, sizeof c);
    c.tolerance = tolerance < 0 ? pool_team_tolerance(p) : tolerance;
    c.r = r;
    c.midnight = date_local_midnight(now);
    int rc = pool_team_each_event(p, rev_event, &c, err);
    if (rc == 0) rc = pool_team_each_unit(p, r, rev_unit, &c, err);
    if (rc < 0) {
        team_reviewers_free(c.v, c.n);
        return -1;
    }
    if (c.n) qsort(c.v, c.n, sizeof *c.v, cmp_rev);   /* v NULL when none */
    *out = c.v;
    *n = c.n;
    return 0;
}

double team_reviewer_skipped_pct(const team_reviewer *t)
{
    return t->total ? 100.0 * (double)t->skipped / (double)t->total : NAN;
}

void team_reviewers_free(team_reviewer *v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i].reviewer);
    free(v);
}

/* ------------------------------------------------------- assignment */

typedef struct {
    char *id, *reviewer;
    int done;
} assign_row;

typedef struct {
    assign_row *v;
    size_t n, cap;
} assign_rows;

static int collect_assignment(const char *id, const char *reviewer, int done,
                              void *vctx)
{
    assign_rows *a = vctx;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 256;
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n].id = xstrdup(id);
    a->v[a->n].reviewer = xstrdup(reviewer);
    a->v[a->n].done = done;
    a->n++;
    return 0;
}

static void assign_rows_free(assign_rows *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].id);
        free(a->v[i].reviewer);
    }
    free(a->v);
}

typedef struct {
    pool *p;
    const team_assign_opts *o;
    const assign_rows *have;   /* existing, by id (the ids' order) */
    size_t at;                 /* merge position in have */
    int64_t *load;
    unsigned char *taken;
    size_t *pick;
    int64_t convs, made;
    int failed;
    char *err;
} plan_ctx;

static int plan_one(const char *id, void *vctx)
{
    plan_ctx *c = vctx;
    size_t nr = c->o->nreviewers;
    memset(c->taken, 0, nr);
    size_t has = 0;
    /* both walks are in id order (SQLite's binary collation = strcmp) */
    while (c->at < c->have->n && strcmp(c->have->v[c->at].id, id) < 0) c->at++;
    for (size_t i = c->at; i < c->have->n && !strcmp(c->have->v[i].id, id); i++)
        for (size_t k = 0; k < nr; k++)
            if (!strcmp(c->have->v[i].reviewer, c->o->reviewers[k]) && !c->taken[k]) {
                c->taken[k] = 1;
                has++;
            }
    if (has >= (size_t)c->o->overlap) return 0;
    size_t got = assign_pick(nr, c->load, c->taken, (size_t)c->o->overlap - has, c->pick);
    for (size_t i = 0; i < got; i++)
        if (pool_team_assign(c->p, id, c->o->reviewers[c->pick[i]], c->err) < 0) {
            c->failed = 1;
            return 1;
        }
    c->made += (int64_t)got;
    c->convs++;
    return c->o->count > 0 && c->convs >= c->o->count;
}

int team_assign(pool *p, const team_assign_opts *o, int64_t *conversations,
                int64_t *assignments, char *err)
{
    *conversations = *assignments = 0;
    if (o->overlap < 1 || (size_t)o->overlap > o->nreviewers) {
        err_set(err, "--overlap %d: must be between 1 and the number of "
                "reviewers (%zu)", o->overlap, o->nreviewers);
        return -1;
    }
    assign_rows have = {0};
    if (pool_team_each_assignment(p, collect_assignment, &have, err) < 0) {
        assign_rows_free(&have);
        return -1;
    }
    size_t nr = o->nreviewers;
    plan_ctx c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.o = o;
    c.have = &have;
    c.err = err;
    c.load = xcalloc(nr, sizeof *c.load);
    c.taken = xcalloc(nr, 1);
    c.pick = xcalloc(nr, sizeof *c.pick);
    /* open work counts as load, so a new batch evens out an old one */
    for (size_t i = 0; i < have.n; i++)
        for (size_t k = 0; k < nr; k++)
            if (!have.v[i].done && !strcmp(have.v[i].reviewer, o->reviewers[k]))
                c.load[k]++;
    int rc = pool_begin(p, err);
    if (rc == 0) {
        if (pool_each_id(p, o->filter, plan_one, &c, err) < 0 || c.failed) {
            pool_rollback(p);
            rc = -1;
        } else {
            rc = pool_commit(p, err);
        }
    }
    if (rc == 0) {
        *conversations = c.convs;
        *assignments = c.made;
    }
    free(c.load);
    free(c.taken);
    free(c.pick);
    assign_rows_free(&have);
    return rc;
}

typedef struct {
    team_assign_row *v;
    size_t n, cap;
} status_ctx;

static int status_row(const char *id, const char *reviewer, int done, void *vctx)
{
    status_ctx *c = vctx;
    size_t i;
    for (i = 0; i < c->n && strcmp(c->v[i].reviewer, reviewer); i++) {}
    if (i == c->n) {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 8;
            c->v = xrealloc(c->v, c->cap * sizeof *c->v);
        }
        memset(&c->v[c->n], 0, sizeof c->v[c->n]);
        c->v[c->n++].reviewer = xstrdup(reviewer);
    }
    c->v[i].assigned++;
    c->v[i].done += done;
    return 0;
}

static int cmp_assign_row(const void *a, const void *b)
{
    return strcmp(((const team_assign_row *)a)->reviewer,
                  ((const team_assign_row *)b)->reviewer);
}

int team_assign_status_new(pool *p, team_assign_row **out, size_t *n, char *err)
{
    status_ctx c = {0};
    if (pool_team_each_assignment(p, status_row, &c, err) < 0) {
        team_assign_status_free(c.v, c.n);
        return -1;
    }
    if (c.n) qsort(c.v, c.n, sizeof *c.v, cmp_assign_row);   /* v NULL when none */
    *out = c.v;
    *n = c.n;
    return 0;
}

void team_assign_status_free(team_assign_row *v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i].reviewer);
    free(v);
}

/* ------------------------------------------------------- conflicts */

typedef struct {
    const rubric *r;
    double tolerance;
    int (*fn)(const team_conflict *c, void *ctx);
    void *ctx;
    int stop;
} conflict_ctx;

static int conflict_unit(const pool_team_unit *u, void *vctx)
{
    conflict_ctx *c = vctx;
    consensus_result cr;
    unit_consensus(c->r, u, c->tolerance, &cr);
    if (cr.status != CONSENSUS_CONFLICT) return 0;
    team_conflict tc = {.conv_id = u->conv_id, .labels = u->labels, .n = u->n,
                        .has_model = u->has_model, .model = &u->model,
                        .worst_field = cr.worst_field, .worst_spread = cr.worst_spread};
    return c->stop = c->fn(&tc, c->ctx);
}

int team_each_conflict(pool *p, const rubric *r,
                       int (*fn)(const team_conflict *c, void *ctx), void *ctx,
                       char *err)
{
    conflict_ctx c = {.r = r, .tolerance = pool_team_tolerance(p), .fn = fn, .ctx = ctx};
    return pool_team_each_unit(p, r, conflict_unit, &c, err);
}

/* ------------------------------------------------------ one case */

static int case_unit(const pool_team_unit *u, void *vctx)
{
    team_case *c = vctx;
    c->labels = xcalloc(u->n ? u->n : 1, sizeof *c->labels);
    for (size_t i = 0; i < u->n; i++) {
        const pool_team_label *l = &u->labels[i];
        team_case_label *t = l->adjudication ? &c->adjudication : &c->labels[c->n];
        if (l->adjudication) {
            /* the latest adjudication, whoever wrote it */
            if (c->has_adjudication && c->adjudication.label_id > l->id) continue;
            free(c->adjudication.reviewer);
            c->has_adjudication = 1;
        } else {
            c->n++;
        }
        t->reviewer = xstrdup(l->reviewer);
        t->skipped = l->skipped;
        t->label_id = l->id;
        t->created_at = l->created_at;
        t->scores = l->scores;
    }
    c->has_model = u->has_model;
    c->model = u->model;
    return 1;
}

int team_case_open(pool *p, const rubric *r, const char *conv_id,
                   team_case *c, char *err)
{
    memset(c, 0, sizeof *c);
    c->tolerance = pool_team_tolerance(p);
    consensus_label *cl = NULL;
    int rc = pool_team_unit_of(p, r, conv_id, case_unit, c, err);
    if (rc == 0) {
        /* the verdict: the one rule over the same labels */
        size_t n = c->n + (size_t)c->has_adjudication;
        cl = xcalloc(n ? n : 1, sizeof *cl);
        for (size_t i = 0; i < c->n; i++)
            cl[i] = (consensus_label){CONSENSUS_ROLE_REVIEW, c->labels[i].skipped,
                                      c->labels[i].label_id, c->labels[i].scores};
        if (c->has_adjudication)
            cl[c->n] = (consensus_label){CONSENSUS_ROLE_ADJUDICATION, 0,
                                         c->adjudication.label_id, c->adjudication.scores};
        consensus_decide(r, cl, n, c->tolerance, &c->cons);
    }
    free(cl);
    if (rc < 0) team_case_clear(c);
    return rc;
}

void team_case_clear(team_case *c)
{
    for (size_t i = 0; i < c->n; i++) free(c->labels[i].reviewer);
    free(c->labels);
    free(c->adjudication.reviewer);
    memset(c, 0, sizeof *c);
}

/* ---------------------------------------------------- adjudication */

int team_adjudicate(pool *p, const rubric *r, const char *lead,
                    const char *conv_id, const char *take, const team_set *sets,
                    size_t nsets, const char *note, int64_t seen,
                    int64_t *label_id, char *err)
{
    scoreset s;
    memset(&s, 0, sizeof s);
    if (take) {
        label l;
        int rc = pool_get_own_label(p, r, conv_id, take, &l, err);
        if (rc < 0) return -1;
        if (rc == 0 || l.status == LABEL_SKIPPED) {
            if (rc) label_clear(&l);
            err_set(err, "'%s' has no label of '%s' to take", take, conv_id);
            return -1;
        }
        s = l.scores;
        label_clear(&l);
    }
    int oi = rubric_overall_index(r);
    int overall_set = 0;
    for (size_t i = 0; i < nsets; i++) {
        const rubric_field *f = &r->fields[sets[i].field];
        double v;
        rubric_validate_value(f, sets[i].value, &v);
        s.v[sets[i].field] = v;
        s.set[sets[i].field] = 1;
        overall_set |= sets[i].field == oi;
    }
    for (size_t f = 0; f < r->nfields; f++)
        if (r->fields[f].kind == FIELD_SCORE && !s.set[f]) {
            err_set(err, "adjudicating '%s': %s has no value (--take a reviewer's"
                    " or --set %s=V)", conv_id, r->fields[f].name, r->fields[f].name);
            return -1;
        }
    if (oi >= 0 && !overall_set) {   /* the parts' overall, not the one taken */
        s.set[oi] = 0;
        double v;
        if (rubric_overall_from(r, &s, &v) == 0) {
            s.v[oi] = v;
            s.set[oi] = 1;
        }
    }
    label_new in = {.conv_id = conv_id, .reviewer = lead,
                    .role = LABEL_ROLE_ADJUDICATION, .status = LABEL_CORRECTED,
                    .scores = &s, .note = note, .seen = seen};
    return pool_put_label(p, r, &in, label_id, err);
}

/* bootstrap.c: see bootstrap.h. The comments name the DSPy code each piece
 * mirrors (dspy/teleprompt/bootstrap.py, random_search.py, vanilla.py). */
#include "bootstrap.h"
#include "score.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- seeded helpers ---- */

/* An independent PRNG stream per purpose: DSPy creates a fresh
 * random.Random(0) (or Random(seed)) at each of these points, so each point
 * gets its own stream derived from the user's seed, a tag and a number. */
static void rng_for(rng *g, uint64_t seed, const char *tag, int64_t n)
{
    uint64_t h = hash_fnv1a(&seed, sizeof seed, HASH_FNV_SEED);
    h = hash_fnv1a(tag, strlen(tag), h);
    h = hash_fnv1a(&n, sizeof n, h);
    rng_seed(g, h);
}

static void shuffle_idx(rng *g, size_t *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rng_below(g, i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* k distinct elements of pop[0..n) in selection order, as Python's
 * random.sample returns them. */
static void sample_idx(rng *g, const size_t *pop, size_t n, size_t k,
                       size_t *out)
{
    size_t *t = xmalloc((n ? n : 1) * sizeof *t);
    memcpy(t, pop, n * sizeof *t);
    for (size_t i = 0; i < k && i < n; i++) {
        size_t j = i + rng_below(g, n - i);
        size_t x = t[i];
        t[i] = t[j];
        t[j] = x;
        out[i] = t[i];
    }
    free(t);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- training / validation selection ---- */

int bs_bin_of(double v, double lo, double hi)
{
    double w = hi - lo;
    if (w <= 0) return 1;
    double t = (v - lo) / w;
    if (t < 1.0 / 3.0) return 0;
    if (t < 2.0 / 3.0) return 1;
    return 2;
}

void bs_split_clear(bs_split *s)
{
    free(s->train);
    free(s->val);
    memset(s, 0, sizeof *s);
}

/* How many more reviewed examples are needed: `val` must come from the
 * non-edge examples, `sample` from what is left plus the edge cases beyond
 * --edge. One more non-edge label helps both counts. */
static size_t count_missing(size_t nonedge, size_t excess_edge,
                            const bs_select_opts *o)
{
    size_t a = o->val > nonedge ? o->val - nonedge : 0;
    size_t want = o->val + o->sample, have = nonedge + excess_edge;
    size_t b = want > have ? want - have : 0;
    return a > b ? a : b;
}

/* Even quotas over the bins, one at a time round-robin, so a short bin's
 * share goes to the bins that still have examples. */
static void bin_quotas(const size_t *avail, size_t want, size_t *quota)
{
    memset(quota, 0, BS_BINS * sizeof *quota);
    while (want > 0) {
        int progress = 0;
        for (int b = 0; b < BS_BINS && want > 0; b++) {
            if (quota[b] < avail[b]) { quota[b]++; want--; progress = 1; }
        }
        if (!progress) break;
    }
}

/* The stratified sample from pool[0..npool), appended to s->train
 * interleaved low, mid, high, low, ... so that a bootstrap stopping early
 * still sees the whole score range. */
static void select_sample(const bs_item *items, const size_t *pool,
                          size_t npool, const bs_select_opts *o, bs_split *s)
{
    size_t *bin[BS_BINS], nbin[BS_BINS] = {0}, quota[BS_BINS];
    size_t *picked[BS_BINS];
    for (int b = 0; b < BS_BINS; b++) {
        bin[b] = xmalloc((npool ? npool : 1) * sizeof(size_t));
        picked[b] = xmalloc((npool ? npool : 1) * sizeof(size_t));
    }
    for (size_t i = 0; i < npool; i++) {
        int b = bs_bin_of(items[pool[i]].overall, o->lo, o->hi);
        bin[b][nbin[b]++] = pool[i];
    }
    bin_quotas(nbin, o->sample, quota);
    for (int b = 0; b < BS_BINS; b++) {
        rng g;
        rng_for(&g, o->seed, "bin", b);
        sample_idx(&g, bin[b], nbin[b], quota[b], picked[b]);
        s->bin_avail[b] = nbin[b];
        s->bin_taken[b] = quota[b];
    }
    for (size_t k = 0;; k++) {
        int any = 0;
        for (int b = 0; b < BS_BINS; b++)
            if (k < quota[b]) { s->train[s->ntrain++] = picked[b][k]; any = 1; }
        if (!any) break;
    }
    for (int b = 0; b < BS_BINS; b++) { free(bin[b]); free(picked[b]); }
}

/* A conversation's place in the validation order: a seeded hash of its
 * id, so it does not depend on which other conversations are labeled. */
static uint64_t val_rank(const char *id, uint64_t seed)
{
    uint64_t h = hash_fnv1a(id, strlen(id), seed ^ 0x76616c69646174ULL);
    /* splitmix64's finaliser: FNV-1a alone orders "c10".."c17" together */
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

typedef struct { uint64_t h; size_t i; } ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int was_val(const char *id, const bs_select_opts *o)
{
    for (size_t k = 0; k < o->nprev_val; k++)
        if (o->prev_val[k] && strcmp(o->prev_val[k], id) == 0) return 1;
    return 0;
}

/* Earlier validation members first (all of them: the set only grows),
 * then the lowest hashes up to o->val. */
static void select_val(const bs_item *items, const size_t *nonedge,
                       size_t nn, const bs_select_opts *o, bs_split *s,
                       unsigned char *used)
{
    ranked *r = xmalloc((nn ? nn : 1) * sizeof *r);
    size_t nr = 0;
    for (size_t k = 0; k < nn; k++) {
        size_t i = nonedge[k];
        if (was_val(items[i].conv_id, o)) {
            s->val[s->nval++] = i;
            used[i] = 1;
        } else {
            r[nr++] = (ranked){val_rank(items[i].conv_id, o->seed), i};
        }
    }
    qsort(r, nr, sizeof *r, cmp_ranked);
    for (size_t k = 0; k < nr && s->nval < o->val; k++) {
        s->val[s->nval++] = r[k].i;
        used[r[k].i] = 1;
    }
    qsort(s->val, s->nval, sizeof *s->val, cmp_size);
    free(r);
}

/* Every edge case up to o->edge (a seeded choice when there are more), in
 * pool (id) order at the front of the training set. */
static void select_edges(const size_t *edges, size_t ne,
                         const bs_select_opts *o, bs_split *s,
                         unsigned char *used)
{
    size_t take = ne < o->edge ? ne : o->edge;
    size_t *pick = xmalloc((ne ? ne : 1) * sizeof *pick);
    rng g;
    rng_for(&g, o->seed, "edge", 0);
    sample_idx(&g, edges, ne, take, pick);
    qsort(pick, take, sizeof *pick, cmp_size);
    for (size_t i = 0; i < take; i++) {
        s->train[s->ntrain++] = pick[i];
        used[pick[i]] = 1;
    }
    s->n_edge = take;
    free(pick);
}

int bs_select(const bs_item *items, size_t n, const bs_select_opts *o,
              bs_split *s, char *err)
{
    memset(s, 0, sizeof *s);
    if (o->val == 0) {
        err_set(err, "the validation set must have at least one example");
        return -1;
    }
    size_t *nonedge = xmalloc((n ? n : 1) * sizeof *nonedge);
    size_t *edges = xmalloc((n ? n : 1) * sizeof *edges);
    size_t nn = 0, ne = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].edge) edges[ne++] = i;
        else nonedge[nn++] = i;
    }
    size_t excess = ne > o->edge ? ne - o->edge : 0;
    s->missing = count_missing(nn, excess, o);
    if (s->missing) {
        err_set(err, "%zu reviewed example%s (%zu edge case%s); need %zu for "
                "validation + %zu for training: label %zu more (or lower "
                "--val/--sample)", n, n == 1 ? "" : "s", ne, ne == 1 ? "" : "s",
                o->val, o->sample, s->missing);
        free(nonedge);
        free(edges);
        return -1;
    }
    s->train = xmalloc((n ? n : 1) * sizeof *s->train);
    s->val = xmalloc((n ? n : 1) * sizeof *s->val);
    unsigned char *used = xcalloc(n ? n : 1, 1);
    select_val(items, nonedge, nn, o, s, used);
    select_edges(edges, ne, o, s, used);
    size_t npool = 0;
    for (size_t i = 0; i < n; i++)
        if (!used[i]) nonedge[npool++] = i;   /* reuse as the sampling pool */
    select_sample(items, nonedge, npool, o, s);
    free(used);
    free(nonedge);
    free(edges);
    if (s->ntrain == 0) {
        err_set(err, "the training set is empty (use --edge or --sample)");
        bs_split_clear(s);
        return -1;
    }
    return 0;
}

/* ---- small pieces ---- */

void bs_options_init(bs_options *o)
{
    memset(o, 0, sizeof *o);
    o->max_bootstrapped = 8;
    o->max_labeled = 5;
    o->max_rounds = 1;
    o->max_errors = 10;
    o->metric = METRIC_DIVERSITY;
}

/* DSPy: `success = metric_val >= threshold if metric_threshold else
 * metric_val`, then `if success:`. A threshold of 0 is falsy in Python, so
 * it means "none"; a float is truthy when non-zero (NaN included). */
int bs_metric_passes(double value, double threshold)
{
    if (threshold != 0) return value >= threshold;
    return value != 0;
}

void bs_prediction_clear(bs_prediction *p)
{
    demo_clear(&p->d);
    free(p->error);
    memset(p, 0, sizeof *p);
}

void bs_result_clear(bs_result *res)
{
    program_free(res->pg);
    memset(res, 0, sizeof *res);
}

void bs_labeled_demo(const rubric *r, const bs_example *ex, demo *d)
{
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (f->kind == FIELD_INPUT) d->values[i] = xstrdup(ex->inputs[i]);
        else if (rubric_is_scored(f) && ex->gold.set[i])
        {
            char t[SCORE_TEXT_MAX];
            score_format(ex->gold.v[i], t, sizeof t);
            d->values[i] = xstrdup(t);
        }
    }
    for (size_t i = 0; ex->rationale && i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_TEXT) {
            d->values[i] = xstrdup(ex->rationale);
            break;
        }
    d->conv_id = xstrdup(ex->conv_id);
}

/* Calls predict on a zeroed out[] after checking for cancellation. */
static int run_batch(const bs_options *o, bs_predict_fn predict, void *ctx,
                     const bs_call *calls, size_t n, bs_prediction *out,
                     size_t *ncalls, char *err)
{
    if (o->cancel && o->cancel(ctx)) {
        err_set(err, "cancelled");
        return -1;
    }
    memset(out, 0, n * sizeof *out);
    *ncalls += n;
    if (n == 0) return 0;
    if (predict(ctx, calls, n, out, err) < 0) {
        for (size_t i = 0; i < n; i++) bs_prediction_clear(&out[i]);
        return -1;
    }
    return 0;
}

/* ---- evaluation ---- */

/* bs_evaluate with the options' cancel callback (random search). */
static int evaluate(const bs_options *o, const rubric *r, metric_kind m,
                    const program *pg, const bs_example *set, size_t n,
                    bs_predict_fn predict, void *ctx, metric_report *rep,
                    double *values, size_t *ncalls, char *err)
{
    program *empty = pg ? NULL : program_new();
    bs_call *calls = xcalloc(n ? n : 1, sizeof *calls);
    bs_prediction *out = xcalloc(n ? n : 1, sizeof *out);
    scoreset *pred = xcalloc(n ? n : 1, sizeof *pred);
    scoreset *gold = xcalloc(n ? n : 1, sizeof *gold);
    unsigned char *ok = xcalloc(n ? n : 1, 1);
    for (size_t i = 0; i < n; i++)
        calls[i] = (bs_call){.pg = pg ? pg : empty, .ex = &set[i]};
    int rc = run_batch(o, predict, ctx, calls, n, out, ncalls, err);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            ok[i] = out[i].ok != 0;
            pred[i] = out[i].scores;
            gold[i] = set[i].gold;
            if (values)   /* a failed prediction scores 0, as in the report */
                values[i] = ok[i] ? metric_value(m, r, &pred[i], &gold[i]) : 0;
            bs_prediction_clear(&out[i]);
        }
        metric_report_compute(r, m, pred, ok, gold, n, rep);
    }
    free(calls);
    free(out);
    free(pred);
    free(gold);
    free(ok);
    program_free(empty);
    return rc;
}

int bs_evaluate(const rubric *r, metric_kind m, const program *pg,
                const bs_example *set, size_t n, bs_predict_fn predict,
                void *ctx, metric_report *rep, char *err)
{
    bs_options o;
    bs_options_init(&o);
    size_t ncalls = 0;
    return evaluate(&o, r, m, pg, set, n, predict, ctx, rep, NULL, &ncalls,
                    err);
}

int bs_evaluate_each(const rubric *r, metric_kind m, const program *pg,
                     const bs_example *set, size_t n, bs_predict_fn predict,
                     void *ctx, metric_report *rep, double *values, char *err)
{
    bs_options o;
    bs_options_init(&o);
    size_t ncalls = 0;
    return evaluate(&o, r, m, pg, set, n, predict, ctx, rep, values, &ncalls,
                    err);
}

void bs_paired_gain(const double *cand, const double *base, size_t n,
                    double *gain, double *se)
{
    double sum = 0, ss = 0;
    for (size_t i = 0; i < n; i++) sum += cand[i] - base[i];
    *gain = n ? sum / (double)n : 0;
    for (size_t i = 0; i < n; i++) {
        double d = cand[i] - base[i] - *gain;
        ss += d * d;
    }
    /* the standard error of the mean paired difference (sample sd) */
    *se = n > 1 ? sqrt(ss / (double)(n - 1)) / sqrt((double)n) : 0;
}

/* ---- BootstrapFewShot ---- */

typedef struct {
    const rubric *r;
    const bs_options *o;
    bs_predict_fn predict;
    bs_log_fn log;
    void *ctx;
    bs_result *res;
    const bs_example *train;
    size_t ntrain;
} compiler;

/* One candidate's state while bootstrapping. */
typedef struct {
    int cand_seed;
    const size_t *order;     /* training order (indices into train) */
    size_t maxb;             /* max_bootstrapped for this candidate */
    program *teacher;        /* LabeledFewShot(k=max_labeled) of order */
    program *augmented;      /* accepted demos, in order */
    unsigned char *done;     /* by position: bootstrapped */
    size_t errors;
} candidate;

static void emit(const compiler *c, const bs_event *ev)
{
    if (c->log) c->log(c->ctx, ev);
}

/* LabeledFewShot(k).compile(trainset): a fresh Random(0).sample(trainset,
 * min(k, n)); here a stream from the seed, over the candidate's order. */
static program *labeled_fewshot(const compiler *c, const size_t *order)
{
    program *pg = program_new();
    size_t k = c->o->max_labeled < c->ntrain ? c->o->max_labeled : c->ntrain;
    size_t *pick = xmalloc((k ? k : 1) * sizeof *pick);
    rng g;
    rng_for(&g, c->o->seed, "labeled", 0);
    sample_idx(&g, order, c->ntrain, k, pick);
    for (size_t i = 0; i < k; i++) {
        demo d;
        bs_labeled_demo(c->r, &c->train[pick[i]], &d);
        program_add_demo(pg, &d);
        demo_clear(&d);
    }
    free(pick);
    return pg;
}

static int is_demo_of(const demo *d, const bs_example *ex)
{
    return d->conv_id && !strcmp(d->conv_id, ex->conv_id);
}

/* Number of demos the teacher shows when it runs on ex. */
static size_t teacher_size(const program *t, const bs_example *ex)
{
    size_t n = 0;
    for (size_t i = 0; i < t->ndemos; i++) n += !is_demo_of(&t->demos[i], ex);
    return n;
}

/* The teacher as it runs on ex: DSPy sets predictor.demos = [x for x in
 * demos if x != example] for the call, so the example never sees itself.
 * Returns the teacher itself when nothing is filtered, else a new program
 * (*owned = 1). */
static const program *teacher_for(const program *t, const bs_example *ex,
                                  int *owned)
{
    *owned = 0;
    if (teacher_size(t, ex) == t->ndemos) return t;
    program *pg = program_new();
    for (size_t i = 0; i < t->ndemos; i++)
        if (!is_demo_of(&t->demos[i], ex)) program_add_demo(pg, &t->demos[i]);
    *owned = 1;
    return pg;
}

/* Runs round `round` for the window positions [pos, pos+win) that have no
 * success yet (succ[j] < 0), into preds[round * win + j]. */
static int run_round(compiler *c, candidate *k, size_t pos, size_t win,
                     int round, const int *succ, bs_prediction *preds,
                     char *err)
{
    bs_call *calls = xcalloc(win, sizeof *calls);
    size_t *at = xcalloc(win, sizeof *at);
    const program **own = xcalloc(win, sizeof *own);
    size_t n = 0;
    for (size_t j = 0; j < win; j++) {
        if (succ[j] >= 0) continue;
        const bs_example *ex = &c->train[k->order[pos + j]];
        int owned;
        const program *pg = teacher_for(k->teacher, ex, &owned);
        if (owned) own[n] = pg;
        calls[n] = (bs_call){.pg = pg, .ex = ex, .round = round};
        at[n++] = j;
    }
    bs_prediction *out = xcalloc(n ? n : 1, sizeof *out);
    int rc = run_batch(c->o, c->predict, c->ctx, calls, n, out,
                       &c->res->calls, err);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) preds[(size_t)round * win + at[i]] = out[i];
        program_free((program *)own[i]);
    }
    free(out);
    free(own);
    free(at);
    free(calls);
    return rc;
}

/* Whether a prediction of example ex passes; *value gets the metric. */
static int judge(const compiler *c, const bs_prediction *p,
                 const bs_example *ex, double *value)
{
    *value = 0;
    if (!p->ok) return 0;
    *value = metric_value(c->o->metric, c->r, &p->scores, &ex->gold);
    return bs_metric_passes(*value, c->o->threshold);
}

/* Computes every attempt of a window of examples: all of round 0 in one
 * batch, then round r for the ones still without a success. Attempts are
 * independent of each other (the teacher is fixed), so this is the same as
 * DSPy's one-at-a-time loop; consume_window() then reads them in order. */
static int run_window(compiler *c, candidate *k, size_t pos, size_t win,
                      bs_prediction *preds, char *err)
{
    int *succ = xmalloc(win * sizeof *succ);
    for (size_t j = 0; j < win; j++) succ[j] = -1;
    int rc = 0;
    for (size_t round = 0; round < c->o->max_rounds && rc == 0; round++) {
        rc = run_round(c, k, pos, win, (int)round, succ, preds, err);
        for (size_t j = 0; j < win && rc == 0; j++) {
            double v;
            const bs_example *ex = &c->train[k->order[pos + j]];
            if (succ[j] < 0 && judge(c, &preds[round * win + j], ex, &v))
                succ[j] = (int)round;
        }
    }
    free(succ);
    return rc;
}

static void accept_demo(candidate *k, bs_prediction *p, const bs_example *ex)
{
    demo d = p->d;
    d.augmented = 1;
    if (!d.conv_id) d.conv_id = xstrdup(ex->conv_id);
    program_add_demo(k->augmented, &d);
    p->d = d;   /* bs_prediction_clear frees it (and the conv_id added) */
}

/* One attempt as DSPy's _bootstrap_one_example judges it. Returns 1
 * accepted, 0 rejected, -1 when the errors reached max_errors. */
static int consume_attempt(compiler *c, candidate *k, size_t pos_j,
                           int round, bs_prediction *p, char *err)
{
    const bs_example *ex = &c->train[k->order[pos_j]];
    double v;
    int ok = judge(c, p, ex, &v);
    bs_event ev = {.kind = BS_EV_ATTEMPT, .cand_seed = k->cand_seed,
                   .example = pos_j, .conv_id = ex->conv_id, .round = round,
                   .failed = !p->ok, .accepted = ok, .value = v,
                   .error = p->error ? p->error : (p->ok ? NULL : "failed"),
                   .n_teacher_demos = teacher_size(k->teacher, ex)};
    c->res->attempts++;
    emit(c, &ev);
    if (!p->ok) {
        c->res->errors++;
        if (++k->errors >= c->o->max_errors) {
            err_set(err, "bootstrapping stopped after %zu failed predictions "
                    "(last: %s on %s)", k->errors, ev.error, ex->conv_id);
            return -1;
        }
        return 0;
    }
    if (ok) {
        c->res->accepted++;
        accept_demo(k, p, ex);
    } else {
        c->res->rejected++;
    }
    return ok;
}

/* Reads a window's attempts in training order, stopping where DSPy would
 * (max bootstrapped reached): later, speculative results are dropped. */
static int consume_window(compiler *c, candidate *k, size_t pos, size_t win,
                          bs_prediction *preds, char *err)
{
    for (size_t j = 0; j < win; j++) {
        if (k->augmented->ndemos >= k->maxb) break;
        for (size_t round = 0; round < c->o->max_rounds; round++) {
            int rc = consume_attempt(c, k, pos + j, (int)round,
                                     &preds[round * win + j], err);
            if (rc < 0) return -1;
            if (rc == 1) { k->done[pos + j] = 1; break; }
        }
    }
    return 0;
}

/* _bootstrap(): walk the training order until maxb demos are accepted.
 * The window is at least what is still needed (every one of those will be
 * consumed, so nothing is wasted) and at least o->lookahead. */
static int bootstrap_walk(compiler *c, candidate *k, char *err)
{
    size_t pos = 0;
    while (pos < c->ntrain && k->augmented->ndemos < k->maxb) {
        size_t win = k->maxb - k->augmented->ndemos;
        if (win < c->o->lookahead) win = c->o->lookahead;
        if (win > c->ntrain - pos) win = c->ntrain - pos;
        size_t np = win * c->o->max_rounds;
        bs_prediction *preds = xcalloc(np, sizeof *preds);
        int rc = run_window(c, k, pos, win, preds, err);
        if (rc == 0) rc = consume_window(c, k, pos, win, preds, err);
        for (size_t i = 0; i < np; i++) bs_prediction_clear(&preds[i]);
        free(preds);
        if (rc < 0) return -1;
        pos += win;
    }
    return 0;
}

/* _train(): augmented demos, then labeled demos from the examples that were
 * not bootstrapped (self.validation: shuffled by Random(0)), a
 * Random(0).sample of min(max_labeled - augmented, len) of them. */
static program *train_program(const compiler *c, const candidate *k,
                              size_t *n_lab)
{
    program *pg = program_new();
    for (size_t i = 0; i < k->augmented->ndemos && i < k->maxb; i++)
        program_add_demo(pg, &k->augmented->demos[i]);
    size_t *rest = xmalloc((c->ntrain ? c->ntrain : 1) * sizeof *rest);
    size_t nrest = 0;
    for (size_t p = 0; p < c->ntrain; p++)
        if (!k->done[p]) rest[nrest++] = k->order[p];
    rng g;
    rng_for(&g, c->o->seed, "unbootstrapped", 0);
    shuffle_idx(&g, rest, nrest);
    size_t room = c->o->max_labeled > pg->ndemos
                      ? c->o->max_labeled - pg->ndemos : 0;
    size_t take = room < nrest ? room : nrest;
    size_t *pick = xmalloc((take ? take : 1) * sizeof *pick);
    rng_for(&g, c->o->seed, "train", 0);
    sample_idx(&g, rest, nrest, take, pick);
    for (size_t i = 0; i < take; i++) {
        demo d;
        bs_labeled_demo(c->r, &c->train[pick[i]], &d);
        program_add_demo(pg, &d);
        demo_clear(&d);
    }
    *n_lab = take;
    free(pick);
    free(rest);
    return pg;
}

/* BootstrapFewShot(max_bootstrapped_demos = maxb).compile(trainset in
 * `order`). Returns the program or NULL + err. */
static program *bootstrap_fewshot(compiler *c, int cand_seed,
                                  const size_t *order, size_t maxb,
                                  size_t *n_aug, size_t *n_lab, char *err)
{
    candidate k = {.cand_seed = cand_seed, .order = order, .maxb = maxb};
    /* `if self.max_labeled_demos and ...`: k = 0 leaves the teacher bare */
    k.teacher = c->o->max_labeled ? labeled_fewshot(c, order) : program_new();
    k.augmented = program_new();
    k.done = xcalloc(c->ntrain ? c->ntrain : 1, 1);
    program *pg = NULL;
    if (bootstrap_walk(c, &k, err) == 0) {
        pg = train_program(c, &k, n_lab);
        *n_aug = pg->ndemos - *n_lab;
    }
    program_free(k.teacher);
    program_free(k.augmented);
    free(k.done);
    return pg;
}

/* One candidate of random search (or the only one). DSPy:
 * seed -3 zero-shot, -2 LabeledFewShot, -1 BootstrapFewShot unshuffled,
 * seed >= 0: random.Random(seed).shuffle(trainset) and
 * size = random.Random(seed).randint(1, max_bootstrapped). */
static program *build_candidate(compiler *c, int cand_seed, size_t *n_aug,
                                size_t *n_lab, char *err)
{
    size_t *order = xmalloc((c->ntrain ? c->ntrain : 1) * sizeof *order);
    for (size_t i = 0; i < c->ntrain; i++) order[i] = i;
    size_t maxb = c->o->max_bootstrapped;
    if (cand_seed >= 0) {
        rng g;
        rng_for(&g, c->o->seed, "candidate", cand_seed);
        shuffle_idx(&g, order, c->ntrain);
        rng_for(&g, c->o->seed, "candidate", cand_seed);
        maxb = maxb ? 1 + rng_below(&g, maxb) : 0;
    }
    bs_event ev = {.kind = BS_EV_CANDIDATE, .cand_seed = cand_seed,
                   .max_bootstrapped = cand_seed >= -1 ? maxb : 0};
    emit(c, &ev);
    program *pg = NULL;
    *n_aug = *n_lab = 0;
    if (cand_seed == -3) {
        pg = program_new();
    } else if (cand_seed == -2) {
        pg = labeled_fewshot(c, order);
        *n_lab = pg->ndemos;
    } else {
        pg = bootstrap_fewshot(c, cand_seed, order, maxb, n_aug, n_lab, err);
    }
    free(order);
    if (pg) {
        bs_event b = {.kind = BS_EV_BUILT, .cand_seed = cand_seed,
                      .n_augmented = *n_aug, .n_labeled = *n_lab};
        emit(c, &b);
    }
    return pg;
}

static void keep_result(bs_result *res, program *pg, int seed, size_t n_aug,
                        size_t n_lab)
{
    program_free(res->pg);
    res->pg = pg;
    res->cand_seed = seed;
    res->n_augmented = n_aug;
    res->n_labeled = n_lab;
}

/* BootstrapFewShotWithRandomSearch.compile: every candidate evaluated on
 * the validation set; `if len(scores) == 0 or score > max(scores)` keeps
 * the first best. */
static int random_search(compiler *c, const bs_example *val, size_t nval,
                         char *err)
{
    double best = 0;
    int have = 0;
    for (int seed = -3; seed < (int)c->o->candidates; seed++) {
        size_t n_aug, n_lab;
        program *pg = build_candidate(c, seed, &n_aug, &n_lab, err);
        if (!pg) return -1;
        metric_report rep;
        if (evaluate(c->o, c->r, c->o->metric, pg, val, nval, c->predict,
                     c->ctx, &rep, NULL, &c->res->calls, err) < 0) {
            program_free(pg);
            return -1;
        }
        bs_event ev = {.kind = BS_EV_EVALUATED, .cand_seed = seed,
                       .n_augmented = n_aug, .n_labeled = n_lab,
                       .report = &rep};
        emit(c, &ev);
        if (!have || rep.mean > best) {
            keep_result(c->res, pg, seed, n_aug, n_lab);
            c->res->val = rep;
            best = rep.mean;
            have = 1;
        } else {
            program_free(pg);
        }
    }
    c->res->evaluated = 1;
    return 0;
}

int bs_compile(const rubric *r, const bs_options *o,
               const bs_example *train, size_t ntrain,
               const bs_example *val, size_t nval,
               bs_predict_fn predict, bs_log_fn log, void *ctx,
               bs_result *res, char *err)
{
    memset(res, 0, sizeof *res);
    if (ntrain == 0) {
        err_set(err, "the training set is empty");
        return -1;
    }
    if (o->max_rounds == 0 || o->max_errors == 0) {
        err_set(err, "max_rounds and max_errors must be at least 1");
        return -1;
    }
    compiler c = {.r = r, .o = o, .predict = predict, .log = log,
                  .ctx = ctx, .res = res, .train = train, .ntrain = ntrain};
    int rc;
    if (o->candidates > 0) {
        rc = random_search(&c, nval ? val : train, nval ? nval : ntrain, err);
    } else {
        size_t n_aug, n_lab;
        program *pg = build_candidate(&c, -1, &n_aug, &n_lab, err);
        if (pg) keep_result(res, pg, -1, n_aug, n_lab);
        rc = pg ? 0 : -1;
    }
    if (rc < 0) bs_result_clear(res);
    return rc;
}

/* test_bootstrap.c: training-set selection and BootstrapFewShot (with and
 * without random search) against a fake predict callback that behaves like
 * the demo-aware test model: without demos it hedges at 7.5, with demos it
 * answers what the example's table entry says. */
#include "test.h"
#include "../../core/bootstrap.h"
#include "../../core/util.h"

#include <stdlib.h>

#define NF 3
static const char *score_names[NF] = {"responsiveness_score",
                                      "customer_negative_score",
                                      "conversational_trend_score"};

typedef struct {
    const char *id;
    double gold[NF];
    double ans[NF];       /* answer with demos in the prompt */
    int fail;             /* the prediction fails (an error) */
    int good_from_round;  /* rounds before this answer 0,0,0 */
} entry;

typedef struct {
    const rubric *r;
    const entry *tab;
    size_t n;
    size_t calls, batches, max_batch;
    int saw_self;         /* a teacher prompt held the example itself */
    size_t teacher_demos_max;
    char order[4096];     /* conv ids in call order */
    int cancel_after;     /* >0: abort once this many calls were made */
} fake;

static const entry *find_entry(const fake *f, const char *id)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->tab[i].id, id)) return &f->tab[i];
    return NULL;
}

static void set3(const rubric *r, scoreset *s, const double *v)
{
    memset(s, 0, sizeof *s);
    for (int k = 0; k < NF; k++) {
        int fi = rubric_field_index(r, score_names[k]);
        s->v[fi] = v[k];
        s->set[fi] = 1;
    }
}

/* The demo a model would produce: inputs copied, scores as "%.1f". */
static void fake_demo(const rubric *r, const bs_example *ex,
                      const scoreset *s, demo *d)
{
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < r->nfields; i++) {
        if (r->fields[i].kind == FIELD_INPUT) {
            d->values[i] = xstrdup(ex->inputs[i]);
        } else if (s->set[i]) {
            char b[32];
            snprintf(b, sizeof b, "%.1f", s->v[i]);
            d->values[i] = xstrdup(b);
        }
    }
    char why[160];
    snprintf(why, sizeof why, "reasoning about %s", ex->conv_id);
    d->reasoning = xstrdup(why);
}

static void answer_one(fake *f, const bs_call *c, bs_prediction *out)
{
    const entry *e = find_entry(f, c->ex->conv_id);
    for (size_t i = 0; i < c->pg->ndemos; i++)
        if (c->pg->demos[i].conv_id &&
            !strcmp(c->pg->demos[i].conv_id, c->ex->conv_id))
            f->saw_self = 1;
    if (c->pg->ndemos > f->teacher_demos_max)
        f->teacher_demos_max = c->pg->ndemos;
    if (e && e->fail) {
        out->ok = 0;
        out->error = xstrdup("boom");
        return;
    }
    double hedge[NF] = {7.5, 7.5, 7.5}, zero[NF] = {0, 0, 0};
    const double *v = c->pg->ndemos == 0 || !e ? hedge
                      : c->round < e->good_from_round ? zero : e->ans;
    out->ok = 1;
    set3(f->r, &out->scores, v);
    fake_demo(f->r, c->ex, &out->scores, &out->d);
}

static int fake_predict(void *ctx, const bs_call *calls, size_t n,
                        bs_prediction *out, char *err)
{
    fake *f = ctx;
    f->batches++;
    if (n > f->max_batch) f->max_batch = n;
    for (size_t i = 0; i < n; i++) {
        if (f->cancel_after && f->calls >= (size_t)f->cancel_after) {
            err_set(err, "cancelled by test");
            return -1;
        }
        f->calls++;
        size_t len = strlen(f->order);
        snprintf(f->order + len, sizeof f->order - len, "%s/%d ",
                 calls[i].ex->conv_id, calls[i].round);
        answer_one(f, &calls[i], &out[i]);
    }
    return 0;
}

/* Examples for the table, with transcript/seller inputs. */
static bs_example *make_examples(const rubric *r, const entry *tab, size_t n)
{
    bs_example *ex = xcalloc(n, sizeof *ex);
    int conv = rubric_field_index(r, "conversation");
    int seller = rubric_field_index(r, "seller_id");
    for (size_t i = 0; i < n; i++) {
        char b[64];
        ex[i].conv_id = xstrdup(tab[i].id);
        snprintf(b, sizeof b, "transcript of %s", tab[i].id);
        ex[i].inputs[conv] = xstrdup(b);
        ex[i].inputs[seller] = xstrdup("seller-1");
        set3(r, &ex[i].gold, tab[i].gold);
    }
    return ex;
}

static void free_examples(bs_example *ex, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ex[i].conv_id);
        for (int k = 0; k < RUBRIC_MAX_FIELDS; k++) free(ex[i].inputs[k]);
    }
    free(ex);
}

/* "id+" for augmented demos, "id" for labeled ones, with their values. */
static char *prog_sig(const rubric *r, const program *pg)
{
    sbuf b = {0};
    for (size_t i = 0; i < pg->ndemos; i++) {
        const demo *d = &pg->demos[i];
        sbuf_addf(&b, "%s%s[", d->conv_id ? d->conv_id : "?",
                  d->augmented ? "+" : "");
        for (size_t k = 0; k < r->nfields; k++)
            if (r->fields[k].kind != FIELD_INPUT)
                sbuf_addf(&b, "%s,", d->values[k] ? d->values[k] : "-");
        sbuf_addf(&b, "%s] ", d->reasoning ? "R" : "");
    }
    return sbuf_take(&b);
}

typedef struct {
    char text[8192];
    size_t attempts, accepted, rejected, failed;
} evlog;

/* A log that the tests read: ctx is a struct with the fake first. */
typedef struct {
    fake f;
    evlog l;
} harness;

static void harness_log(void *ctx, const bs_event *ev)
{
    harness *h = ctx;
    size_t len = strlen(h->l.text);
    char *p = h->l.text + len;
    size_t room = sizeof h->l.text - len;
    switch (ev->kind) {
    case BS_EV_CANDIDATE:
        snprintf(p, room, "C%d/%zu ", ev->cand_seed, ev->max_bootstrapped);
        break;
    case BS_EV_ATTEMPT:
        h->l.attempts++;
        if (ev->failed) h->l.failed++;
        else if (ev->accepted) h->l.accepted++;
        else h->l.rejected++;
        snprintf(p, room, "%s:%c%.2f ", ev->conv_id,
                 ev->failed ? 'E' : ev->accepted ? 'A' : 'R', ev->value);
        break;
    case BS_EV_BUILT:
        snprintf(p, room, "B%zu+%zu ", ev->n_augmented, ev->n_labeled);
        break;
    case BS_EV_EVALUATED:
        snprintf(p, room, "V%d=%.3f ", ev->cand_seed, ev->report->mean);
        break;
    }
}

static int harness_predict(void *ctx, const bs_call *calls, size_t n,
                           bs_prediction *out, char *err)
{
    return fake_predict(&((harness *)ctx)->f, calls, n, out, err);
}

/* Ten examples: gold spread over the range; answers equal the gold
 * (diversity 0.7 + 0.3 spread >= 0.82) except c02 and c05, far off
 * (diversity well under 0.7). */
static const entry base_tab[] = {
    {"c00", {9, 1, 8}, {9, 1, 8}, 0, 0},
    {"c01", {2, 8, 3}, {2, 8, 3}, 0, 0},
    {"c02", {9, 1, 9}, {1, 9, 1}, 0, 0},
    {"c03", {5, 5, 6}, {5, 5, 6}, 0, 0},
    {"c04", {7, 2, 7}, {7, 2, 7}, 0, 0},
    {"c05", {8, 2, 8}, {0, 10, 0}, 0, 0},
    {"c06", {3, 7, 2}, {3, 7, 2}, 0, 0},
    {"c07", {6, 4, 6}, {6, 4, 6}, 0, 0},
    {"c08", {1, 9, 1}, {1, 9, 1}, 0, 0},
    {"c09", {10, 0, 9}, {10, 0, 9}, 0, 0},
};
#define NBASE (sizeof base_tab / sizeof base_tab[0])

static void harness_init(harness *h, const rubric *r, const entry *tab,
                         size_t n)
{
    memset(h, 0, sizeof *h);
    h->f.r = r;
    h->f.tab = tab;
    h->f.n = n;
}

static int compile(harness *h, const rubric *r, const bs_options *o,
                   const bs_example *ex, size_t n, bs_result *res, char *err)
{
    return bs_compile(r, o, ex, n, NULL, 0, harness_predict, harness_log, h,
                      res, err);
}

TEST(bootstrap_threshold_accepts_and_rejects)
{
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, base_tab, NBASE);
    bs_options o;
    bs_options_init(&o);
    o.threshold = 0.7;
    o.max_bootstrapped = 4;
    harness h;
    harness_init(&h, r, base_tab, NBASE);
    bs_result res;
    char err[ERR_MAX];
    CHECK_MSG(compile(&h, r, &o, ex, NBASE, &res, err) == 0, "%s", err);
    /* walked in order: c00 A, c01 A, c02 R, c03 A, c04 A -> stop */
    CHECK_MSG(strstr(h.l.text, "c00:A0.94 c01:A0.88 c02:R0.38 c03:A0.73 "
                     "c04:A0.85 B4+1 ") != NULL, "%s", h.l.text);
    CHECK(h.l.attempts == 5 && h.l.accepted == 4 && h.l.rejected == 1);
    CHECK(res.accepted == 4 && res.rejected == 1 && res.attempts == 5);
    CHECK(res.n_augmented == 4 && res.n_labeled == 1);
    CHECK(res.pg->ndemos == 5);
    const char *want[] = {"c00", "c01", "c03", "c04"};
    for (int i = 0; i < 4; i++) {
        CHECK_STR(res.pg->demos[i].conv_id, want[i]);
        CHECK(res.pg->demos[i].augmented == 1);
        CHECK(res.pg->demos[i].reasoning != NULL);
    }
    /* the labeled demo is one of the examples that were not bootstrapped */
    const demo *lab = &res.pg->demos[4];
    CHECK(!lab->augmented && !lab->reasoning);
    for (int i = 0; i < 4; i++) CHECK(strcmp(lab->conv_id, want[i]) != 0);
    CHECK(!h.f.saw_self);
    bs_result_clear(&res);
    free_examples(ex, NBASE);
    rubric_free(r);
}

TEST(bootstrap_no_threshold_accepts_any_nonzero)
{
    static const entry tab[] = {
        {"z0", {10, 10, 10}, {0, 0, 0}, 0, 0},   /* value exactly 0 */
        {"z1", {9, 1, 9}, {1, 9, 1}, 0, 0},      /* poor, but > 0 */
        {"z2", {5, 5, 5}, {5, 5, 5}, 0, 0},
    };
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, tab, 3);
    bs_options o;
    bs_options_init(&o);
    o.max_labeled = 0;
    harness h;
    harness_init(&h, r, tab, 3);
    bs_result res;
    char err[ERR_MAX];
    CHECK_MSG(compile(&h, r, &o, ex, 3, &res, err) == 0, "%s", err);
    /* no labeled demos: the teacher is zero-shot and hedges at 7.5, which
     * still has a non-zero diversity value: everything passes */
    CHECK_MSG(h.l.accepted == 3, "%s", h.l.text);
    CHECK(h.f.teacher_demos_max == 0);
    bs_result_clear(&res);
    /* with labeled demos the table answers: z0 scores exactly 0 */
    o.max_labeled = 2;
    harness_init(&h, r, tab, 3);
    CHECK_MSG(compile(&h, r, &o, ex, 3, &res, err) == 0, "%s", err);
    CHECK_MSG(strstr(h.l.text, "z0:R0.00 z1:A") != NULL, "%s", h.l.text);
    CHECK(bs_metric_passes(0.01, 0) && !bs_metric_passes(0, 0));
    CHECK(bs_metric_passes(0.7, 0.7) && !bs_metric_passes(0.69, 0.7));
    bs_result_clear(&res);
    free_examples(ex, 3);
    rubric_free(r);
}

TEST(bootstrap_demo_count_limits)
{
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, base_tab, NBASE);
    bs_options o;
    bs_options_init(&o);
    harness h;
    bs_result res;
    char err[ERR_MAX];
    /* defaults 8 / 5: eight bootstrapped, no room for labeled demos */
    harness_init(&h, r, base_tab, NBASE);
    CHECK_MSG(compile(&h, r, &o, ex, NBASE, &res, err) == 0, "%s", err);
    CHECK(res.n_augmented == 8 && res.n_labeled == 0 && res.pg->ndemos == 8);
    CHECK(h.f.teacher_demos_max <= 5);
    bs_result_clear(&res);
    /* 2 / 5: two bootstrapped, three labeled fill; walk stops at two */
    o.max_bootstrapped = 2;
    harness_init(&h, r, base_tab, NBASE);
    CHECK_MSG(compile(&h, r, &o, ex, NBASE, &res, err) == 0, "%s", err);
    CHECK(res.n_augmented == 2 && res.n_labeled == 3 && res.pg->ndemos == 5);
    CHECK(h.l.attempts == 2);
    for (size_t i = 2; i < 5; i++) {
        const demo *d = &res.pg->demos[i];
        CHECK(!d->augmented && !d->reasoning);
        CHECK(strcmp(d->conv_id, "c00") && strcmp(d->conv_id, "c01"));
        /* labeled values are the human label, written like a score */
        const entry *e = find_entry(&h.f, d->conv_id);
        char want[32];
        snprintf(want, sizeof want, "%.1f", e->gold[0]);
        CHECK_STR(d->values[rubric_field_index(r, "responsiveness_score")],
                  want);
        CHECK(d->values[rubric_field_index(r, "score_rationale")] == NULL);
        char tr[64];
        snprintf(tr, sizeof tr, "transcript of %s", d->conv_id);
        CHECK_STR(d->values[rubric_field_index(r, "conversation")], tr);
    }
    bs_result_clear(&res);
    /* 0 / 0: zero-shot */
    o.max_bootstrapped = 0;
    o.max_labeled = 0;
    harness_init(&h, r, base_tab, NBASE);
    CHECK_MSG(compile(&h, r, &o, ex, NBASE, &res, err) == 0, "%s", err);
    CHECK(res.pg->ndemos == 0 && h.f.calls == 0);
    bs_result_clear(&res);
    free_examples(ex, NBASE);
    rubric_free(r);
}

TEST(bootstrap_teacher_never_sees_the_example)
{
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, base_tab, NBASE);
    bs_options o;
    bs_options_init(&o);
    o.max_labeled = 5;
    o.max_bootstrapped = 10;
    harness h;
    harness_init(&h, r, base_tab, NBASE);
    bs_result res;
    char err[ERR_MAX];
    CHECK_MSG(compile(&h, r, &o, ex, NBASE, &res, err) == 0, "%s", err);
    /* every example was attempted; five of them are teacher demos, and for
     * those the teacher ran with the four others */
    CHECK(h.l.attempts == NBASE);
    CHECK(!h.f.saw_self);
    CHECK(h.f.teacher_demos_max == 5);
    bs_result_clear(&res);
    free_examples(ex, NBASE);
    rubric_free(r);
}

TEST(bootstrap_same_seed_same_program)
{
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, base_tab, NBASE);
    bs_options o;
    bs_options_init(&o);
    o.max_bootstrapped = 2;
    o.seed = 42;
    char err[ERR_MAX], *sig[2];
    for (int k = 0; k < 2; k++) {
        harness h;
        harness_init(&h, r, base_tab, NBASE);
        bs_result res;
        CHECK_MSG(compile(&h, r, &o, ex, NBASE, &res, err) == 0, "%s", err);
        sig[k] = prog_sig(r, res.pg);
        bs_result_clear(&res);
    }
    CHECK_STR(sig[0], sig[1]);
    /* another seed picks other labeled demos (for one of a few seeds) */
    int differs = 0;
    for (uint64_t s = 43; s < 48 && !differs; s++) {
        o.seed = s;
        harness h;
        harness_init(&h, r, base_tab, NBASE);
        bs_result res;
        CHECK_MSG(compile(&h, r, &o, ex, NBASE, &res, err) == 0, "%s", err);
        char *other = prog_sig(r, res.pg);
        differs = strcmp(other, sig[0]) != 0;
        free(other);
        bs_result_clear(&res);
    }
    CHECK(differs);
    free(sig[0]);
    free(sig[1]);
    free_examples(ex, NBASE);
    rubric_free(r);
}

TEST(bootstrap_batching_does_not_change_the_outcome)
{
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, base_tab, NBASE);
    bs_options o;
    bs_options_init(&o);
    o.threshold = 0.8;
    o.max_bootstrapped = 3;
    char err[ERR_MAX], *sig[2], text[2][8192];
    size_t calls[2], maxb[2];
    for (int k = 0; k < 2; k++) {
        o.lookahead = k ? 8 : 0;
        harness h;
        harness_init(&h, r, base_tab, NBASE);
        bs_result res;
        CHECK_MSG(compile(&h, r, &o, ex, NBASE, &res, err) == 0, "%s", err);
        sig[k] = prog_sig(r, res.pg);
        snprintf(text[k], sizeof text[k], "%s", h.l.text);
        calls[k] = h.f.calls;
        maxb[k] = h.f.max_batch;
        bs_result_clear(&res);
    }
    CHECK_STR(sig[0], sig[1]);
    CHECK_STR(text[0], text[1]);         /* the same attempts, in order */
    CHECK(maxb[0] <= 3 && maxb[1] == 8); /* speculative calls were made */
    CHECK(calls[1] > calls[0]);
    /* without lookahead nothing is wasted: one call per attempt */
    CHECK(strstr(text[0], "c00:A0.94 c01:A0.88 c02:R0.38 c03:R0.73 "
                 "c04:A0.85 B3+2") != NULL);
    CHECK(calls[0] == 5);
    free(sig[0]);
    free(sig[1]);
    free_examples(ex, NBASE);
    rubric_free(r);
}

TEST(bootstrap_max_rounds_retries_a_rejected_example)
{
    static const entry tab[] = {
        {"m0", {9, 1, 8}, {9, 1, 8}, 0, 1},    /* bad in round 0 */
        {"m1", {2, 8, 3}, {2, 8, 3}, 0, 0},
        {"m2", {5, 5, 5}, {5, 5, 5}, 0, 0},
    };
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, tab, 3);
    bs_options o;
    bs_options_init(&o);
    o.threshold = 0.7;
    o.max_labeled = 2;
    o.max_bootstrapped = 2;
    harness h;
    harness_init(&h, r, tab, 3);
    bs_result res;
    char err[ERR_MAX];
    CHECK_MSG(compile(&h, r, &o, ex, 3, &res, err) == 0, "%s", err);
    CHECK_MSG(strstr(h.l.text, "m0:R0.28 m1:A0.88 m2:A0.70 ") != NULL, "%s",
              h.l.text);
    bs_result_clear(&res);
    o.max_rounds = 2;
    harness_init(&h, r, tab, 3);
    CHECK_MSG(compile(&h, r, &o, ex, 3, &res, err) == 0, "%s", err);
    CHECK_MSG(strstr(h.l.text, "m0:R0.28 m0:A0.94 m1:A0.88 B2+0") != NULL,
              "%s", h.l.text);
    CHECK(strstr(h.f.order, "m0/0 m1/0 m0/1 ") != NULL);  /* round batches */
    CHECK_STR(res.pg->demos[0].conv_id, "m0");
    bs_result_clear(&res);
    free_examples(ex, 3);
    rubric_free(r);
}

TEST(bootstrap_errors_count_and_stop_at_max_errors)
{
    static const entry tab[] = {
        {"e0", {9, 1, 8}, {9, 1, 8}, 1, 0},
        {"e1", {2, 8, 3}, {2, 8, 3}, 0, 0},
        {"e2", {5, 5, 6}, {5, 5, 6}, 1, 0},
        {"e3", {7, 2, 7}, {7, 2, 7}, 1, 0},
        {"e4", {1, 9, 1}, {1, 9, 1}, 0, 0},
    };
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, tab, 5);
    bs_options o;
    bs_options_init(&o);
    harness h;
    harness_init(&h, r, tab, 5);
    bs_result res;
    char err[ERR_MAX];
    CHECK_MSG(compile(&h, r, &o, ex, 5, &res, err) == 0, "%s", err);
    CHECK(h.l.failed == 3 && res.errors == 3 && h.l.accepted == 2);
    bs_result_clear(&res);
    o.max_errors = 3;
    harness_init(&h, r, tab, 5);
    CHECK(compile(&h, r, &o, ex, 5, &res, err) < 0);
    CHECK_MSG(strstr(err, "3 failed predictions") && strstr(err, "boom"),
              "%s", err);
    CHECK(res.pg == NULL);
    free_examples(ex, 5);
    rubric_free(r);
}

static int always_cancel(void *ctx) { (void)ctx; return 1; }

TEST(bootstrap_abort_and_cancel)
{
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, base_tab, NBASE);
    bs_options o;
    bs_options_init(&o);
    harness h;
    harness_init(&h, r, base_tab, NBASE);
    h.f.cancel_after = 1;
    bs_result res;
    char err[ERR_MAX];
    CHECK(compile(&h, r, &o, ex, NBASE, &res, err) < 0);
    CHECK_STR(err, "cancelled by test");
    o.cancel = always_cancel;
    harness_init(&h, r, base_tab, NBASE);
    CHECK(compile(&h, r, &o, ex, NBASE, &res, err) < 0);
    CHECK_STR(err, "cancelled");
    CHECK(h.f.calls == 0);
    CHECK(compile(&h, r, &o, ex, 0, &res, err) < 0);
    free_examples(ex, NBASE);
    rubric_free(r);
}

TEST(bootstrap_random_search_candidates)
{
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, base_tab, 7);
    bs_example *val = make_examples(r, base_tab + 7, 3);
    bs_options o;
    bs_options_init(&o);
    o.candidates = 3;
    o.seed = 7;
    harness h;
    harness_init(&h, r, base_tab, NBASE);
    bs_result res;
    char err[ERR_MAX];
    CHECK_MSG(bs_compile(r, &o, ex, 7, val, 3, harness_predict, harness_log,
                         &h, &res, err) == 0, "%s", err);
    const char *t = h.l.text;
    /* seeds -3..2 in order, each evaluated */
    const char *marks[] = {"C-3/0 ", "V-3=", "C-2/0 ", "V-2=", "C-1/8 ",
                           "V-1=", "C0/", "V0=", "C1/", "V1=", "C2/", "V2="};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        const char *p = strstr(t, marks[i]);
        CHECK_MSG(p, "no %s in %s", marks[i], h.l.text);
        t = p + 1;
    }
    CHECK(res.evaluated && res.val.n == 3);
    /* zero-shot hedges, any few-shot program answers like the labels */
    CHECK(res.cand_seed != -3 && res.pg->ndemos > 0);
    double best = 0;
    for (const char *p = h.l.text; (p = strstr(p, "=")); p++)
        if (atof(p + 1) > best) best = atof(p + 1);
    CHECK_NEAR(res.val.mean, best, 0.0006);
    bs_result_clear(&res);
    /* shuffled candidates draw their own bootstrap limit in [1, max] */
    o.max_bootstrapped = 2;
    harness_init(&h, r, base_tab, NBASE);
    CHECK(bs_compile(r, &o, ex, 7, val, 3, harness_predict, harness_log, &h,
                     &res, err) == 0);
    CHECK(!strstr(h.l.text, "C0/0 ") && !strstr(h.l.text, "C0/3 "));
    bs_result_clear(&res);
    free_examples(ex, 7);
    free_examples(val, 3);
    rubric_free(r);
}

TEST(bootstrap_random_search_ties_keep_the_first)
{
    /* answers equal the hedge: every candidate scores the same */
    static const entry tab[] = {
        {"t0", {9, 1, 8}, {7.5, 7.5, 7.5}, 0, 0},
        {"t1", {2, 8, 3}, {7.5, 7.5, 7.5}, 0, 0},
        {"t2", {5, 5, 6}, {7.5, 7.5, 7.5}, 0, 0},
        {"t3", {7, 2, 7}, {7.5, 7.5, 7.5}, 0, 0},
    };
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, tab, 4);
    bs_options o;
    bs_options_init(&o);
    o.candidates = 2;
    harness h;
    harness_init(&h, r, tab, 4);
    bs_result res;
    char err[ERR_MAX];
    /* no validation set: DSPy's `valset or trainset` */
    CHECK_MSG(compile(&h, r, &o, ex, 4, &res, err) == 0, "%s", err);
    CHECK(res.cand_seed == -3 && res.pg->ndemos == 0 && res.val.n == 4);
    bs_result_clear(&res);
    free_examples(ex, 4);
    rubric_free(r);
}

TEST(bootstrap_evaluate_zero_shot_and_failures)
{
    static const entry tab[] = {
        {"v0", {9, 1, 8}, {9, 1, 8}, 0, 0},
        {"v1", {2, 8, 3}, {2, 8, 3}, 1, 0},
    };
    rubric *r = rubric_default_new();
    bs_example *ex = make_examples(r, tab, 2);
    fake f = {.r = r, .tab = tab, .n = 2};
    metric_report rep;
    char err[ERR_MAX];
    CHECK(bs_evaluate(r, METRIC_DIVERSITY, NULL, ex, 2, fake_predict, &f,
                      &rep, err) == 0);
    CHECK(f.calls == 2 && f.batches == 1 && f.teacher_demos_max == 0);
    CHECK(rep.n == 2 && rep.failed == 1);
    /* v0 hedged: errors 1.5, 6.5, 0.5 */
    CHECK_NEAR(rep.mean, 0.7 * (1 - (8.5 / 3) / 10) / 2, 1e-9);
    free_examples(ex, 2);
    rubric_free(r);
}

TEST(bootstrap_labeled_demo_text)
{
    rubric *r = rubric_default_new();
    static const entry tab[] = {{"l0", {8, 7.25, 0}, {0, 0, 0}, 0, 0}};
    bs_example *ex = make_examples(r, tab, 1);
    int o = rubric_overall_index(r);
    ex[0].gold.v[o] = 4.5;
    ex[0].gold.set[o] = 1;
    demo d;
    bs_labeled_demo(r, &ex[0], &d);
    CHECK_STR(d.values[rubric_field_index(r, "responsiveness_score")], "8.0");
    CHECK_STR(d.values[rubric_field_index(r, "customer_negative_score")],
              "7.25");
    CHECK_STR(d.values[rubric_field_index(r, "conversational_trend_score")],
              "0.0");
    CHECK_STR(d.values[o], "4.5");
    CHECK_STR(d.values[rubric_field_index(r, "seller_id")], "seller-1");
    CHECK(!d.augmented && !d.reasoning);
    CHECK_STR(d.conv_id, "l0");
    CHECK(d.values[rubric_field_index(r, "score_rationale")] == NULL);
    demo_clear(&d);
    /* with the label's rationale (issue 17): under the text output */
    ex[0].rationale = "replied after 9 hours";
    bs_labeled_demo(r, &ex[0], &d);
    CHECK_STR(d.values[rubric_field_index(r, "score_rationale")],
              "replied after 9 hours");
    ex[0].rationale = NULL;
    demo_clear(&d);
    free_examples(ex, 1);
    rubric_free(r);
}

/* ---- selection ---- */

/* n items: overall cycling low/mid/high; every `edge_every`-th an edge. */
static bs_item *make_items(size_t n, size_t edge_every, char ids[][8])
{
    bs_item *it = xcalloc(n, sizeof *it);
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], 8, "i%02u", (unsigned)(i % 100));
        it[i].conv_id = ids[i];
        it[i].overall = (double[]){1.5, 5.0, 8.5}[i % 3];
        it[i].edge = edge_every && i % edge_every == 0;
    }
    return it;
}

TEST(bootstrap_select_stratified_with_edges_first)
{
    char ids[30][8];
    bs_item *it = make_items(30, 7, ids);    /* edges: 0, 7, 14, 21, 28 */
    bs_select_opts o = {.edge = 3, .sample = 9, .val = 6, .seed = 1,
                        .lo = 0, .hi = 10};
    bs_split s;
    char err[ERR_MAX];
    CHECK_MSG(bs_select(it, 30, &o, &s, err) == 0, "%s", err);
    CHECK(s.n_edge == 3 && s.ntrain == 12 && s.nval == 6);
    for (size_t i = 0; i < 3; i++) CHECK(it[s.train[i]].edge);
    for (size_t i = 1; i < 3; i++) CHECK(s.train[i - 1] < s.train[i]);
    for (int b = 0; b < BS_BINS; b++) CHECK(s.bin_taken[b] == 3);
    /* the sample alternates low, mid, high */
    for (size_t i = 3; i < 12; i++)
        CHECK(bs_bin_of(it[s.train[i]].overall, 0, 10) == (int)((i - 3) % 3));
    /* validation: non-edge, disjoint from training, ascending */
    for (size_t v = 0; v < s.nval; v++) {
        CHECK(!it[s.val[v]].edge);
        if (v) CHECK(s.val[v - 1] < s.val[v]);
        for (size_t t = 0; t < s.ntrain; t++) CHECK(s.val[v] != s.train[t]);
    }
    /* the same seed, the same sets; another --sample keeps validation */
    bs_split s2;
    o.sample = 6;
    CHECK(bs_select(it, 30, &o, &s2, err) == 0);
    CHECK(s2.nval == s.nval &&
          !memcmp(s2.val, s.val, s.nval * sizeof *s.val));
    CHECK(!memcmp(s2.train, s.train, 3 * sizeof *s.train));
    bs_split_clear(&s2);
    bs_split_clear(&s);
    free(it);
}

TEST(bootstrap_select_short_bin_and_excess_edges)
{
    char ids[20][8];
    bs_item *it = make_items(20, 0, ids);
    for (size_t i = 0; i < 20; i++)   /* only i02 is high */
        if (it[i].overall > 7 && i != 2) it[i].overall = 4;
    it[5].edge = it[6].edge = it[9].edge = 1;
    bs_select_opts o = {.edge = 1, .sample = 9, .val = 4, .seed = 3,
                        .lo = 0, .hi = 10};
    bs_split s;
    char err[ERR_MAX];
    CHECK_MSG(bs_select(it, 20, &o, &s, err) == 0, "%s", err);
    CHECK(s.n_edge == 1 && s.ntrain == 10);
    size_t taken = s.bin_taken[0] + s.bin_taken[1] + s.bin_taken[2];
    CHECK(taken == 9);
    CHECK(s.bin_taken[2] <= 1);
    CHECK(s.bin_taken[0] >= 4 && s.bin_taken[1] >= 4);
    bs_split_clear(&s);
    /* edge cases beyond --edge are in the sampling pool */
    o.edge = 0;
    o.sample = 16;
    CHECK_MSG(bs_select(it, 20, &o, &s, err) == 0, "%s", err);
    CHECK(s.n_edge == 0 && s.ntrain == 16);
    int edges = 0;
    for (size_t i = 0; i < s.ntrain; i++) edges += it[s.train[i]].edge;
    CHECK(edges == 3);
    bs_split_clear(&s);
    free(it);
}

TEST(bootstrap_select_too_few_says_how_many)
{
    char ids[12][8];
    bs_item *it = make_items(12, 6, ids);   /* 2 edge, 10 non-edge */
    bs_select_opts o = {.edge = 5, .sample = 15, .val = 5, .seed = 1,
                        .lo = 0, .hi = 10};
    bs_split s;
    char err[ERR_MAX];
    CHECK(bs_select(it, 12, &o, &s, err) < 0);
    CHECK(s.missing == 10);
    CHECK_MSG(strstr(err, "label 10 more"), "%s", err);
    CHECK(strstr(err, "12 reviewed examples (2 edge cases)"));
    o.sample = 5;
    CHECK_MSG(bs_select(it, 12, &o, &s, err) == 0, "%s", err);
    CHECK(s.ntrain == 7 && s.nval == 5);
    bs_split_clear(&s);
    o.val = 0;
    CHECK(bs_select(it, 12, &o, &s, err) < 0);
    free(it);
}

/* The paired comparison that decides keep-if-better: equivalent programs
 * whose scores differ only by noise stay within 2 SE; a real gain does not. */
TEST(bootstrap_paired_gain)
{
    double base[8] = {0.61, 0.70, 0.55, 0.80, 0.66, 0.72, 0.59, 0.68};
    double noisy[8], better[8];
    static const double jitter[8] = {0.004, -0.003, 0.005, -0.002,
                                     0.003, 0.001, -0.004, 0.002};
    for (int i = 0; i < 8; i++) {
        noisy[i] = base[i] + jitter[i];
        better[i] = base[i] + 0.05 + jitter[i];
    }
    double g, se;
    bs_paired_gain(noisy, base, 8, &g, &se);
    CHECK_NEAR(g, 0.00075, 1e-12);
    CHECK(se > 0 && g < 2 * se);          /* noise: not an improvement */
    bs_paired_gain(better, base, 8, &g, &se);
    CHECK_NEAR(g, 0.05075, 1e-12);
    CHECK(g > 2 * se);
    bs_paired_gain(base, base, 8, &g, &se);
    CHECK(g == 0 && se == 0);             /* equal: gain 0 is not > 0 */
    bs_paired_gain(better, base, 1, &g, &se);
    CHECK(se == 0);                       /* n < 2: no noise estimate */
}

/* Issue 14: one more label reshuffled the whole validation set (79 -> 80
 * labels: 0 of 10 in common). Membership is per conversation now, and an
 * earlier run's split is kept whatever the seed. */
TEST(bootstrap_select_val_only_grows)
{
    char ids[80][8];
    bs_item *it = make_items(80, 0, ids);
    bs_select_opts o = {.edge = 0, .sample = 15, .val = 10, .seed = 3,
                        .lo = 0, .hi = 10};
    bs_split a, b;
    char err[ERR_MAX];
    CHECK_MSG(bs_select(it, 79, &o, &a, err) == 0, "%s", err);
    CHECK_MSG(bs_select(it, 80, &o, &b, err) == 0, "%s", err);
    size_t common = 0;
    for (size_t i = 0; i < a.nval; i++)
        for (size_t j = 0; j < b.nval; j++)
            common += !strcmp(it[a.val[i]].conv_id, it[b.val[j]].conv_id);
    CHECK_MSG(common >= 9, "only %zu of 10 in common after one label", common);
    /* with the recorded split, another seed keeps every member */
    const char *prev[10];
    for (size_t i = 0; i < a.nval; i++) prev[i] = it[a.val[i]].conv_id;
    bs_split c;
    o.seed = 99;
    o.prev_val = prev;
    o.nprev_val = a.nval;
    CHECK(bs_select(it, 80, &o, &c, err) == 0);
    CHECK(c.nval == 10);
    for (size_t i = 0; i < c.nval; i++) CHECK(c.val[i] == a.val[i]);
    /* a larger --val adds members, keeps the old ones */
    bs_split d;
    o.val = 12;
    CHECK(bs_select(it, 80, &o, &d, err) == 0);
    CHECK(d.nval == 12);
    size_t kept = 0;
    for (size_t i = 0; i < d.nval; i++)
        for (size_t j = 0; j < a.nval; j++) kept += d.val[i] == a.val[j];
    CHECK(kept == 10);
    bs_split_clear(&a);
    bs_split_clear(&b);
    bs_split_clear(&c);
    bs_split_clear(&d);
    free(it);
}

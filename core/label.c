/* label.c: see label.h. */
#include "label.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

static const char *const status_names[] = {"", "accepted", "corrected",
                                           "skipped"};

const char *label_status_name(label_status s)
{
    return s >= LABEL_NONE && s <= LABEL_SKIPPED ? status_names[s] : "";
}

label_status label_status_parse(const char *s)
{
    for (int i = LABEL_ACCEPTED; s && i <= LABEL_SKIPPED; i++)
        if (strcmp(s, status_names[i]) == 0) return (label_status)i;
    return LABEL_NONE;
}

const char *label_role_name(label_role r)
{
    return r == LABEL_ROLE_ADJUDICATION ? "adjudication" : "review";
}

label_role label_role_parse(const char *s)
{
    return s && strcmp(s, "adjudication") == 0 ? LABEL_ROLE_ADJUDICATION
                                               : LABEL_ROLE_REVIEW;
}

/* Stored values have 2 decimals: equal means equal in cents. */
static int same(unsigned char set_a, double a, unsigned char set_b, double b)
{
    if (set_a != set_b) return 0;
    return !set_a || llround(a * 100) == llround(b * 100);
}

static int parts_equal(const rubric *r, const scoreset *a, const scoreset *b)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_SCORE &&
            !same(a->set[i], a->v[i], b->set[i], b->v[i]))
            return 0;
    return 1;
}

/* The overall "yours" shows unless typed: the model's while the parts are
 * the model's, else the formula over the parts (none while one is
 * missing). */
static void follow(label_values *v, const rubric *r)
{
    int oi = rubric_overall_index(r);
    if (oi < 0 || v->overall_typed) return;
    if (v->has_model && parts_equal(r, &v->model, &v->yours)) {
        v->yours.v[oi] = v->model.v[oi];
        v->yours.set[oi] = v->model.set[oi];
        if (v->yours.set[oi]) return;
    }
    double o;
    v->yours.set[oi] = rubric_overall_from(r, &v->yours, &o) == 0;
    v->yours.v[oi] = v->yours.set[oi] ? o : 0;
}

void label_values_init(label_values *v, const rubric *r,
                        const scoreset *model, const scoreset *start)
{
    memset(v, 0, sizeof *v);
    if (model) {
        for (size_t i = 0; i < r->nfields; i++)
            if (rubric_is_scored(&r->fields[i])) {
                v->model.v[i] = model->v[i];
                v->model.set[i] = model->set[i];
            }
        v->has_model = 1;
    }
    v->yours = v->model;
    if (start) {
        for (size_t i = 0; i < r->nfields; i++)
            if (rubric_is_scored(&r->fields[i])) {
                v->yours.v[i] = start->v[i];
                v->yours.set[i] = start->set[i];
            }
        /* Its overall was typed when following the parts gives another. */
        int oi = rubric_overall_index(r);
        if (oi >= 0) {
            label_values t = *v;
            follow(&t, r);
            v->overall_typed = !same(t.yours.set[oi], t.yours.v[oi],
                                     v->yours.set[oi], v->yours.v[oi]);
        }
    }
    follow(v, r);
}

int label_values_set(label_values *v, const rubric *r, int fi,
                      double value, int *clamped)
{
    if (fi < 0 || (size_t)fi >= r->nfields || !rubric_is_scored(&r->fields[fi]))
        return -1;
    double clean;
    if (!rubric_validate_value(&r->fields[fi], value, &clean)) return -1;
    if (clamped) *clamped = llround(clean * 100) != llround(value * 100);
    v->yours.v[fi] = clean;
    v->yours.set[fi] = 1;
    v->touched = 1;
    if (fi == rubric_overall_index(r)) v->overall_typed = 1;
    follow(v, r);
    return 0;
}

void label_values_reset(label_values *v, const rubric *r, int fi)
{
    if (fi < 0 || (size_t)fi >= r->nfields) return;
    v->touched = 1;
    if (fi == rubric_overall_index(r)) {
        v->overall_typed = 0;
    } else {
        v->yours.v[fi] = v->model.v[fi];
        v->yours.set[fi] = v->model.set[fi];
    }
    follow(v, r);
}

int label_values_differ(const label_values *v, const rubric *r)
{
    return !v->has_model || !label_scores_equal(r, &v->yours, &v->model);
}

int label_scores_equal(const rubric *r, const scoreset *a, const scoreset *b)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (rubric_is_scored(&r->fields[i]) &&
            !same(a->set[i], a->v[i], b->set[i], b->v[i]))
            return 0;
    return 1;
}

/* 0, or -1 + err naming the first score part s lacks. */
static int need_parts(const rubric *r, const scoreset *s, const char *whose,
                      char *err)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_SCORE && !s->set[i]) {
            err_set(err, "%s no %s", whose, r->fields[i].name);
            return -1;
        }
    return 0;
}

int label_decide(const rubric *r, const label_values *v,
                  label_action action, label_decision *out, char *err)
{
    memset(out, 0, sizeof *out);
    if (action == LABEL_DO_SKIP) {
        out->status = LABEL_SKIPPED;
        return 0;
    }
    if (action == LABEL_DO_ACCEPT || !label_values_differ(v, r)) {
        if (!v->has_model) {
            err_set(err, "no model scores to accept");
            return -1;
        }
        if (need_parts(r, &v->model, "the model gave", err) < 0) return -1;
        out->status = LABEL_ACCEPTED;
        out->scores = v->model;
        return 0;
    }
    if (need_parts(r, &v->yours, "yours has", err) < 0) return -1;
    out->status = LABEL_CORRECTED;
    out->scores = v->yours;
    return 0;
}

/* a and b equal but for leading and trailing white space. */
static int same_text(const char *a, const char *b)
{
    while (isspace((unsigned char)*a)) a++;
    while (isspace((unsigned char)*b)) b++;
    size_t na = strlen(a), nb = strlen(b);
    while (na && isspace((unsigned char)a[na - 1])) na--;
    while (nb && isspace((unsigned char)b[nb - 1])) nb--;
    return na == nb && memcmp(a, b, na) == 0;
}

const char *label_rationale_decide(label_action action, const char *model,
                                   const char *yours)
{
    if (action == LABEL_DO_SKIP || !yours) return NULL;
    if (!label_comment_decide(yours)) return NULL;      /* blank */
    return model && same_text(model, yours) ? NULL : yours;
}

const char *label_comment_decide(const char *c)
{
    if (!c) return NULL;
    for (const char *p = c; *p; p++)
        if (!isspace((unsigned char)*p)) return c;
    return NULL;
}

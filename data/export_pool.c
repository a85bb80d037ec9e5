/* export_pool.c: see export_pool.h. */
#define _POSIX_C_SOURCE 200809L
#include "export_pool.h"
#include "pool_team.h"
#include "../core/prompt.h"
#include "../core/score.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *id;
    int edge;           /* -1: look it up */
    char *edge_note;
} item;

static void items_free(item *it, int n)
{
    for (int i = 0; i < n; i++) {
        free(it[i].id);
        free(it[i].edge_note);
    }
    free(it);
}

typedef struct {
    item *it;
    int n, cap;
} item_list;

static int add_view_id(const char *id, void *ctx)
{
    item_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->it = xrealloc(l->it, (size_t)l->cap * sizeof *l->it);
    }
    l->it[l->n].id = xstrdup(id);
    l->it[l->n].edge = -1;
    l->it[l->n].edge_note = NULL;
    l->n++;
    return 0;
}

/* The conversations to export, in order. Returns the count or -1. */
static int collect(pool *p, const export_pool_opts *o, item **out, char *err)
{
    *out = NULL;
    if (o->sel == EXPORT_VIEW) {
        item_list l = {0};
        if (!o->view) {
            err_set(err, "export: no view given");
            return -1;
        }
        if (pool_each_id(p, o->view, add_view_id, &l, err) < 0) {
            items_free(l.it, l.n);
            return -1;
        }
        *out = l.it ? l.it : xcalloc(1, sizeof *l.it);
        return l.n;
    }
    if (o->sel == EXPORT_TRAINSET) {
        pool_program pg;
        int rc = pool_get_program(p, o->program_id, &pg, err);
        if (rc <= 0) {
            if (rc == 0) {
                if (o->program_id) err_set(err, "no program %lld", (long long)o->program_id);
                else err_set(err, "no current best program");
            }
            return -1;
        }
        cJSON *arr = pg.trainset_json ? cJSON_Parse(pg.trainset_json) : NULL;
        if (!cJSON_IsArray(arr)) {
            err_set(err, "program %lld has no recorded training set%s",
                    (long long)pg.id,
                    pg.metric && !strcmp(pg.metric, "imported")
                        ? " (it was imported)" : "");
            cJSON_Delete(arr);
            pool_program_clear(&pg);
            return -1;
        }
        int n = 0, cap = cJSON_GetArraySize(arr);
        item *it = xcalloc((size_t)(cap ? cap : 1), sizeof *it);
        const cJSON *e;
        cJSON_ArrayForEach(e, arr) {
            if (!cJSON_IsString(e)) continue;
            it[n].id = xstrdup(e->valuestring);
            it[n].edge = -1;
            n++;
        }
        cJSON_Delete(arr);
        pool_program_clear(&pg);
        *out = it;
        return n;
    }
    pool_example *ex;
    int ne = pool_reviewed_examples(p, &ex, err);
    if (ne < 0) return -1;
    item *it = xcalloc((size_t)(ne ? ne : 1), sizeof *it);
    int n = 0;
    for (int i = 0; i < ne; i++) {
        if (o->sel == EXPORT_EDGE && !ex[i].edge) continue;
        it[n].id = xstrdup(ex[i].conv_id);
        it[n].edge = ex[i].edge;
        it[n].edge_note = xstrdup(ex[i].edge ? (ex[i].edge_note ? ex[i].edge_note : "") : NULL);
        n++;
    }
    pool_examples_free(ex, ne);
    *out = it;
    return n;
}

int export_pool_text_field(const rubric *r)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_TEXT) return (int)i;
    return -1;
}

int export_pool_rationale(pool *p, const rubric *r, const label *l,
                          char **out, char *err)
{
    *out = NULL;
    if (l->rationale) {
        *out = xstrdup(l->rationale);
        return 0;
    }
    if (l->pred_id <= 0) return 0;
    prediction pr;
    int rc = pool_get_prediction_id(p, r, l->pred_id, &pr, err);
    if (rc < 0) return -1;
    if (rc == 1) {
        *out = pr.rationale;
        pr.rationale = NULL;
        prediction_clear(&pr);
    }
    return 0;
}

/* One example as a compact JSON object, or NULL (skip) / -1 via *failed. */
static char *example_json_new(pool *p, const rubric *r, const item *it,
                              int numeric, int *failed, char *err)
{
    char lerr[ERR_MAX];
    label l;
    int rc = pool_get_label(p, r, it->id, &l, lerr);
    if (rc < 0) { snprintf(err, ERR_MAX, "%s", lerr); *failed = 1; return NULL; }
    if (rc == 0) return NULL;
    if (l.status == LABEL_SKIPPED) { label_clear(&l); return NULL; }
    /* several reviewers: their consensus, and none while they conflict */
    rc = pool_team_adjust_label(p, r, it->id, &l.scores, lerr);
    if (rc <= 0) {
        label_clear(&l);
        if (rc < 0) { snprintf(err, ERR_MAX, "%s", lerr); *failed = 1; }
        return NULL;
    }
    convo *c = pool_get_convo_new(p, it->id, lerr);
    if (!c) { label_clear(&l); return NULL; }
    int edge = it->edge;
    char *note = NULL;
    if (edge < 0) {
        edge = pool_get_edge(p, it->id, &note, lerr);
        if (edge < 0) {
            snprintf(err, ERR_MAX, "%s", lerr);
            *failed = 1;
            label_clear(&l);
            convo_free(c);
            return NULL;
        }
    } else if (edge && it->edge_note) {
        note = xstrdup(it->edge_note);
    }
    char *inputs[RUBRIC_MAX_FIELDS];
    prompt_inputs_for_convo(r, c, inputs);
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].kind == FIELD_INPUT && inputs[i])
            cJSON_AddStringToObject(o, r->fields[i].name, inputs[i]);
    for (size_t i = 0; i < r->nfields; i++) {
        if (!rubric_is_scored(&r->fields[i]) || !l.scores.set[i]) continue;
        char num[SCORE_TEXT_MAX];
        score_format(l.scores.v[i], num, sizeof num);
        if (numeric)
            cJSON_AddItemToObject(o, r->fields[i].name,
                                  cJSON_CreateNumber(strtod(num, NULL)));
        else
            cJSON_AddStringToObject(o, r->fields[i].name, num);
    }
    /* The rationale: the reviewer's when written, else the model's (of the
     * prediction the label reviewed), under the first text field. */
    int ti = export_pool_text_field(r);
    char *why = NULL;
    if (ti >= 0 && export_pool_rationale(p, r, &l, &why, lerr) < 0) {
        snprintf(err, ERR_MAX, "%s", lerr);
        *failed = 1;
        cJSON_Delete(o);
        prompt_inputs_clear(inputs);
        free(note);
        label_clear(&l);
        convo_free(c);
        return NULL;
    }
    if (why) cJSON_AddStringToObject(o, r->fields[ti].name, why);
    free(why);
    cJSON_AddStringToObject(o, "conversation_id", c->id);
    cJSON_AddStringToObject(o, "reviewer", l.reviewer);
    cJSON_AddStringToObject(o, "status", label_status_name(l.status));
    /* Which prediction the label reviewed (accepted: its scores verbatim). */
    if (l.pred_id > 0) cJSON_AddNumberToObject(o, "prediction_id", (double)l.pred_id);
    else cJSON_AddNullToObject(o, "prediction_id");
    if (l.run_id > 0) cJSON_AddNumberToObject(o, "run_id", (double)l.run_id);
    else cJSON_AddNullToObject(o, "run_id");
    if (edge) cJSON_AddStringToObject(o, "edge_note", note ? note : "");
    free(note);
    char *out = json_text_new(o, 0);
    cJSON_Delete(o);
    prompt_inputs_clear(inputs);
    label_clear(&l);
    convo_free(c);
    return out;
}

int export_pool_examples(pool *p, const rubric *r, const export_pool_opts *o,
                         sbuf *out, int *n, int *skipped, char *err)
{
    *n = 0;
    if (skipped) *skipped = 0;
    item *items;
    int ni = collect(p, o, &items, err);
    if (ni < 0) return -1;
    if (o->json_array) sbuf_add(out, "[");
    int failed = 0;
    for (int i = 0; i < ni && !failed; i++) {
        char *line = example_json_new(p, r, &items[i], o->numeric, &failed, err);
        if (!line) {
            if (!failed && skipped) (*skipped)++;
            continue;
        }
        if (o->json_array) {
            sbuf_add(out, *n ? ",\n  " : "\n  ");
            sbuf_add(out, line);
        } else {
            sbuf_add(out, line);
            sbuf_addc(out, '\n');
        }
        free(line);
        (*n)++;
    }
    if (o->json_array) sbuf_add(out, *n ? "\n]\n" : "]\n");
    items_free(items, ni);
    return failed ? -1 : 0;
}

/* cmd_report.c: `curate report`: one self-contained HTML file for people
 * who do not use a terminal: per-field model vs human distributions
 * (inline SVG histograms), compression alarms, before against after, the
 * seller table, the trend, reviewer agreement (the team module's) and
 * the current best program. Nothing is fetched from anywhere (no scripts, fonts, images or
 * external styles); every piece of pool text is HTML-escaped. The numbers
 * come from data/pool_dist.h, the same functions the workbench draws. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../term/ui_text.h"
#include "../../core/util.h"
#include "../app/team.h"
#include "../../data/pool_dist.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char cmd_report_usage[] =
    "usage: curate report [-o FILE] [--run R] [--baseline B] [--seller S]\n"
    "Writes one self-contained HTML report (default report.html): per-field\n"
    "model vs human distributions, compression alarms, before against after\n"
    "(--baseline), sellers, the trend, reviewer agreement and the current\n"
    "best program. --run R reports on scoring run R (default: each\n"
    "conversation's latest prediction); --seller S on one seller.\n";

/* ---- HTML text ---- */

static void esc(sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': sbuf_add(b, "&lt;"); break;
        case '>': sbuf_add(b, "&gt;"); break;
        case '&': sbuf_add(b, "&amp;"); break;
        case '"': sbuf_add(b, "&quot;"); break;
        case '\'': sbuf_add(b, "&#39;"); break;
        default: sbuf_addc(b, *s);
        }
    }
}

static void num(sbuf *b, const dist_agg *a, double v)
{
    if (a && a->n == 0) sbuf_add(b, "<td>-</td>");
    else sbuf_addf(b, "<td>%.2f</td>", v);
}

static void share_cell(sbuf *b, double share, double lo)
{
    if (share < 0) {
        sbuf_addf(b, "<td class=dim>n&lt;%d</td>", DIST_ALARM_MIN_N);
        return;
    }
    int alarm = dist_alarm(share);
    sbuf_addf(b, "<td%s>%s%.0f%% in %.1f&ndash;%.1f</td>",
              alarm ? " class=alarm" : "", alarm ? "! " : "", share * 100, lo,
              lo + DIST_BAND);
}

static const char *style =
    "body{font:14px/1.4 sans-serif;color:#111;margin:2em;max-width:1100px}"
    "h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #999;"
    "margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #bbb;padding:2px 8px;text-align:right}"
    "th:first-child,td:first-child{text-align:left}th{background:#eee}"
    ".alarm{color:#b00;font-weight:bold}.dim{color:#777}"
    ".hists{display:flex;flex-wrap:wrap;gap:16px}.hist{break-inside:avoid}"
    ".cap{font-size:12px;font-weight:bold}"
    ".pair{display:flex;gap:8px;break-inside:avoid;border:1px solid #ddd;padding:4px}"
    ".key span{display:inline-block;width:10px;height:10px;margin:0 4px}"
    "svg text{font:10px sans-serif}"
    "@media print{body{margin:0;max-width:none}h2{break-after:avoid}"
    "table,.hist{break-inside:avoid}}";

/* An SVG histogram of one field: model and human bars per bin, each as a
 * share of its own n. */
static void svg_hist(sbuf *b, const rubric_field *f, const char *title,
                     const int64_t *hm, const int64_t *hh)
{
    int64_t nm = 0, nh = 0;
    for (int i = 0; i < DIST_BINS; i++) nm += hm[i], nh += hh[i];
    double smax = 0;
    for (int i = 0; i < DIST_BINS; i++) {
        if (nm && (double)hm[i] / nm > smax) smax = (double)hm[i] / nm;
        if (nh && (double)hh[i] / nh > smax) smax = (double)hh[i] / nh;
    }
    const int W = 250, H = 126, top = 4, base = 110, bw = 24;
    sbuf_add(b, "<div class=hist><div class=cap>");
    esc(b, title);
    sbuf_addf(b, "<br><span class=dim>model n=%lld, human n=%lld</span></div>"
                 "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"",
              (long long)nm, (long long)nh, W, H);
    esc(b, title);
    sbuf_addf(b, "\" viewBox=\"0 0 %d %d\">", W, H);
    sbuf_addf(b, "<line x1=\"4\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>",
              base, 4 + DIST_BINS * bw, base);
    double bwv = (f->hi - f->lo) / DIST_BINS;
    for (int i = 0; i < DIST_BINS; i++) {
        double sm = nm ? (double)hm[i] / nm : 0, sh = nh ? (double)hh[i] / nh : 0;
        int x = 4 + i * bw;
        int hM = smax > 0 ? (int)lround(sm / smax * (base - top)) : 0;
        int hH = smax > 0 ? (int)lround(sh / smax * (base - top)) : 0;
        sbuf_addf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"%d\" fill=\"#3366cc\">"
                     "<title>model %.1f-%.1f: %lld</title></rect>",
                  x + 1, base - hM, hM, f->lo + i * bwv, f->lo + (i + 1) * bwv,
                  (long long)hm[i]);
        sbuf_addf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"%d\" fill=\"#e69500\">"
                     "<title>human %.1f-%.1f: %lld</title></rect>",
                  x + 12, base - hH, hH, f->lo + i * bwv, f->lo + (i + 1) * bwv,
                  (long long)hh[i]);
        if (i % 2 == 0)
            sbuf_addf(b, "<text x=\"%d\" y=\"%d\">%g</text>", x, base + 12,
                      f->lo + i * bwv);
    }
    sbuf_addf(b, "<text x=\"%d\" y=\"%d\">%g</text></svg></div>",
              4 + DIST_BINS * bw - 8, base + 12, f->hi);
}

/* A sparkline of values v[0..n) (NAN: no value) as an SVG polyline. */
static void svg_spark(sbuf *b, const double *v, int n, double lo, double hi,
                      const char *colour)
{
    const int W = 120, H = 24;
    sbuf_addf(b, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">"
                 "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
              W, H, W, H, colour);
    for (int i = 0; i < n; i++) {
        if (isnan(v[i])) continue;
        double x = n > 1 ? 2 + (double)i * (W - 4) / (n - 1) : W / 2.0;
        int l = dist_spark_level(v[i], lo, hi, 21);
        sbuf_addf(b, "%.1f,%d ", x, H - 2 - l);
    }
    sbuf_add(b, "\"/></svg>");
}

/* ---- the report's parts ---- */

typedef struct {
    pool *p;
    const rubric *r;
    int64_t run, base;           /* base -1: none */
    const char *seller;
    sbuf *b;
    char err[ERR_MAX];
} report;

static void field_label(const rubric_field *f, sbuf *b)
{
    esc(b, f->name);
}

static int section_distribution(report *x)
{
    sbuf *b = x->b;
    sbuf_add(b, "<h2 id=distribution>Distribution: model against human</h2>"
                "<table><tr><th>field</th><th>model n</th><th>mean</th><th>sd</th>"
                "<th>human n</th><th>mean</th><th>sd</th><th>MAE</th>"
                "<th>Spearman</th><th>compression</th></tr>");
    pool_dist_field d[RUBRIC_MAX_FIELDS];
    for (size_t i = 0; i < x->r->nfields; i++) {
        if (!rubric_is_scored(&x->r->fields[i])) continue;
        if (pool_dist_field_get(x->p, x->r, (int)i, x->run, x->seller, 1, &d[i],
                                x->err) < 0)
            return -1;
        sbuf_add(b, "<tr><td>");
        field_label(&x->r->fields[i], b);
        sbuf_addf(b, "</td><td>%lld</td>", (long long)d[i].model.n);
        num(b, &d[i].model, d[i].model.mean);
        num(b, &d[i].model, d[i].model.sd);
        sbuf_addf(b, "<td>%lld</td>", (long long)d[i].human.n);
        num(b, &d[i].human, d[i].human.mean);
        num(b, &d[i].human, d[i].human.sd);
        num(b, &d[i].abs_err, d[i].abs_err.mean);
        if (d[i].has_spearman) sbuf_addf(b, "<td>%.2f</td>", d[i].spearman);
        else sbuf_add(b, "<td>-</td>");
        share_cell(b, d[i].comp_share, d[i].comp_lo);
        sbuf_add(b, "</tr>");
    }
    sbuf_add(b, "</table><p class=key><span style=\"background:#3366cc\"></span>model"
                "<span style=\"background:#e69500\"></span>human (each bar: share "
                "of its own n)</p><div class=hists>");
    for (size_t i = 0; i < x->r->nfields; i++) {
        if (!rubric_is_scored(&x->r->fields[i])) continue;
        svg_hist(b, &x->r->fields[i], x->r->fields[i].name, d[i].hist_model,
                 d[i].hist_human);
    }
    sbuf_add(b, "</div>");
    /* The alarms, explained. */
    sbuf_addf(b, "<h2 id=alarms>Compression alarms</h2><p>The compression share"
                 " is the largest share of the model's scores inside any band of"
                 " %.0f point; at %.0f%% or more the model is hedging (scores"
                 " bunched where the human labels are spread). Judged from %d"
                 " scores on.</p><ul>", DIST_BAND, DIST_ALARM_SHARE * 100,
              DIST_ALARM_MIN_N);
    int any = 0;
    for (size_t i = 0; i < x->r->nfields; i++) {
        if (!rubric_is_scored(&x->r->fields[i]) || d[i].comp_share < 0 ||
            !dist_alarm(d[i].comp_share))
            continue;
        any = 1;
        sbuf_add(b, "<li class=alarm>");
        field_label(&x->r->fields[i], b);
        sbuf_addf(b, ": %.0f%% of %lld model scores in %.1f&ndash;%.1f (sd %.2f;"
                     " human sd %.2f)</li>", d[i].comp_share * 100,
                  (long long)d[i].model.n, d[i].comp_lo, d[i].comp_lo + DIST_BAND,
                  d[i].model.sd, d[i].human.sd);
    }
    if (!any) sbuf_add(b, "<li>none</li>");
    sbuf_add(b, "</ul>");
    return 0;
}

static int section_before_after(report *x, const char *run_name,
                                const char *base_name)
{
    sbuf *b = x->b;
    sbuf_add(b, "<h2 id=before-after>Before against after</h2>");
    if (x->base < 0) {
        sbuf_add(b, "<p class=dim>No baseline: <code>curate report --baseline"
                    " RUN</code> compares two runs.</p>");
        return 0;
    }
    sbuf_add(b, "<p>Before: ");
    esc(b, base_name);
    sbuf_add(b, "<br>After: ");
    esc(b, run_name);
    sbuf_add(b, "</p><table><tr><th>field</th><th>run</th><th>n</th><th>mean</th>"
                "<th>sd</th><th>compression</th><th>MAE</th><th>Spearman</th></tr>");
    pool_dist_field d[2][RUBRIC_MAX_FIELDS];
    for (size_t i = 0; i < x->r->nfields; i++) {
        if (!rubric_is_scored(&x->r->fields[i])) continue;
        for (int k = 0; k < 2; k++) {
            if (pool_dist_field_get(x->p, x->r, (int)i, k ? x->run : x->base,
                                    x->seller, 1, &d[k][i], x->err) < 0)
                return -1;
            pool_dist_field *f = &d[k][i];
            sbuf_add(b, "<tr><td>");
            if (k == 0) field_label(&x->r->fields[i], b);
            sbuf_addf(b, "</td><td>%s</td><td>%lld</td>", k ? "after" : "before",
                      (long long)f->model.n);
            num(b, &f->model, f->model.mean);
            num(b, &f->model, f->model.sd);
            share_cell(b, f->comp_share, f->comp_lo);
            num(b, &f->abs_err, f->abs_err.mean);
            if (f->has_spearman) sbuf_addf(b, "<td>%.2f</td>", f->spearman);
            else sbuf_add(b, "<td>-</td>");
            sbuf_add(b, "</tr>");
        }
    }
    sbuf_add(b, "</table><div class=hists>");
    for (size_t i = 0; i < x->r->nfields; i++) {
        if (!rubric_is_scored(&x->r->fields[i])) continue;
        sbuf_add(b, "<div class=pair>");   /* a field's two side by side */
        for (int k = 0; k < 2; k++) {
            char t[160];
            snprintf(t, sizeof t, "%s, %s", x->r->fields[i].name,
                     k ? "after" : "before");
            svg_hist(b, &x->r->fields[i], t, d[k][i].hist_model, d[k][i].hist_human);
        }
        sbuf_add(b, "</div>");
    }
    sbuf_add(b, "</div>");
    return 0;
}

static int section_sellers(report *x)
{
    sbuf *b = x->b;
    int oi = rubric_overall_index(x->r);
    if (oi < 0)
        for (size_t i = 0; i < x->r->nfields; i++)
            if (rubric_is_scored(&x->r->fields[i])) oi = (int)i;
    pool_dist_seller *s;
    int n = pool_dist_sellers_new(x->p, x->r, oi, x->run, x->seller, &s, x->err);
    if (n < 0) return -1;
    sbuf_add(b, "<h2 id=sellers>Sellers</h2><p>Figures of ");
    field_label(&x->r->fields[oi], b);
    sbuf_add(b, ", ordered by MAE (largest first).</p><table><tr><th>seller</th>"
                "<th>conversations</th><th>model n</th><th>model mean</th>"
                "<th>model sd</th><th>human n</th><th>human mean</th><th>MAE</th>"
                "<th>compression</th></tr>");
    pool_dist_sellers_sort(s, n, SELLER_BY_MAE, 1);
    for (int i = 0; i < n; i++) {
        sbuf_add(b, "<tr><td>");
        esc(b, s[i].seller);
        sbuf_addf(b, "</td><td>%lld</td><td>%lld</td>", (long long)s[i].conversations,
                  (long long)s[i].model.n);
        num(b, &s[i].model, s[i].model.mean);
        num(b, &s[i].model, s[i].model.sd);
        sbuf_addf(b, "<td>%lld</td>", (long long)s[i].human.n);
        num(b, &s[i].human, s[i].human.mean);
        num(b, &s[i].abs_err, s[i].abs_err.mean);
        share_cell(b, s[i].comp_share, s[i].comp_lo);
        sbuf_add(b, "</tr>");
    }
    if (n == 0) sbuf_add(b, "<tr><td colspan=9>no sellers</td></tr>");
    sbuf_add(b, "</table>");
    pool_dist_sellers_free(s, n);
    return 0;
}

static int section_trend(report *x)
{
    sbuf *b = x->b;
    pool_dist_bucket *t;
    int64_t step;
    /* Of each conversation's latest scores, whatever --run says: a trend
     * follows the pool over time (and a run's would scan the run). */
    int n = pool_dist_trend_new(x->p, x->r, 0, x->seller, &t, &step, x->err);
    if (n < 0) return -1;
    sbuf_addf(b, "<h2 id=trend>Trend</h2><p>Mean (sd) of the latest model"
                 " scores and the human labels per %s of the conversations'"
                 " first message.</p>", step == 86400 ? "day" : "week (from Monday)");
    if (n == 0) {
        sbuf_add(b, "<p class=dim>No scored conversations.</p>");
        free(t);
        return 0;
    }
    /* The shape at a glance: one sparkline of the means per field and
     * side; then the numbers, a row per bucket. */
    sbuf_add(b, "<table><tr><th>field</th><th>model mean</th><th>human mean</th></tr>");
    double *v = xcalloc((size_t)n, sizeof *v);
    for (size_t i = 0; i < x->r->nfields; i++) {
        const rubric_field *f = &x->r->fields[i];
        if (!rubric_is_scored(f)) continue;
        sbuf_add(b, "<tr><td>");
        field_label(f, b);
        sbuf_add(b, "</td>");
        for (int side = 0; side < 2; side++) {
            for (int k = 0; k < n; k++) {
                const dist_agg *a = side ? &t[k].human[i] : &t[k].model[i];
                v[k] = a->n ? a->mean : NAN;
            }
            sbuf_add(b, "<td>");
            svg_spark(b, v, n, f->lo, f->hi, side ? "#e69500" : "#3366cc");
            sbuf_add(b, "</td>");
        }
        sbuf_add(b, "</tr>");
    }
    sbuf_add(b, "</table><table><tr><th rowspan=2>from</th>");
    for (size_t i = 0; i < x->r->nfields; i++)
        if (rubric_is_scored(&x->r->fields[i])) {
            sbuf_add(b, "<th colspan=2>");
            field_label(&x->r->fields[i], b);
            sbuf_add(b, "</th>");
        }
    sbuf_add(b, "</tr><tr>");
    for (size_t i = 0; i < x->r->nfields; i++)
        if (rubric_is_scored(&x->r->fields[i]))
            sbuf_add(b, "<th>model</th><th>human</th>");
    sbuf_add(b, "</tr>");
    for (int k = 0; k < n; k++) {
        char d[32];
        date_iso8601(t[k].start, d, sizeof d);
        d[10] = 0;
        sbuf_addf(b, "<tr><td>%s</td>", d);
        for (size_t i = 0; i < x->r->nfields; i++) {
            if (!rubric_is_scored(&x->r->fields[i])) continue;
            for (int side = 0; side < 2; side++) {
                const dist_agg *a = side ? &t[k].human[i] : &t[k].model[i];
                if (a->n) sbuf_addf(b, "<td>%.2f (%.2f)</td>", a->mean, a->sd);
                else sbuf_add(b, "<td>-</td>");
            }
        }
        sbuf_add(b, "</tr>");
    }
    free(v);
    free(t);
    sbuf_add(b, "</table>");
    return 0;
}

/* Reviewer agreement: the team module's figures (tui/app/team.h, the
 * same as `curate agreement`): Krippendorff's alpha per field and each
 * pair of reviewers' mean |difference|. */
static int section_agreement(report *x)
{
    sbuf *b = x->b;
    sbuf_add(b, "<h2 id=agreement>Reviewer agreement</h2>");
    team_agreement_opts o = {.field = -1, .tolerance = CONSENSUS_DEFAULT_TOLERANCE};
    team_agreement *a = team_agreement_new(x->p, x->r, &o, x->err);
    if (!a) return -1;
    if (a->nrev < 2) {
        sbuf_addf(b, "<p class=dim>%zu reviewer%s: nothing to compare.</p>",
                  a->nrev, a->nrev == 1 ? "" : "s");
        team_agreement_free(a);
        return 0;
    }
    sbuf_addf(b, "<p>%zu reviewers, %zu conversations labelled, %zu in conflict."
                 " Per field: Krippendorff's alpha (interval) and, for each pair"
                 " of reviewers, the mean |difference| of their labels of the same"
                 " conversations (n in brackets).</p><table><tr><th></th>",
              a->nrev, a->units, a->conflicts);
    for (size_t f = 0; f < a->nfields; f++) {
        sbuf_add(b, "<th>");
        field_label(&x->r->fields[a->fields[f].field], b);
        sbuf_add(b, "</th>");
    }
    sbuf_add(b, "</tr><tr><td>alpha</td>");
    for (size_t f = 0; f < a->nfields; f++) {
        double al = a->fields[f].alpha.alpha;
        if (isnan(al)) sbuf_add(b, "<td>-</td>");
        else sbuf_addf(b, "<td>%.2f</td>", al);
    }
    sbuf_add(b, "</tr>");
    size_t k = 0;
    for (size_t i = 0; i < a->nrev; i++)
        for (size_t j = i + 1; j < a->nrev; j++, k++) {
            sbuf_add(b, "<tr><td>");
            esc(b, a->reviewers[i]);
            sbuf_add(b, " &amp; ");
            esc(b, a->reviewers[j]);
            sbuf_add(b, "</td>");
            for (size_t f = 0; f < a->nfields; f++) {
                const agreement_pair *pr = &a->fields[f].pairs[k];
                if (pr->n == 0 || isnan(pr->mae)) sbuf_add(b, "<td>-</td>");
                else sbuf_addf(b, "<td>%.2f (%zu)</td>", pr->mae, pr->n);
            }
            sbuf_add(b, "</tr>");
        }
    sbuf_add(b, "</table>");
    team_agreement_free(a);
    return 0;
}

/* One validation report (metric_report_json) as table cells. */
static void val_row(sbuf *b, const char *what, const cJSON *rep, const char *field)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(rep, "fields"), field);
    sbuf_addf(b, "<td>%s</td>", what);
    static const char *keys[] = {"mae", "sd", "spearman"};
    for (int k = 0; k < 3; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, keys[k]);
        if (cJSON_IsNumber(v)) sbuf_addf(b, "<td>%.2f</td>", v->valuedouble);
        else sbuf_add(b, "<td>-</td>");
    }
}

static int section_program(report *x)
{
    sbuf *b = x->b;
    sbuf_add(b, "<h2 id=program>Current best program</h2>");
    pool_program pg;
    int got = pool_get_program(x->p, 0, &pg, x->err);
    if (got < 0) return -1;
    if (got == 0) {
        sbuf_add(b, "<p class=dim>No program yet (zero-shot).</p>");
        return 0;
    }
    char when[32];
    date_iso8601(pg.created_at, when, sizeof when);
    sbuf_addf(b, "<p>Program %lld, %d demos, metric ", (long long)pg.id, pg.n_demos);
    esc(b, pg.metric ? pg.metric : "?");
    sbuf_addf(b, ", validation score %.4f, model ", pg.val_score);
    esc(b, pg.model ? pg.model : "?");
    sbuf_addf(b, ", stored %s.</p>", when);
    char *js = pool_dist_program_summary_new(x->p, pg.id, x->err);
    cJSON *o = js ? cJSON_Parse(js) : NULL;
    free(js);
    if (o) {
        const cJSON *cand = cJSON_GetObjectItemCaseSensitive(o, "candidate");
        const cJSON *base = cJSON_GetObjectItemCaseSensitive(o, "baseline");
        const cJSON *imp = cJSON_GetObjectItemCaseSensitive(o, "improved");
        const cJSON *bm = cJSON_GetObjectItemCaseSensitive(base, "mean");
        const cJSON *cm = cJSON_GetObjectItemCaseSensitive(cand, "mean");
        sbuf_add(b, "<p>Its optimisation: validation metric ");
        if (cJSON_IsNumber(bm)) sbuf_addf(b, "%.4f", bm->valuedouble);
        else sbuf_add(b, "-");
        sbuf_add(b, " before, ");
        if (cJSON_IsNumber(cm)) sbuf_addf(b, "%.4f", cm->valuedouble);
        else sbuf_add(b, "-");
        sbuf_addf(b, " after: %s.</p>", cJSON_IsTrue(imp) ?
                  "kept as the new best" : "not better, the best was kept");
        sbuf_add(b, "<table><tr><th>field</th><th></th><th>MAE</th><th>sd</th>"
                    "<th>Spearman</th></tr>");
        for (size_t i = 0; i < x->r->nfields; i++) {
            if (!rubric_is_scored(&x->r->fields[i])) continue;
            sbuf_add(b, "<tr><td>");
            field_label(&x->r->fields[i], b);
            sbuf_add(b, "</td>");
            val_row(b, "before", base, x->r->fields[i].name);
            sbuf_add(b, "</tr><tr><td></td>");
            val_row(b, "after", cand, x->r->fields[i].name);
            sbuf_add(b, "</tr>");
        }
        sbuf_add(b, "</table>");
        cJSON_Delete(o);
    } else if (x->err[0]) {
        pool_program_clear(&pg);
        return -1;
    }
    pool_program_clear(&pg);
    return 0;
}

/* "run 7: llm qwen, 640 predictions, 2024-05-01 10:00, done" or the
 * latest predictions. */
static int run_name(pool *p, int64_t id, char *out, size_t n, char *err)
{
    if (id == 0) {
        snprintf(out, n, "latest predictions");
        return 0;
    }
    int max = 4096;
    pool_run *runs = xcalloc((size_t)max, sizeof *runs);
    int k = pool_list_runs(p, NULL, runs, max, err);
    int found = -1;
    for (int i = 0; i < k && found < 0; i++)
        if (runs[i].id == id) found = i;
    if (k >= 0 && found < 0) err_set(err, "--run/--baseline: no run %lld", (long long)id);
    if (found >= 0) {
        char when[32];
        date_iso8601(runs[found].started_at, when, sizeof when);
        when[16] = 0;
        snprintf(out, n, "run %lld: %s %s, %lld %s, %s, %s",
                 (long long)id, runs[found].backend, runs[found].model,
                 (long long)runs[found].npred,
                 ui_plural(runs[found].npred, "prediction", "predictions"), when,
                 runs[found].status);
    }
    free(runs);
    return found >= 0 ? 0 : -1;
}

int cmd_report(const cli_globals *g, int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(cmd_report_usage, stdout);
        return EXIT_OK;
    }
    static const struct option lo[] = {
        {"output", required_argument, NULL, 'o'},
        {"run", required_argument, NULL, 'r'},
        {"baseline", required_argument, NULL, 'b'},
        {"seller", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *out = "report.html", *seller = NULL;
    int64_t run = 0, base = -1;
    int c;
    while ((c = cli_getopt("report", argc, argv, "o:", lo)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'r':
            if (cli_int_opt("report", "--run", optarg, 0, INT64_MAX, &run) < 0)
                return EXIT_USAGE;
            break;
        case 'b':
            if (cli_int_opt("report", "--baseline", optarg, 0, INT64_MAX, &base) < 0)
                return EXIT_USAGE;
            break;
        case 's': seller = optarg; break;
        default: fputs(cmd_report_usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("report: unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    pool *p = cli_open_pool_readonly(g);
    if (!p) return EXIT_ERR;
    report x = {.p = p, .r = g->r, .run = run, .base = base, .seller = seller};
    char rn[512], bn[512] = "";
    if (run_name(p, run, rn, sizeof rn, x.err) < 0 ||
        (base >= 0 && run_name(p, base, bn, sizeof bn, x.err) < 0)) {
        cli_error("report: %s", x.err);
        pool_close(p);
        return EXIT_USAGE;
    }
    sbuf b = {0};
    x.b = &b;
    pool_stats st;
    int rc = pool_get_stats(p, g->r, run, seller, &st, x.err);
    time_t now = time(NULL);
    char when[32];
    date_iso8601((int64_t)now, when, sizeof when);
    sbuf_add(&b, "<!DOCTYPE html><html lang=en><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width\">"
                 "<title>curate report</title><style>");
    sbuf_add(&b, style);
    sbuf_add(&b, "</style></head><body><h1>curate report</h1><p>Pool ");
    esc(&b, g->db_path);
    sbuf_addf(&b, ", written %s. Run: ", when);
    esc(&b, rn);
    if (seller) {
        sbuf_add(&b, ". Seller: ");
        esc(&b, seller);
    }
    sbuf_add(&b, ".</p>");
    if (rc == 0)
        sbuf_addf(&b, "<p>%lld conversations, %lld scored, %lld reviewed, %lld"
                      " skipped, %lld edge cases, %lld programs, %lld runs.</p>",
                  (long long)st.conversations, (long long)st.scored,
                  (long long)st.reviewed, (long long)st.skipped, (long long)st.edge,
                  (long long)st.programs, (long long)st.runs);
    if (rc == 0) rc = section_distribution(&x);
    if (rc == 0) rc = section_before_after(&x, rn, bn);
    if (rc == 0) rc = section_sellers(&x);
    if (rc == 0) rc = section_trend(&x);
    if (rc == 0) rc = section_agreement(&x);
    if (rc == 0) rc = section_program(&x);
    sbuf_add(&b, "</body></html>\n");
    if (rc == 0) rc = file_write_atomic(out, b.s, strlen(b.s), x.err);
    sbuf_free(&b);
    pool_close(p);
    if (rc < 0) {
        cli_error("report: %s", x.err);
        return EXIT_ERR;
    }
    if (!g->quiet) cli_printf(stdout, "report written: %s\n", out);
    return EXIT_OK;
}

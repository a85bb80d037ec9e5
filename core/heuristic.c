/* heuristic.c: see heuristic.h. */
#include "heuristic.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F_RESP "responsiveness_score"
#define F_NEG "customer_negative_score"
#define F_TREND "conversational_trend_score"

/* ---------------------------------------------------------------- lexicon */

typedef struct {
    const char *w;
    double weight;     /* > 0 positive sentiment, < 0 negative */
} lex_entry;

/* Single words (lower case; accented and plain spellings both listed). */
static const lex_entry lexicon[] = {
    /* English, negative */
    {"terrible", -2}, {"awful", -2}, {"horrible", -2}, {"worst", -2},
    {"refund", -1.5}, {"cancel", -1.5}, {"cancelled", -1.5},
    {"canceled", -1.5}, {"cancellation", -1.5}, {"angry", -2},
    {"waiting", -1}, {"ridiculous", -2}, {"disappointed", -2},
    {"disappointing", -2}, {"complaint", -2}, {"complain", -1.5},
    {"unacceptable", -2.5}, {"useless", -2}, {"scam", -3},
    {"frustrated", -2}, {"frustrating", -2}, {"annoyed", -1.5},
    {"upset", -1.5}, {"rude", -2}, {"problem", -1}, {"issue", -0.5},
    {"delayed", -1}, {"delay", -1}, {"late", -0.5}, {"wrong", -1},
    {"bad", -1}, {"poor", -1}, {"lost", -1}, {"ignored", -1.5},
    {"ignoring", -1.5}, {"furious", -2.5},
    {"never", -0.5}, {"lawyer", -2}, {"chargeback", -2.5},
    /* English, positive */
    {"thanks", 1}, {"thank", 1}, {"great", 1}, {"perfect", 1.5},
    {"amazing", 1.5}, {"love", 1.5}, {"excellent", 1.5}, {"awesome", 1.5},
    {"wonderful", 1.5}, {"helpful", 1}, {"appreciate", 1},
    {"happy", 1}, {"good", 0.5}, {"nice", 0.5}, {"fantastic", 1.5},
    {"brilliant", 1.5}, {"glad", 1},
    /* Portuguese */
    {"p\xc3\xa9ssimo", -2}, {"pessimo", -2}, {"horr\xc3\xadvel", -2},
    {"horrivel", -2}, {"reembolso", -1.5}, {"cancelar", -1.5},
    {"absurdo", -2}, {"decepcionado", -2}, {"decepcionada", -2},
    {"reclama\xc3\xa7\xc3\xa3o", -2}, {"reclamacao", -2}, {"demora", -1},
    {"esperando", -1}, {"raiva", -2}, {"ruim", -1}, {"problema", -1},
    {"obrigado", 1}, {"obrigada", 1}, {"\xc3\xb3timo", 1}, {"otimo", 1},
    {"perfeito", 1.5}, {"adorei", 1.5}, {"excelente", 1.5},
    {"maravilhoso", 1.5},
    /* Spanish */
    {"p\xc3\xa9simo", -2}, {"pesimo", -2}, {"enojado", -2},
    {"enojada", -2}, {"rid\xc3\xad" "culo", -2}, {"ridiculo", -2},
    {"queja", -2}, {"inaceptable", -2.5}, {"malo", -1}, {"gracias", 1},
    {"genial", 1}, {"perfecto", 1.5}, {"encanta", 1.5},
    {"maravilloso", 1.5},
};

/* Two-word phrases, checked before single words. */
static const struct {
    const char *a, *b;
    double weight;
} phrases[] = {
    {"still", "no", -1.5}, {"still", "waiting", -2}, {"no", "response", -1.5},
    {"no", "answer", -1.5}, {"no", "reply", -1.5}, {"not", "happy", -1.5},
    {"not", "good", -1}, {"never", "again", -2},
    {"ainda", "n\xc3\xa3o", -1.5}, {"ainda", "nao", -1.5},
    {"todav\xc3\xad" "a", "no", -1.5}, {"todavia", "no", -1.5},
    {"no", "problem", 0.5}, {"sem", "problema", 0.5},
    {"sin", "problema", 0.5}, {"no", "worries", 0.5},
};

static const char *const negators[] = {
    "not", "no", "never", "don't", "dont", "n\xc3\xa3o", "nao", "nunca",
};

static int is_word_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80 || c == '\'';
}

/* Splits text into lower-case words: calls fn(word, ctx) for each. */
static void each_word(const char *text, void (*fn)(const char *, void *),
                      void *ctx)
{
    char w[64];
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        while (*p && !is_word_byte(*p)) p++;
        size_t n = 0;
        while (*p && is_word_byte(*p)) {
            if (n + 1 < sizeof w) w[n++] = (char)tolower(*p);
            p++;
        }
        if (!n) continue;
        w[n] = '\0';
        fn(w, ctx);
    }
}

static double word_weight(const char *w)
{
    for (size_t i = 0; i < sizeof lexicon / sizeof *lexicon; i++)
        if (strcmp(w, lexicon[i].w) == 0) return lexicon[i].weight;
    return 0;
}

static int is_negator(const char *w)
{
    for (size_t i = 0; i < sizeof negators / sizeof *negators; i++)
        if (strcmp(w, negators[i]) == 0) return 1;
    return 0;
}

/* Sentiment of one message. */
typedef struct {
    char prev[64];
    double pos, neg;
    int npos, nneg;
} sent_state;

static void add_weight(sent_state *s, double w)
{
    if (w > 0) { s->pos += w; s->npos++; }
    else if (w < 0) { s->neg -= w; s->nneg++; }
}

static void sent_word(const char *w, void *ctx)
{
    sent_state *s = ctx;
    int phrase = 0;
    if (s->prev[0])
        for (size_t i = 0; i < sizeof phrases / sizeof *phrases; i++)
            if (strcmp(s->prev, phrases[i].a) == 0 &&
                strcmp(w, phrases[i].b) == 0) {
                add_weight(s, phrases[i].weight);
                phrase = 1;
                break;
            }
    if (!phrase) {
        double wt = word_weight(w);
        /* "not great" counts against; "no refund" stays negative. */
        if (wt > 0 && s->prev[0] && is_negator(s->prev)) wt = -wt;
        add_weight(s, wt);
    }
    snprintf(s->prev, sizeof s->prev, "%s", w);
}

/* Sentiment of one message: adds its hits to d, returns pos - neg. */
static double message_sentiment(const char *text, heuristic_detail *d)
{
    sent_state s = {{0}, 0, 0, 0, 0};
    each_word(text ? text : "", sent_word, &s);
    /* Repeated "??" / "!!!" read as impatience. */
    if (text && (strstr(text, "??") || strstr(text, "!!!"))) s.neg += 0.5;
    d->pos_weight += s.pos;
    d->neg_weight += s.neg;
    d->pos_hits += s.npos;
    d->neg_hits += s.nneg;
    return s.pos - s.neg;
}

/* ---------------------------------------------------------------- latency */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Gaps between the first customer message of a run and the next seller
 * message. */
static void reply_gaps(const convo *c, heuristic_detail *d)
{
    double *gaps = xcalloc(c->nmsgs + 1, sizeof *gaps);
    int waiting = 0, n = 0;
    int64_t since = 0;
    for (size_t i = 0; i < c->nmsgs; i++) {
        const convo_msg *m = &c->msgs[i];
        if (m->role == ROLE_CUSTOMER) {
            d->customer_msgs++;
            if (!waiting) { waiting = 1; since = m->ts; }
        } else if (m->role == ROLE_SELLER) {
            d->seller_msgs++;
            if (waiting) {
                double g = (double)(m->ts - since);
                gaps[n++] = g < 0 ? 0 : g;
                waiting = 0;
            }
        }
    }
    d->replies = n;
    d->unanswered_at_end = waiting;
    d->median_gap_s = d->max_gap_s = -1;
    if (n) {
        qsort(gaps, (size_t)n, sizeof *gaps, cmp_double);
        d->median_gap_s = n % 2 ? gaps[n / 2]
                                : (gaps[n / 2 - 1] + gaps[n / 2]) / 2;
        d->max_gap_s = gaps[n - 1];
    }
    free(gaps);
}

/* 0-10 for one reply gap: log-linear between anchor points. */
static double gap_score(double s)
{
    static const double t[] = {60, 300, 900, 1800, 3600, 7200, 14400,
                               28800, 86400, 172800};
    static const double v[] = {10, 9, 8, 7, 6, 5, 4, 3, 1.5, 0.5};
    const int n = (int)(sizeof t / sizeof *t);
    if (s <= t[0]) return v[0];
    if (s >= t[n - 1]) return v[n - 1];
    for (int i = 1; i < n; i++)
        if (s <= t[i]) {
            double f = (log(s) - log(t[i - 1])) / (log(t[i]) - log(t[i - 1]));
            return v[i - 1] + f * (v[i] - v[i - 1]);
        }
    return v[n - 1];
}

static double responsiveness(const heuristic_detail *d)
{
    if (!d->customer_msgs) return 6;          /* nothing to answer */
    if (!d->replies) return d->seller_msgs ? 2 : 0.5;
    double s = 0.7 * gap_score(d->median_gap_s) + 0.3 * gap_score(d->max_gap_s);
    if (d->unanswered_at_end) s -= 2;
    return s;
}

/* ---------------------------------------------------------------- sentiment */

static void sentiment(const convo *c, heuristic_detail *d)
{
    int n = d->customer_msgs, k = 0;
    double *val = xcalloc((size_t)n + 1, sizeof *val);
    for (size_t i = 0; i < c->nmsgs; i++) {
        if (c->msgs[i].role != ROLE_CUSTOMER) continue;
        val[k++] = message_sentiment(c->msgs[i].text, d);
    }
    int third = n / 3 > 0 ? n / 3 : 1;
    double a = 0, b = 0;
    if (n >= 2) {
        for (int i = 0; i < third; i++) {
            a += val[i];
            b += val[n - 1 - i];
        }
        a /= third;
        b /= third;
    }
    d->start_sentiment = a;
    d->end_sentiment = b;
    free(val);
}

static double negativity(const heuristic_detail *d)
{
    double eff = d->neg_weight - 0.5 * d->pos_weight;
    if (eff < 0) eff = 0;
    return 10.0 * (1.0 - exp(-eff / 4.0));
}

static double trend(const heuristic_detail *d)
{
    if (d->customer_msgs < 2) return 5;
    return 5.0 + 5.0 * tanh((d->end_sentiment - d->start_sentiment) / 3.0);
}

/* ---------------------------------------------------------------- rationale */

static void fmt_duration(char *out, size_t n, double s)
{
    if (s < 60) snprintf(out, n, "%.0fs", s);
    else if (s < 3600) snprintf(out, n, "%.0fm", s / 60);
    else if (s < 172800) snprintf(out, n, "%.1fh", s / 3600);
    else snprintf(out, n, "%.1fd", s / 86400);
}

static char *rationale_new(const heuristic_detail *d)
{
    sbuf b = {0};
    char med[32], mx[32];
    if (d->replies) {
        fmt_duration(med, sizeof med, d->median_gap_s);
        fmt_duration(mx, sizeof mx, d->max_gap_s);
        sbuf_addf(&b, "median seller reply %s (max %s)", med, mx);
    } else if (d->customer_msgs) {
        sbuf_add(&b, "seller never replied to the customer");
    } else {
        sbuf_add(&b, "no customer messages");
    }
    if (d->unanswered_at_end) sbuf_add(&b, "; customer left unanswered at the end");
    sbuf_addf(&b, "; %d negative / %d positive customer words", d->neg_hits,
              d->pos_hits);
    double delta = d->end_sentiment - d->start_sentiment;
    if (d->customer_msgs < 2 || fabs(delta) < 0.5)
        sbuf_add(&b, "; sentiment flat");
    else
        sbuf_add(&b, delta > 0 ? "; sentiment improved"
                               : "; sentiment worsened");
    sbuf_add(&b, " [" HEURISTIC_MODEL " baseline]");
    return sbuf_take(&b);
}

/* ---------------------------------------------------------------- api */

int heuristic_check_rubric(const rubric *r, char *err)
{
    int have = 0, extra = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        const rubric_field *f = &r->fields[i];
        if (f->kind != FIELD_SCORE) continue;
        if (strcmp(f->name, F_RESP) == 0 || strcmp(f->name, F_NEG) == 0 ||
            strcmp(f->name, F_TREND) == 0)
            have++;
        else
            extra++;
    }
    if (have != 3 || extra) {
        err_set(err, "heuristic scorer only knows the built-in rubric "
                "(score fields " F_RESP ", " F_NEG ", " F_TREND ")");
        return -1;
    }
    return 0;
}

static void put(const rubric *r, scoreset *s, const char *name, double v)
{
    int i = rubric_field_index(r, name);
    if (i >= 0)
        s->set[i] = (unsigned char)rubric_validate_value(&r->fields[i], v,
                                                         &s->v[i]);
}

int heuristic_score(const rubric *r, const convo *c, scoreset *out,
                    char **rationale, heuristic_detail *detail, char *err)
{
    if (heuristic_check_rubric(r, err) < 0) return -1;
    heuristic_detail d;
    memset(&d, 0, sizeof d);
    reply_gaps(c, &d);
    sentiment(c, &d);
    memset(out, 0, sizeof *out);
    put(r, out, F_RESP, responsiveness(&d));
    put(r, out, F_NEG, negativity(&d));
    put(r, out, F_TREND, trend(&d));
    int oi = rubric_overall_index(r);
    double overall;
    if (oi >= 0 && rubric_overall_from(r, out, &overall) == 0) {
        out->v[oi] = overall;
        out->set[oi] = 1;
    }
    if (rationale) *rationale = rationale_new(&d);
    if (detail) *detail = d;
    return 0;
}

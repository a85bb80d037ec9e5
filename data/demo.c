/* demo.c: see demo.h. */
#define _POSIX_C_SOURCE 200809L
#include "demo.h"
#include "../core/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *sellers[][2] = {
    {"S-LIS-01", "Ana (Lisbon Trips)"},     {"S-POR-02", "Rui (Porto Wine Tours)"},
    {"S-MAD-03", "Marta (Madeira Walks)"},  {"S-SEV-04", "Javier (Andalucía Go)"},
    {"S-ROM-05", "Giulia (Roma Viaggi)"},   {"S-MAR-06", "Youssef (Atlas Desert)"},
    {"S-AZO-07", "Inês (Azores Whales)"},   {"S-BCN-08", "Pau (Barcelona Bikes)"},
};
static const char *customers[] = {
    "John Smith", "Priya Patel", "Lukas Müller", "Sophie Martin", "Chen Wei",
    "Olivia Brown", "Mateo García", "Aisha Khan", "Emma Wilson", "Tom O'Brien",
    "Hana Sato", "Carlos Silva", "Fatima Zahra", "Noah Johnson", "Zoë Dubois",
};
static const char *trips[] = {
    "the 3-day Sintra & Cascais package", "a private wine tour for two",
    "the levada hiking week", "the flamenco night with dinner",
    "the Vatican early-access tour", "two nights in the desert camp",
    "a whale-watching boat trip", "the Gaudí bike tour",
};
static const char *opens[] = {
    "Hi! Is %s still available for 14-16 June? We are 2 adults.",
    "Hello, I'd like to book %s. What's the price for 3 people?",
    "Good morning 🙂 Can you tell me more about %s? Is hotel pickup included?",
    "Hi, we booked %s last week but haven't received any confirmation yet.",
};
static const char *fast_replies[] = {
    "Hi! Yes, we have availability. I'll send the details right away.",
    "Thanks for reaching out! The price is €%d per person, pickup included.",
    "Great question — pickup is included from any hotel in the centre.",
    "I've just sent the confirmation to your email. Anything else I can help with?",
};
static const char *slow_replies[] = {
    "Sorry for the delay. Let me check.",
    "Hello, we are very busy this week. I will answer soon.",
    "Sorry, which date was it again?",
};
static const char *happy[] = {
    "Perfect, thank you so much!", "Great, that works for us 👍",
    "Amazing, we're really looking forward to it!", "Thanks, very helpful.",
};
static const char *neutral[] = {
    "Ok. And what about the cancellation policy?", "Can we pay by card?",
    "How long does it take?", "Is lunch included?",
};
static const char *angry[] = {
    "Hello?? Still waiting for an answer.",
    "This is ridiculous, I've asked three times now.",
    "Very disappointed. I want a refund if this isn't sorted today.",
    "Terrible service, we will book somewhere else.",
};
static const char *closers_good[] = {
    "All confirmed — see you on the 14th! Have a great trip ☀️",
    "You're welcome! Booking reference CUR-%04d, enjoy!",
};
static const char *closers_bad[] = {
    "We apologise for the inconvenience.", "Ok.",
};

#define PICK(r, arr) arr[rng_below(r, sizeof arr / sizeof arr[0])]

static double clamp10(double v) { return v < 0 ? 0 : v > 10 ? 10 : v; }

convo *demo_convo_new(uint64_t seed, const char *id, double truth[3])
{
    rng r;
    rng_seed(&r, seed);
    size_t si = rng_below(&r, 8);
    const char *cust = PICK(&r, customers);
    convo *c = convo_new(id, sellers[si][0]);
    /* Latent seller quality: how fast and how well they answer. */
    double speed = rng_unit(&r);
    double care = 0.3 + 0.7 * rng_unit(&r);
    int64_t t = 1717200000 + (int64_t)rng_below(&r, 90 * 86400);
    char line[512];
    snprintf(line, sizeof line, PICK(&r, opens), trips[si]);
    convo_add_msg(c, t, cust, ROLE_CUSTOMER, line);
    int turns = 2 + (int)rng_below(&r, 6), angry_msgs = 0;
    double sent_start = 0, sent_end = 0, total_gap = 0;
    for (int i = 0; i < turns; i++) {
        /* Reply gap: fast sellers answer in minutes, slow ones in hours. */
        double gap_min = speed > 0.6 ? 1 + rng_unit(&r) * 15
                       : speed > 0.3 ? 20 + rng_unit(&r) * 120
                                     : 180 + rng_unit(&r) * 900;
        int impatient = gap_min > 90 && rng_unit(&r) < 0.8;
        if (impatient) {
            t += (int64_t)(gap_min * 30);
            convo_add_msg(c, t, cust, ROLE_CUSTOMER, PICK(&r, angry));
            angry_msgs++;
            if (i == 0) sent_start -= 1;
            sent_end = -1;
        }
        t += (int64_t)(gap_min * (impatient ? 30 : 60));
        total_gap += gap_min;
        if (care > 0.55 && speed > 0.3) {
            /* Only the price line has a conversion (%d). */
            const char *fmt = PICK(&r, fast_replies);
            if (strstr(fmt, "%d"))
                snprintf(line, sizeof line, fast_replies[1],
                         60 + (int)rng_below(&r, 200));
            else
                snprintf(line, sizeof line, "%s", fmt);
        } else {
            snprintf(line, sizeof line, "%s", PICK(&r, slow_replies));
        }
        convo_add_msg(c, t, sellers[si][1], ROLE_SELLER, line);
        if (i + 1 < turns) {
            t += 60 + (int64_t)rng_below(&r, 600);
            double mood = care + speed - 0.9 + (rng_unit(&r) - 0.5) * 0.4;
            const char *msg = mood > 0.3 ? PICK(&r, happy)
                            : mood > -0.2 ? PICK(&r, neutral) : PICK(&r, angry);
            if (mood <= -0.2) angry_msgs++;
            sent_end = mood > 0.3 ? 1 : mood > -0.2 ? 0 : -1;
            convo_add_msg(c, t, cust, ROLE_CUSTOMER, msg);
        }
    }
    t += 60 + (int64_t)rng_below(&r, 3600);
    if (care > 0.6) {
        snprintf(line, sizeof line, PICK(&r, closers_good), (int)(seed % 10000));
        convo_add_msg(c, t, sellers[si][1], ROLE_SELLER, line);
        sent_end = sent_end < 0 ? 0 : 1;
    } else {
        convo_add_msg(c, t, sellers[si][1], ROLE_SELLER, PICK(&r, closers_bad));
    }
    if (truth) {
        double mean_gap = total_gap / turns;
        truth[0] = clamp10(round((10 - log1p(mean_gap) * 1.4 + care) * 2) / 2);
        truth[1] = clamp10(round(angry_msgs * 2.5 * 2) / 2);
        truth[2] = clamp10(5 + 2.5 * (sent_end - sent_start));
    }
    return c;
}

static int fill(pool *p, const rubric *r, const demo_opts *o, char *err)
{
    static const char *names[3] = {"responsiveness_score",
                                   "customer_negative_score",
                                   "conversational_trend_score"};
    int fi[3], ok_rubric = 1;
    for (int k = 0; k < 3; k++)
        if ((fi[k] = rubric_field_index(r, names[k])) < 0) ok_rubric = 0;
    int oi = rubric_overall_index(r);
    int64_t run = 0;
    if (ok_rubric &&
        pool_run_start(p, "demo", "simulated", "demo-simulated-7b", 0,
                       "{\"note\":\"simulated hedging model for the demo\"}",
                       &run, err) < 0)
        return -1;
    rng rr;
    rng_seed(&rr, o->seed ^ 0x5eed);
    for (int i = 0; i < o->conversations; i++) {
        char id[32];
        snprintf(id, sizeof id, "demo-%04d", i + 1);
        double truth[3];
        convo *c = demo_convo_new(o->seed * 1000003ULL + (uint64_t)i, id, truth);
        int changed;
        int rc = pool_put_convo(p, c, "demo", &changed, err);
        convo_free(c);
        if (rc < 0) return -1;
        if (!ok_rubric || rng_unit(&rr) >= o->scored) continue;
        /* A hedging small model: scores pulled towards 7.5-8.0. */
        prediction pr;
        memset(&pr, 0, sizeof pr);
        for (int k = 0; k < 3; k++) {
            double v = 7.6 + (truth[k] - 5) * 0.08 + (rng_unit(&rr) - 0.5) * 0.6;
            rubric_validate_value(&r->fields[fi[k]], round(v * 2) / 2, &pr.scores.v[fi[k]]);
            pr.scores.set[fi[k]] = 1;
        }
        if (oi >= 0) {
            rubric_overall_from(r, &pr.scores, &pr.scores.v[oi]);
            pr.scores.v[oi] = round((pr.scores.v[oi] + 0.4) * 10) / 10;
            pr.scores.set[oi] = 1;
        }
        pr.rationale = "Seller was generally responsive and the customer seemed satisfied.";
        pr.reasoning = "The seller replied to the customer's questions and the conversation ended politely.";
        pr.status = "ok";
        pr.model = "demo-simulated-7b";
        pr.run_id = run;
        if (pool_put_prediction(p, r, id, &pr, NULL, err) < 0) return -1;
        if (rng_unit(&rr) >= o->labeled) continue;
        scoreset h;
        memset(&h, 0, sizeof h);
        for (int k = 0; k < 3; k++) {
            h.v[fi[k]] = truth[k];
            h.set[fi[k]] = 1;
        }
        if (pool_add_label(p, r, id, "demo", LABEL_CORRECTED, &h, NULL, NULL, err) < 0)
            return -1;
        if (rng_unit(&rr) < 0.12 &&
            pool_set_edge(p, id, "demo", 1, truth[1] >= 5 && truth[0] >= 6
                          ? "fast seller, angry customer anyway"
                          : "borderline: slow but polite", err) < 0)
            return -1;
    }
    return ok_rubric ? pool_run_finish(p, run, "done", NULL, err) : 0;
}

int demo_fill(pool *p, const rubric *r, const demo_opts *o, char *err)
{
    if (pool_begin(p, err) < 0) return -1;
    if (fill(p, r, o, err) < 0) {
        pool_rollback(p);
        return -1;
    }
    return pool_commit(p, err);
}

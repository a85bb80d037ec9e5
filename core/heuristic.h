/* heuristic.h: "heuristic-v1", the offline baseline scorer for the built-in
 * travel-seller rubric. A baseline, not a model: deterministic, fast, no
 * network. It reads
 *   - responsiveness_score: seller reply latencies (the gap between a
 *     customer message and the next seller message: median and maximum),
 *     penalising customer messages left unanswered at the end;
 *   - customer_negative_score (higher = more negative): a small sentiment
 *     lexicon (English, some Portuguese and Spanish) over customer messages;
 *   - conversational_trend_score: customer sentiment in the last third of
 *     their messages versus the first third (5 = flat);
 *   - the overall from the rubric weights (rubric_overall_from).
 * Any rubric without exactly those score fields is refused. */
#ifndef CURATE_HEURISTIC_H
#define CURATE_HEURISTIC_H

#include "convo.h"
#include "rubric.h"

#define HEURISTIC_MODEL "heuristic-v1"

/* 0 when r has the three score fields above (and no others), else -1 +
 * "heuristic scorer only knows the built-in rubric". */
int heuristic_check_rubric(const rubric *r, char *err);

/* What the scores were computed from (for tests and the rationale). */
typedef struct {
    int customer_msgs, seller_msgs, replies;
    double median_gap_s, max_gap_s;    /* -1 when no reply was measured */
    int unanswered_at_end;             /* 1 if the customer spoke last */
    int neg_hits, pos_hits;            /* lexicon words/phrases found */
    double neg_weight, pos_weight;     /* their summed weights */
    double start_sentiment, end_sentiment;
} heuristic_detail;

/* Scores c: fills out (score fields and the overall) and *rationale (one
 * line, caller frees; rationale may be NULL). detail may be NULL. Returns
 * 0, or -1 + err for a rubric it does not know. */
int heuristic_score(const rubric *r, const convo *c, scoreset *out,
                    char **rationale, heuristic_detail *detail, char *err);

#endif

/* consensus.h: the one rule for what several reviewers' labels of one
 * conversation add up to (DESIGN.md, "The review model"). Curses-, SQL-
 * and file-free: data/ gathers each reviewer's latest label, this decides.
 *
 *   - the latest adjudication, when there is one, is the consensus
 *     (a lead settled it; later review labels do not reopen it);
 *   - else no label (skips do not count): CONSENSUS_NONE;
 *   - one reviewer's label: CONSENSUS_SINGLE, its scores;
 *   - several that agree within the tolerance on every scored field
 *     (max - min <= tolerance, among the labels that have the field):
 *     CONSENSUS_AGREED, their mean per field (rounded to 2 decimals);
 *   - otherwise CONSENSUS_CONFLICT and no scores (excluded from training
 *     and exports until adjudicated). */
#ifndef CURATE_CONSENSUS_H
#define CURATE_CONSENSUS_H

#include "rubric.h"

#include <stddef.h>
#include <stdint.h>

#define CONSENSUS_DEFAULT_TOLERANCE 1.0

typedef enum {
    CONSENSUS_NONE = 0,
    CONSENSUS_SINGLE,
    CONSENSUS_AGREED,
    CONSENSUS_CONFLICT,
    CONSENSUS_ADJUDICATED
} consensus_status;

typedef enum { CONSENSUS_ROLE_REVIEW = 0, CONSENSUS_ROLE_ADJUDICATION } consensus_role;

/* One reviewer's latest label of the conversation. */
typedef struct {
    consensus_role role;
    int skipped;              /* a skip: no scores, not counted */
    int64_t order;            /* later labels have larger values (time, id) */
    scoreset scores;
} consensus_label;

typedef struct {
    consensus_status status;
    scoreset scores;          /* SINGLE, AGREED, ADJUDICATED; else none set */
    size_t n_labels;          /* review labels counted (not skips) */
    int worst_field;          /* CONFLICT: the field with the widest spread */
    double worst_spread;
    /* Per field, over the review labels (whatever the status, so a lead
     * sees them after adjudicating too): max - min where two or more
     * have the field (spread.set), and beyond[f] when that is more than
     * the tolerance (the fields that make a conflict). */
    scoreset spread;
    unsigned char beyond[RUBRIC_MAX_FIELDS];
} consensus_result;

/* labels: the latest label of each reviewer (any order). tolerance >= 0. */
void consensus_decide(const rubric *r, const consensus_label *labels, size_t n,
                      double tolerance, consensus_result *out);

/* "none", "single", "agreed", "conflict", "adjudicated". */
const char *consensus_status_name(consensus_status s);

#endif

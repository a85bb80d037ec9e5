/* team.h: team review use cases shared by the CLI and the workbench:
 * agreement figures, per-reviewer counts, assignment with overlap. They
 * wire core/agreement, core/consensus and core/assign to data/pool_team;
 * nothing here prints. */
#ifndef CURATE_TEAM_H
#define CURATE_TEAM_H

#include "../../core/agreement.h"
#include "../../core/consensus.h"
#include "../../data/pool.h"
#include "../../data/pool_team.h"

#include <stddef.h>
#include <stdint.h>

/* ---- agreement ---- */
typedef struct {
    int field;                 /* rubric field index */
    agreement_alpha alpha;     /* over every conversation with >= 2 review labels
                                  among the reviewers compared */
    agreement_pair *pairs;     /* npairs = nrev*(nrev-1)/2: (0,1) (0,2) .. (1,2) .. */
    agreement_pair *vs_consensus;   /* nrev */
    agreement_pair *vs_model;       /* nrev */
} team_field_agreement;

typedef struct {
    char **reviewers;          /* nrev names, sorted (or as asked) */
    size_t nrev;
    team_field_agreement *fields;
    size_t nfields;
    size_t units;              /* conversations with a review label by one of them */
    size_t conflicts;          /* of those, in conflict (not adjudicated) */
    double tolerance;          /* the consensus tolerance used */
} team_agreement;

typedef struct {
    int field;                 /* -1: every scored field */
    char *const *reviewers;    /* NULL: everyone who labeled */
    size_t nreviewers;
    double tolerance;          /* for the consensus; < 0: the pool's */
} team_agreement_opts;

/* Computes the figures. Returns the report (team_agreement_free) or NULL
 * + err (pool error; a named reviewer who has no label). */
team_agreement *team_agreement_new(pool *p, const rubric *r,
                                   const team_agreement_opts *o, char *err);
void team_agreement_free(team_agreement *a);

/* ---- per-reviewer counts ---- */
#define TEAM_SESSION_GAP (30 * 60)   /* a pause this long ends a session */

typedef struct {
    char *reviewer;
    int64_t total;             /* labels and skips not undone */
    int64_t today;             /* of those, since local midnight */
    int64_t skipped;
    int64_t session_n;         /* labels in the last session */
    double session_hours;      /* its length (first to last label) */
    double per_hour;           /* session_n / session_hours (NAN if < 2 labels) */
    int64_t conflicts;         /* conversations in conflict this reviewer labeled */
} team_reviewer;

/* *out gets n rows by name (team_reviewers_free); tolerance < 0: the
 * pool's. 0 or -1 + err. */
int team_reviewers_new(pool *p, const rubric *r, double tolerance,
                       int64_t now, team_reviewer **out, size_t *n, char *err);
/* The share of t's labels that are skips, in percent (NAN when none). */
double team_reviewer_skipped_pct(const team_reviewer *t);
void team_reviewers_free(team_reviewer *v, size_t n);

/* ---- conflicts (for a lead) ---- */
typedef struct {
    const char *conv_id;
    const pool_team_label *labels;   /* each reviewer's latest label */
    size_t n;
    int has_model;
    const scoreset *model;
    int worst_field;                 /* the widest spread, and how wide */
    double worst_spread;
} team_conflict;

/* Calls fn for each conversation in conflict under the pool's tolerance,
 * by id (valid during the call). fn non-zero stops. 0 or -1 + err. */
int team_each_conflict(pool *p, const rubric *r,
                       int (*fn)(const team_conflict *c, void *ctx), void *ctx,
                       char *err);

/* One conversation as a lead adjudicates it: each reviewer's latest
 * review label (skips included, flagged), the model's scores, the latest
 * adjudication if any, and the consensus rule's verdict under the pool's
 * tolerance (cons.spread / cons.beyond: which fields disagree). */
typedef struct {
    char *reviewer;            /* owned */
    int skipped;
    int64_t label_id, created_at;
    scoreset scores;           /* empty when skipped */
} team_case_label;

typedef struct {
    team_case_label *labels;   /* review labels, by reviewer name */
    size_t n;
    int has_model;
    scoreset model;
    int has_adjudication;      /* the latest adjudication, by whom */
    team_case_label adjudication;
    consensus_result cons;
    double tolerance;
} team_case;

/* Fills *c for conv_id (cleared first; team_case_clear frees it). A
 * conversation without labels gives n 0. 0 or -1 + err. */
int team_case_open(pool *p, const rubric *r, const char *conv_id,
                   team_case *c, char *err);
void team_case_clear(team_case *c);

/* A lead settles a conversation: an adjudication label (role
 * adjudication, status corrected) by lead with take's latest label's
 * values (take NULL: none) and then sets[0..nsets) applied; every score
 * field must end with a value (else err names the first missing). The
 * overall follows the parts unless set. The adjudication is the
 * consensus from then on (core/consensus.h). Supersede check as for a
 * review (label_new.seen): seen >= 0 (the newest label id when the lead
 * opened it, pool_newest_label_id) refuses with POOL_SUPERSEDES when
 * another reviewer's label, e.g. another lead's adjudication, is newer
 * (err says whose; nothing written); -1: no check (the caller asked, or
 * headless). 0 + *label_id, POOL_SUPERSEDES, or -1 + err. */
typedef struct {
    int field;
    double value;
} team_set;

int team_adjudicate(pool *p, const rubric *r, const char *lead,
                    const char *conv_id, const char *take, const team_set *sets,
                    size_t nsets, const char *note, int64_t seen,
                    int64_t *label_id, char *err);

/* ---- assignment ---- */
typedef struct {
    char *const *reviewers;    /* who to assign to, in this order */
    size_t nreviewers;
    int overlap;               /* distinct reviewers per conversation, 1..nreviewers */
    const pool_filter *filter; /* which conversations (by id) */
    int64_t count;             /* at most this many conversations (0: all) */
} team_assign_opts;

/* Gives each conversation of the filter that has fewer than overlap of
 * the reviewers their missing ones (balanced: core/assign.h), in one
 * transaction. *conversations / *assignments get what was added. */
int team_assign(pool *p, const team_assign_opts *o, int64_t *conversations,
                int64_t *assignments, char *err);

typedef struct {
    char *reviewer;
    int64_t assigned, done;    /* left = assigned - done */
} team_assign_row;

int team_assign_status_new(pool *p, team_assign_row **out, size_t *n, char *err);
void team_assign_status_free(team_assign_row *v, size_t n);

#endif

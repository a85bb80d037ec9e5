/* pool_team.h: the pool's side of team review (SQL only; the rules are in
 * core/consensus.h and core/agreement.h, the use cases in tui/app/team.h).
 *
 * - Units: for each conversation with labels, each reviewer's latest label
 *   not undone and not stale (per role: a lead's adjudication does not
 *   replace their own review), with the conversation's current model
 *   scores: the same labels the consensus below decides on.
 * - Label events per reviewer, for counts and rates.
 * - Assignments: which reviewer is to review which conversation (schema
 *   11, table assignments: one row per pair, kept when done; "done" means
 *   the reviewer has a label of it not undone). */
#ifndef CURATE_POOL_TEAM_H
#define CURATE_POOL_TEAM_H

#include "pool.h"
#include "../core/consensus.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *reviewer;
    int adjudication;         /* role: 1 adjudication, 0 review */
    int skipped;
    int64_t id, created_at;
    scoreset scores;          /* empty when skipped */
} pool_team_label;

typedef struct {
    const char *conv_id;
    int has_model;
    scoreset model;           /* the current prediction's scores */
    const pool_team_label *labels;   /* by reviewer name, then role */
    size_t n;
} pool_team_unit;

/* Calls fn for each conversation that has a label not undone and not
 * stale, in id
 * order; the unit is valid during the call only. fn returns non-zero to
 * stop. 0 or -1 + err. */
int pool_team_each_unit(pool *p, const rubric *r,
                        int (*fn)(const pool_team_unit *u, void *ctx),
                        void *ctx, char *err);

/* The same for conversation conv_id alone: fn is called once when it
 * has a label not undone and not stale, not at all otherwise. */
int pool_team_unit_of(pool *p, const rubric *r, const char *conv_id,
                      int (*fn)(const pool_team_unit *u, void *ctx),
                      void *ctx, char *err);

/* Calls fn for each label event not undone, by reviewer then time. */
int pool_team_each_event(pool *p,
                         int (*fn)(const char *reviewer, int64_t created_at,
                                   int skipped, void *ctx),
                         void *ctx, char *err);

/* Calls fn for each assignment, by conversation id then reviewer; done =
 * the reviewer has a label of it not undone and not stale (a re-import
 * that changed the conversation makes it work to do again). */
int pool_team_each_assignment(pool *p,
                              int (*fn)(const char *conv_id,
                                        const char *reviewer, int done,
                                        void *ctx),
                              void *ctx, char *err);

/* Records that reviewer is to review conv_id (no-op if already). Joins
 * the caller's transaction (pool_begin) or makes its own. 0 or -1 + err. */
int pool_team_assign(pool *p, const char *conv_id, const char *reviewer,
                     char *err);

/* ---- consensus in the derived state ----
 * A conversation that two or more reviewers labeled (each one's latest
 * label not undone and not stale) follows core/consensus.h, with the
 * tolerance in pool_meta "consensus_tolerance" (default 1.0):
 *   single (the others skipped) / agreed: reviewed, its human overall the
 *     label's / the mean, label_id the latest of them;
 *   conflict: no human overall and no label_id (so training sets, exports
 *     and the human columns leave it out), back to "to review";
 *   all skipped: as the latest skip says.
 * conversations.consensus keeps the consensus_status (0 when one reviewer
 * or none). pool_refresh_state calls pool_team_refresh in the same
 * transaction as the label write. */
int pool_team_refresh(pool *p, int64_t cid, char *err);

/* The consensus scores of conversation cid under rubric r (any status;
 * out->status says which). 0 or -1 + err. */
int pool_team_consensus(pool *p, const rubric *r, int64_t cid,
                        consensus_result *out, char *err);

/* For pool_get_label: the current label of conv_id under the consensus:
 * 0 when its reviewers conflict (no current label), 1 otherwise, with
 * *scores replaced by the agreeing labels' mean. -1 + err. */
int pool_team_adjust_label(pool *p, const rubric *r, const char *conv_id,
                           scoreset *scores, char *err);

/* Sets the pool's consensus tolerance (pool_meta "consensus_tolerance")
 * and brings every conversation with two or more reviewers in line, in
 * one transaction. *changed: conversations whose consensus changed. */
int pool_team_set_tolerance(pool *p, double tolerance, int64_t *changed,
                            char *err);
/* The pool's consensus tolerance (default CONSENSUS_DEFAULT_TOLERANCE). */
double pool_team_tolerance(pool *p);

/* Calls fn for each conversation in conflict, by id. */
int pool_team_each_conflict(pool *p, int (*fn)(const char *conv_id, void *ctx),
                            void *ctx, char *err);

/* Conversations whose reviewers' labels conflict (excluded from training
 * sets and exports), or -1. */
int64_t pool_team_conflicts(pool *p, char *err);

#endif

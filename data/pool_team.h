/* pool_team.h: the pool's side of team review (SQL only; the rules are in
 * core/consensus.h and core/agreement.h, the use cases in tui/app/team.h).
 *
 * - Units: for each conversation with labels, each reviewer's latest label
 *   not undone (per role: a lead's adjudication does not replace their own
 *   review), with the conversation's current model scores.
 * - Label events per reviewer, for counts and rates.
 * - Assignments: which reviewer is to review which conversation (schema
 *   11, table assignments: one row per pair, kept when done; "done" means
 *   the reviewer has a label of it not undone). */
#ifndef CURATE_POOL_TEAM_H
#define CURATE_POOL_TEAM_H

#include "pool.h"

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

/* Calls fn for each conversation that has a label not undone, in id
 * order; the unit is valid during the call only. fn returns non-zero to
 * stop. 0 or -1 + err. */
int pool_team_each_unit(pool *p, const rubric *r,
                        int (*fn)(const pool_team_unit *u, void *ctx),
                        void *ctx, char *err);

/* Calls fn for each label event not undone, by reviewer then time. */
int pool_team_each_event(pool *p,
                         int (*fn)(const char *reviewer, int64_t created_at,
                                   int skipped, void *ctx),
                         void *ctx, char *err);

/* Calls fn for each assignment, by conversation id then reviewer; done =
 * the reviewer has a label of it not undone. */
int pool_team_each_assignment(pool *p,
                              int (*fn)(const char *conv_id,
                                        const char *reviewer, int done,
                                        void *ctx),
                              void *ctx, char *err);

/* Records that reviewer is to review conv_id (no-op if already). Joins
 * the caller's transaction (pool_begin) or makes its own. 0 or -1 + err. */
int pool_team_assign(pool *p, const char *conv_id, const char *reviewer,
                     char *err);

#endif

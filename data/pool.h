/* pool.h: the SQLite annotation pool. The only place SQL lives.
 *
 * One file, WAL, foreign keys, busy timeout, PRAGMA user_version migrations.
 * Every function that changes the pool is one transaction unless the caller
 * has opened one with pool_begin() (then it joins it). Label history and
 * edge marks are append-only: "current" means the latest row. */
#ifndef CURATE_POOL_H
#define CURATE_POOL_H

#include <stddef.h>
#include <stdint.h>
#include "../core/convo.h"
#include "../core/rubric.h"
#include "../core/label.h"
#include "../core/sbuf.h"

#define POOL_SCHEMA_VERSION 18

typedef struct pool pool;

/* What is a pool: an SQLite file whose application_id is curate's (set
 * since schema 5), or, made before that, one with application_id 0, a
 * user_version >= 1 and curate's core tables. Anything else (another
 * program's database, a text file) is refused by every open with "not a
 * curate pool ... nothing was changed", and left byte-identical: files
 * are classified by reading only. */

/* Opens the pool at path, creating it (mode 0600) when the file is missing
 * or empty, and migrating it; only the commands that create a pool (init,
 * import, demo) use this. A pool from a newer curate is refused. Runs left
 * "running" by a process that is gone are marked interrupted. NULL + err. */
pool *pool_open(const char *path, char *err);
/* The same for a connection that one thread at a time uses (curate
 * import): without SQLite's locking of the connection on every call
 * (once the process has other threads, a tenth of an import's storing). */
pool *pool_open_unshared(const char *path, char *err);
/* Like pool_open, but the pool must exist: a missing or empty file is
 * refused ("no pool at ..."), nothing is created. */
pool *pool_open_existing(const char *path, char *err);
/* Opens read-only (no migration, no create): also a pool in a read-only
 * folder. An older schema is refused with a message saying how to
 * upgrade. */
pool *pool_open_readonly(const char *path, char *err);
void pool_close(pool *p);
const char *pool_path(const pool *p);

/* What the pool holds now, to tell whether anything changed since a
 * figure was read: another connection's commit (PRAGMA data_version) or a
 * write on this one (sqlite3_total_changes). Equal stamps of one pool:
 * the same data, so a figure read then is still exact. */
typedef struct {
    int64_t data_version, changes;
} pool_stamp;
/* 0 and *out, or -1 + err. */
int pool_stamp_get(pool *p, pool_stamp *out, char *err);
int pool_stamp_same(const pool_stamp *a, const pool_stamp *b);

/* Explicit transactions for batching (importers: one per file). */
int pool_begin(pool *p, char *err);
int pool_commit(pool *p, char *err);
void pool_rollback(pool *p);

/* ---- conversations ---- */

/* Stores a conversation. If one with the same id and the same content
 * exists nothing changes (*changed = 0); if its content differs, messages
 * are replaced (*changed = 1) and its labels become stale (kept in the
 * history; it is "to review" again; edge marks stay); new ones are
 * inserted (*changed = 2). */
int pool_put_convo(pool *p, const convo *c, const char *source, int *changed,
                   char *err);
/* The same, hash being convo_content_hash(c) already computed (by the
 * importer's parsing thread). */
int pool_put_convo_hashed(pool *p, const convo *c, uint64_t hash,
                          const char *source, int *changed, char *err);
/* A bulk load (curate import of a file into a pool without
 * conversations), called outside a transaction: takes the conversations'
 * secondary indexes out (its own transaction) until pool_bulk_end builds
 * them again, once, over every row (much cheaper than row by row), and
 * while no other connection is open, writes through a rollback journal
 * instead of the WAL (each page written once; as durable). 1 when it did,
 * 0 when the pool holds conversations (nothing done), -1 + err. Until
 * pool_bulk_end, queries answer as before, only slower; if the process
 * dies first, the next writable open builds them. */
int pool_bulk_begin(pool *p, char *err);
/* Builds the indexes pool_bulk_begin took out (its own transaction, or
 * the caller's; nothing when there are none) and goes back to the WAL.
 * Also after a failed load: what it stored gets its indexes. 0 or -1. */
int pool_bulk_end(pool *p, char *err);
/* Returns the conversation with its messages (caller frees with
 * convo_free), or NULL: err says "no conversation 'X'" or the SQL error. */
convo *pool_get_convo_new(pool *p, const char *id, char *err);
/* The same with only messages [off, off + max) (in order), for a
 * conversation too long to hold whole (the review screen); *total gets
 * how many messages it has. Caller frees with convo_free, or NULL + err. */
convo *pool_get_convo_window_new(pool *p, const char *id, int64_t off,
                                 int64_t max, int64_t *total, char *err);
int pool_has_convo(pool *p, const char *id);

/* ---- runs ---- */
int pool_run_start(pool *p, const char *kind, const char *backend,
                   const char *model, int64_t program_id,
                   const char *params_json, int64_t *run_id, char *err);
/* status: "done", "interrupted", "failed". summary_json may be NULL. */
int pool_run_finish(pool *p, int64_t run_id, const char *status,
                    const char *summary_json, char *err);
/* The summary JSON of the newest run of kind that finished "done", in
 * *out (caller frees; NULL when there is none). 0 or -1 + err. */
int pool_last_done_summary(pool *p, const char *kind, char **out, char *err);

/* ---- predictions (model output) ---- */
typedef struct {
    scoreset scores;
    char *rationale;     /* text fields joined; may be NULL */
    char *reasoning;     /* may be NULL */
    char *raw;           /* raw model response; may be NULL */
    char *status;        /* "ok", "partial", "failed" */
    char *error;         /* reason when not ok; may be NULL */
    char *model;         /* model or "heuristic-v1" */
    int64_t program_id;  /* 0 = none */
    int64_t run_id;
    int64_t created_at;
    int64_t id;
    int tokens;
    double latency_ms;
    int json_fallback;   /* 1: JSONAdapter's answer, the JSON fallback's
                            (core/scorer.h), not ChatAdapter's */
} prediction;

void prediction_clear(prediction *pr);   /* frees the strings */

int pool_put_prediction(pool *p, const rubric *r, const char *conv_id,
                        const prediction *pr, int64_t *pred_id, char *err);
/* Latest prediction of a conversation (run_id > 0: of that run).
 * Returns 1 found, 0 none, -1 error. Caller calls prediction_clear(). */
int pool_get_prediction(pool *p, const rubric *r, const char *conv_id,
                        int64_t run_id, prediction *out, char *err);

/* Whether conv_id's latest scoring attempt failed (the Failed tab): 1 and
 * *error (its reason, malloc'd, NULL when none was recorded), 0 not, -1. */
int pool_last_failure(pool *p, const char *conv_id, char **error, char *err);

/* Prediction pred_id. 1 found, 0 none, -1 error. prediction_clear(). */
int pool_get_prediction_id(pool *p, const rubric *r, int64_t pred_id,
                           prediction *out, char *err);

/* ---- human labels, edge marks, notes: append-only events ----
 * Each row is an event with a globally unique uid (128-bit random hex) so
 * pools can exchange them idempotently. Each reviewer action (label, skip,
 * edge mark, edge unmark, note) also appends one row to the journal
 * (table actions) in the same transaction; pool_undo_last reverts a
 * reviewer's own latest action by flagging its row undone and appending
 * an 'undo' row saying who undid what and when. Nothing is deleted.
 * The conversation's derived "human" columns follow its latest label not
 * undone (whoever wrote it). */
typedef struct {
    int64_t id;
    char *uid;
    char *conv_id;
    char *reviewer;
    label_role role;
    label_status status;
    scoreset scores;     /* empty when skipped */
    char *note;          /* may be NULL (also rationale, comment) */
    char *rationale;
    char *comment;
    int64_t pred_id;     /* the prediction reviewed, 0 = none */
    int64_t run_id;      /* its run, 0 = none */
    int64_t created_at;
    int undone;          /* 1 if retracted by undo */
    int stale;           /* 1 if made on content the conversation no longer
                            has (changed on re-import): kept in the history,
                            never the current label */
} label;

void label_clear(label *l);   /* frees the strings */

/* A label to append. */
typedef struct {
    const char *conv_id;
    const char *reviewer;
    label_role role;
    label_status status;  /* LABEL_ACCEPTED, LABEL_CORRECTED, LABEL_SKIPPED */
    const scoreset *scores;   /* corrected: validated, the overall from the
                                 parts unless set; ignored when skipped,
                                 and when accepted with a pred_id */
    const char *note, *rationale, *comment;   /* may be NULL */
    int64_t pred_id;      /* the prediction reviewed (0 none): accepted
                             stores its scores and overall verbatim */
    /* Supersede check: when >= 0, a label (not undone) by another reviewer
     * newer than label id seen refuses with POOL_SUPERSEDES and err saying
     * who and which label; -1 = no check (the caller asked). */
    int64_t seen;
} label_new;

enum { POOL_SUPERSEDES = -2 };

/* Appends a label and its journal row. Returns 0 and *label_id (may be
 * NULL), POOL_SUPERSEDES (see seen; nothing written) or -1 + err. */
int pool_put_label(pool *p, const rubric *r, const label_new *in,
                   int64_t *label_id, char *err);
/* Shorthand: a review label without prediction or supersede check. */
int pool_add_label(pool *p, const rubric *r, const char *conv_id,
                   const char *reviewer, label_status status,
                   const scoreset *s, const char *note, int64_t *label_id,
                   char *err);
/* Current label (latest neither undone nor stale). 1 found, 0 none, -1
 * error. */
int pool_get_label(pool *p, const rubric *r, const char *conv_id, label *out,
                   char *err);
/* This reviewer's own latest label not undone. 1, 0 none, -1 error. */
int pool_get_own_label(pool *p, const rubric *r, const char *conv_id,
                       const char *reviewer, label *out, char *err);
/* Id of the newest label of the conversation (undone or not; 0 none), for
 * label_new.seen; -1 on error. */
int64_t pool_newest_label_id(pool *p, const char *conv_id, char *err);
/* Labels of conv_id made on earlier content (stale, not undone): the
 * count, or -1. After pool_put_convo replaced the content (*changed == 1),
 * the importer reports these. */
int pool_stale_labels(pool *p, const char *conv_id, char *err);
/* Full history of a conversation, oldest first: calls fn per row. */
int pool_label_history(pool *p, const rubric *r, const char *conv_id,
                       int (*fn)(const label *l, void *ctx), void *ctx,
                       char *err);

/* Appends an edge mark (on) or unmark and its journal row. */
int pool_set_edge(pool *p, const char *conv_id, const char *reviewer, int on,
                  const char *note, char *err);
/* Current mark (latest not undone): 1 marked (*note malloc'd, NULL when
 * none; note may be NULL), 0 not, -1 error. */
int pool_get_edge(pool *p, const char *conv_id, char **note, char *err);

/* Appends a note on a conversation and its journal row. */
int pool_add_note(pool *p, const char *conv_id, const char *reviewer,
                  const char *text, char *err);
/* Latest note not undone: 1 (*text, *reviewer malloc'd), 0 none, -1. */
int pool_get_note(pool *p, const char *conv_id, char **text,
                  char **reviewer, char *err);

/* ---- the journal ---- */
typedef enum {
    ACTION_LABEL = 0, ACTION_SKIP, ACTION_EDGE_MARK, ACTION_EDGE_UNMARK,
    ACTION_NOTE, ACTION_UNDO
} pool_action_kind;

/* One reviewer's work since a moment, from the journal (actions not
 * undone), each conversation counted once per kind: for the workbench's
 * progress and its session summary. */
typedef struct {
    int64_t labels;       /* conversations accepted or corrected */
    int64_t corrections;  /* of which corrected */
    int64_t skips;
    int64_t edges;        /* edge marks */
} pool_activity;

/* reviewer's activity since `since` (epoch seconds) in journal rows after
 * after_id (0: all; a session passes pool_last_action_id at its start,
 * which a clock stepping back cannot fool). 0 or -1 + err. */
int pool_reviewer_activity(pool *p, const char *reviewer, int64_t since,
                           int64_t after_id, pool_activity *out, char *err);
/* The newest journal row's id (0: none), or -1 + err. */
int64_t pool_last_action_id(pool *p, char *err);

/* "label", "skip", "edge mark", "edge unmark", "note", "undo". */
const char *pool_action_name(pool_action_kind k);

typedef struct {
    int64_t id;
    char *uid;
    pool_action_kind kind;
    char *conv_id;
    char *reviewer;
    int64_t ref;          /* the label, edge mark or note row it wrote */
    label_status status;  /* label: its status */
    label_role role;      /* label: its role (read from the label row) */
    int64_t created_at;
    int64_t batch;        /* its batch (pool_batch_begin), 0 = none */
    int64_t batch_n;      /* undo: how many actions of the batch it undid */
    char *batch_what;     /* undo of a batch: the batch in words, or NULL */
} pool_action;

void pool_action_clear(pool_action *a);

/* Reverts reviewer's most recent action not yet undone (conv_id non-NULL:
 * on that conversation; labels_only: a label or skip) in one
 * transaction: its row (label, edge mark, note) is flagged undone, the
 * derived state follows, and an 'undo' row is journaled. When that action
 * belongs to a batch and conv_id is NULL, every action of the batch not
 * yet undone is reverted the same way, in the same transaction
 * (undone->batch_n says how many, batch_what what the batch was); with a
 * conv_id only that conversation's. Returns 1 and *undone (the latest
 * action reverted; caller clears), 0 nothing to undo (another reviewer's
 * actions are never undone), -1 + err. */
int pool_undo_last(pool *p, const char *reviewer, const char *conv_id,
                   int labels_only, pool_action *undone, char *err);

/* ---- batches (schema 17) ----
 * A batch groups the journal rows of one bulk action (curate label
 * --accept --filter, the queue's bulk accept) so that one undo reverts
 * them all. Inside a transaction the caller opened with pool_begin:
 * pool_batch_begin records the batch (reviewer, kind, what in words) and
 * from then on every journal row this connection writes for reviewer
 * carries it, until pool_batch_end (which stores how many it holds).
 * 0 and *id, or -1 + err. */
int pool_batch_begin(pool *p, const char *reviewer, const char *kind,
                     const char *what, int64_t *id, char *err);
int pool_batch_end(pool *p, char *err);

/* ---- listing (windowed; nothing loads the whole pool) ---- */
typedef enum {
    FILTER_ALL = 0, FILTER_TO_REVIEW, FILTER_REVIEWED, FILTER_EDGE,
    FILTER_DISAGREE, FILTER_UNSCORED, FILTER_SCORED,
    FILTER_SKIPPED,           /* skipped: see skipped_by */
    FILTER_FAILED,            /* the latest scoring attempt failed */
    FILTER_CONFLICT           /* reviewers disagree, not adjudicated (pool_team.h) */
} pool_filter_kind;

typedef enum {
    SORT_ID = 0, SORT_SELLER, SORT_MESSAGES, SORT_MODEL, SORT_HUMAN,
    SORT_DIFF, SORT_STATUS, SORT_EDGE
} pool_sort_kind;

typedef struct {
    pool_filter_kind kind;
    double disagree;          /* threshold for FILTER_DISAGREE (default 2):
                                 some score field (the overall included)
                                 differs by at least this much */
    const char *disagree_field; /* NULL, or only this score field counts */
    const char *search;       /* substring of the id, the seller or a
                                 message (ASCII letters in any case), or
                                 NULL; see the search index below */
    const char *seller;       /* exact seller id, or NULL */
    const char *assigned_to;  /* only those assigned to this reviewer
                                 (curate assign), or NULL */
    const char *reviewer;     /* only those whose latest label by this
                                 reviewer (not undone, not stale) is not
                                 a skip, or NULL */
    int64_t since, until;     /* only those labeled in [since, until]
                                 (epoch seconds; 0 = open): the reviewer's
                                 label with reviewer set, else the current
                                 label */
    const char *skipped_by;   /* FILTER_SKIPPED: those whose latest label
                                 by this reviewer (not undone) is a skip;
                                 NULL: whose current state is skipped */
    pool_sort_kind sort;
    int desc;
} pool_filter;

/* A conversation's review state (conversations.status). */
typedef enum {
    CONV_UNSCORED = 0, CONV_TO_REVIEW, CONV_REVIEWED, CONV_SKIPPED
} conv_status;

/* "unscored", "to review", "reviewed", "skipped". */
const char *conv_status_name(conv_status s);

typedef struct {
    char *id;              /* owned (pool_rows_clear) */
    char *seller_id;       /* owned */
    int nmsgs;
    double model_overall;  int has_model;
    double human_overall;  int has_human;
    conv_status status;
    int edge;
    /* The field where model and human differ most (with both overalls
     * there): |difference| and the field's name. */
    double fdiff;          int has_fdiff;
    char fdiff_field[64];
} pool_row;

/* Frees the strings of rows[0..n) (and zeroes them). */
void pool_rows_clear(pool_row *rows, int n);

/* Rows [offset, offset+limit) of the filtered, sorted list. Returns the
 * number of rows written into rows (<= limit; whatever rows held is
 * overwritten, not freed: the caller calls pool_rows_clear on the rows
 * returned when done with them) or -1. */
int pool_list(pool *p, const pool_filter *f, int64_t offset, int limit,
              pool_row *rows, char *err);
/* Number of rows matching the filter, or -1. */
int64_t pool_count(pool *p, const pool_filter *f, char *err);
/* Position (0-based) of conversation id in the filtered, sorted list,
 * looked for among the rows [near - span, near + span): 1 and *pos, 0 not
 * there, -1 on error. */
int pool_list_find(pool *p, const pool_filter *f, const char *id,
                   int64_t near, int span, int64_t *pos, char *err);
/* Calls fn for every matching id in order (for batch scoring). */
int pool_each_id(pool *p, const pool_filter *f,
                 int (*fn)(const char *id, void *ctx), void *ctx, char *err);
/* ---- the search index (pool_search.c) ----
 * A search of 3 characters or more is answered by a trigram index of every
 * conversation's id, seller and messages. Imports do not fill it (that
 * would cost twice the import itself); pool_search_index does, in short
 * transactions. Until it has reached a conversation, that one is searched
 * by a scan: the results are the same, only slower. A stored conversation
 * whose content changes is re-indexed by pool_put_convo itself. */
typedef struct {
    int64_t indexed;          /* conversations the index covers */
    int64_t conversations;    /* in the pool */
} pool_search_state;

int pool_search_get_state(pool *p, pool_search_state *st, char *err);
/* Indexes every conversation not yet indexed, about 16,000 messages per
 * transaction (under 0.1 s: writers meanwhile hardly wait). After each one
 * progress (may be NULL) gets the conversations done and to do; non-zero
 * stops, keeping what is done. Must not run inside pool_begin. Returns the
 * number of conversations indexed or -1. */
int64_t pool_search_index(pool *p,
                          int (*progress)(void *ctx, int64_t done, int64_t total),
                          void *ctx, char *err);
/* Empties the index in one transaction (pool_search_index refills it). */
int pool_search_reset(pool *p, char *err);

/* The filter language of `curate list --filter`, `curate label --accept
 * --filter` and `curate export pool --filter`: one table (pool_query.c)
 * for parsing and for their --help. pool_filter_help appends each term's
 * syntax and help, one "  SYNTAX  HELP" row each, to out. */
void pool_filter_help(sbuf *out);
/* Parses one term (a tab: to-review|reviewed|edge|disagree[:T[:FIELD]]|
 * unscored|scored|skipped|failed|conflict|all; or seller=ID, assigned=REVIEWER, reviewer=NAME,
 * since=DATE, until=DATE, search=TEXT) into f, resetting f first. Strings
 * point into spec. 0 or -1 + err naming "--filter SPEC". */
int pool_filter_parse(const char *spec, pool_filter *f, char *err);
/* The same, added to f (terms combine: all must hold; a second tab or a
 * second value of the same term is refused). */
int pool_filter_add(const char *spec, pool_filter *f, char *err);
/* f in words ("to review, seller S-1, search \"x\", reviewed by ann,
 * labeled 2026-03-01..2026-03-31") into out. */
void pool_filter_describe(const pool_filter *f, sbuf *out);
/* Checks f against the rubric (a disagree FIELD must be a score field):
 * 0, or -1 + err naming the field and the rubric's score fields. */
int pool_filter_check(const pool_filter *f, const rubric *r, char *err);

/* ---- statistics (aggregated in SQL) ---- */
typedef struct {
    int64_t n;
    double mean, sd, min, max;
} pool_agg;

typedef struct {
    int64_t conversations, messages, scored, reviewed, skipped, edge,
        programs, runs, reviewed_today;
    pool_agg model[RUBRIC_MAX_FIELDS];   /* per field index */
    pool_agg human[RUBRIC_MAX_FIELDS];
    pool_agg abs_err[RUBRIC_MAX_FIELDS]; /* |model - human| where both */
} pool_stats;

/* run_id > 0 restricts the figures to that run (human: the labels of the
 * conversations it scored); seller non-NULL to one seller. */
int pool_get_stats(pool *p, const rubric *r, int64_t run_id,
                   const char *seller, pool_stats *out, char *err);
/* Conversations reviewed now (status reviewed) with a label, not undone
 * and not a skip, created at or after since (pool_stats.reviewed_today
 * from local midnight): what the queue's "N today" shows, without the
 * rest of the statistics. Costs the labels since then, not the pool.
 * Returns the count or -1 + err. */
int64_t pool_reviewed_since(pool *p, int64_t since, char *err);
/* Histogram of a field's values in nbins equal bins over [lo, hi]:
 * human = 0 model (latest prediction, or of run_id), 1 current label (of
 * run_id's conversations when run_id > 0). */
int pool_histogram(pool *p, const rubric *r, int field, int human,
                   int64_t run_id, const char *seller, int nbins,
                   int64_t *bins, char *err);

/* ---- reviewed examples (for the optimiser) ---- */
typedef struct {
    char *conv_id;
    double human_overall;
    int edge;
    char *edge_note;
} pool_example;

/* All conversations with a current non-skipped label, ordered by id.
 * Caller frees with pool_examples_free(). Returns count or -1. */
int pool_reviewed_examples(pool *p, pool_example **out, char *err);
void pool_examples_free(pool_example *ex, int n);

/* ---- programs ---- */
typedef struct {
    int64_t id;
    int64_t created_at;
    char *state_json;     /* DSPy Module.save() JSON */
    char *metric;
    double val_score;
    char *model;
    char *trainset_json;  /* JSON array of conversation ids */
    char *note;
    int n_demos;
    int is_best;
} pool_program;

void pool_program_clear(pool_program *pg);
int pool_put_program(pool *p, const pool_program *pg, int make_best,
                     int64_t *id, char *err);
/* id 0 = current best. 1 found, 0 none, -1 error. */
int pool_get_program(pool *p, int64_t id, pool_program *out, char *err);
int pool_set_best_program(pool *p, int64_t id, char *err);
/* Lists programs newest first (state_json left NULL). Caller frees with
 * pool_programs_free(). Returns count or -1. */
int pool_list_programs(pool *p, pool_program **out, char *err);
void pool_programs_free(pool_program *pg, int n);

/* ---- runs listing ---- */
typedef struct {
    int64_t id;
    char kind[16];
    char status[16];
    char backend[32];
    char model[96];
    int64_t program_id;
    int64_t started_at, finished_at;
    int64_t npred;
} pool_run;
/* Newest first, at most max. Returns count or -1. */
int pool_list_runs(pool *p, const char *kind, pool_run *out, int max,
                   char *err);

/* ---- LLM response cache ---- */
/* 1 hit (*response malloc'd, caller frees), 0 miss, -1 error. */
int pool_cache_get(pool *p, const char *key, char **response, char *err);
int pool_cache_put(pool *p, const char *key, const char *response, char *err);

/* ---- facts about the pool (pool_meta.c) ---- */
/* Keys: "made_by" ("demo": made by `curate demo`), "rubric" (the
 * canonical JSON of the rubric the pool is labeled under). */
/* 1 found (*value malloc'd, caller frees), 0 unset, -1 error. */
int pool_meta_get(pool *p, const char *key, char **value, char *err);
/* Sets key (value NULL: removes it). */
int pool_meta_set(pool *p, const char *key, const char *value, char *err);
/* Empties a pool that `curate demo` made (every table, in one transaction
 * or the caller's: nothing is unlinked, so other processes using the file
 * are safe). Refused, with nothing changed, when the pool was not made by
 * the demo or holds labels or edge marks by a reviewer other than "demo"
 * or conversations it did not generate. */
int pool_meta_reset_demo(pool *p, char *err);

/* ---- maintenance ---- */
/* Online backup (sqlite3_backup) to dest. */
int pool_backup(pool *p, const char *dest, char *err);
int pool_integrity_check(pool *p, char *err);

#endif

/* import_file.h: one file into the pool, as `curate import` does it.
 *
 * A malformed file stores nothing: the whole file is read and validated
 * (every line parsed, ids checked for duplicates) on a thread of its own
 * while the first transaction fills, and nothing is committed before that
 * check passed (so the first transaction lasts as long as reading the
 * file once: seconds for a million conversations). After it, the file is
 * stored in transactions of at most IMPORT_BATCH_S seconds
 * (or opts->batch conversations), with a pause between them, so a
 * reviewer's save waits at most about that long, however big the file
 * (issue 13: an 800,000-conversation file was one 28 s transaction and a
 * save gave up). The price: while a big file is being stored, other users
 * of the pool see the conversations stored so far, and an import killed
 * (or failing, e.g. on a full disk) midway leaves the conversations of
 * the transactions already committed, each one whole; importing the file
 * again completes it and changes nothing else.
 *
 * JSONL is read as a stream (import.h): memory is bounded by the longest
 * line, not the file; it is parsed on a thread of its own beside the one
 * storing (import_feed.h). Into a pool without conversations, the file
 * is a bulk load (pool.h: pool_bulk_begin): the conversations' indexes
 * are built once at the end. A WhatsApp export is one conversation: read
 * whole. */
#ifndef CURATE_IMPORT_FILE_H
#define CURATE_IMPORT_FILE_H

#include "import.h"
#include "pool.h"

#define IMPORT_BATCH_S 0.5

typedef enum { IMPORT_DETECT = 0, IMPORT_JSONL = 1, IMPORT_WHATSAPP = 2 } import_format;

typedef struct {
    import_format format;        /* IMPORT_DETECT: from name and bytes */
    const import_wa_opts *wa;    /* WhatsApp options; may be NULL */
    long batch;                  /* most conversations per transaction;
                                    0 = only the time bound */
} import_file_opts;

#define IMPORT_STALE_NAMED 10

typedef struct {
    long added, changed, same, msgs;
    long batches;                /* transactions committed */
    /* Where the storing thread's time went (JSONL), in seconds: waiting
     * for parsed conversations, storing them (SQLite, commits included),
     * building the indexes of a bulk load at the end (pool.h). */
    double t_wait, t_store, t_index;
    long stored;                 /* conversations committed (on failure:
                                    how many are in the pool) */
    /* Changed conversations whose labels became stale (pool.h:
     * pool_stale_labels): how many, their labels, the first few ids
     * (owned: import_file_stats_clear). */
    long stale_convs, stale_labels;
    char *stale_ids[IMPORT_STALE_NAMED];
    char *last_id;               /* the last conversation stored (owned) */
} import_file_stats;

/* Frees the ids (the counts stay). */
void import_file_stats_clear(import_file_stats *st);

/* Imports path into p. 0, or -1 + err ("FILE:LINE: ..." for a malformed
 * file: then nothing was stored, st->stored == 0). p must not be inside a
 * transaction. */
int import_file(pool *p, const char *path, const import_file_opts *opts,
                import_file_stats *st, char *err);

#endif

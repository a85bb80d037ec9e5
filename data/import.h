/* import.h: importers of conversations (JSONL, WhatsApp .txt exports).
 *
 * Parsers are pure: they turn a file's bytes into conversations handed to a
 * callback, and never touch the pool. The caller (curate import) wraps one
 * file in one pool transaction and rolls back on any error, so a malformed
 * file stores nothing. Errors read "FILE:LINE: what is wrong". */
#ifndef CURATE_IMPORT_H
#define CURATE_IMPORT_H

#include <stddef.h>
#include "../core/convo.h"

/* Called for each parsed conversation; the callee borrows c (the parser
 * frees it afterwards). Return 0 to go on, -1 to stop (err filled). */
typedef int (*import_fn)(const convo *c, void *ctx, char *err);

/* JSONL: one conversation per line:
 * {"id", "seller_id", "messages": [{"ts", "from", "role", "text"}], "meta"?}
 * ts: ISO-8601 string or epoch seconds; role: customer|seller|system.
 * Blank lines are ignored. src names the file in messages. */
int import_jsonl(const char *data, size_t len, const char *src, import_fn fn,
                 void *ctx, char *err);

/* JSONL read from a file as a stream: the memory it takes is the longest
 * line (at most IMPORT_LINE_MAX; a longer one is an error) plus the ids
 * seen so far (to catch a duplicate), never the whole file. Same rules and
 * messages as import_jsonl. */
#define IMPORT_LINE_MAX ((size_t)256 << 20)
typedef struct import_jsonl_reader import_jsonl_reader;
/* NULL + err when the file cannot be opened. */
import_jsonl_reader *import_jsonl_open(const char *path, char *err);
/* The next conversation: 1 and *c (borrowed until the next call or close),
 * 0 at the end of the file, -1 + err ("FILE:LINE: ..."). */
int import_jsonl_next(import_jsonl_reader *r, const convo **c, char *err);
/* The line number of the last line read. */
size_t import_jsonl_line(const import_jsonl_reader *r);
void import_jsonl_close(import_jsonl_reader *r);

typedef enum { DATE_AUTO = 0, DATE_DMY, DATE_MDY } import_date_order;

typedef struct {
    const char **sellers;       /* participant names that are the seller */
    size_t nsellers;
    const char *seller_id;      /* default: the first seller name */
    const char *id;             /* conversation id; default "wa-" + a hash of
                                   the seller's name, the first message and
                                   the participants: stable across re-imports and
                                   longer exports of the same chat */
    import_date_order order;    /* DATE_AUTO detects from the file */
    int tz_offset_min;          /* local time of the export, minutes east of
                                   UTC (default 0: timestamps taken as UTC) */
    import_date_order *guessed; /* may be NULL; else set to the order assumed
                                   when DATE_AUTO found no date that decides
                                   (every day and month <= 12: 12-hour clock
                                   MDY, else DMY), or DATE_AUTO when the
                                   dates decided or the order was given. The
                                   caller says so: the reader may need
                                   --date-order. */
} import_wa_opts;

/* WhatsApp chat export (.txt), Android and iOS forms. One file is one
 * conversation. With no seller given, fails listing the participants. */
int import_whatsapp(const char *data, size_t len, const char *src,
                    const import_wa_opts *opts, import_fn fn, void *ctx,
                    char *err);

/* Guesses the format from the name and first bytes: 1 JSONL, 2 WhatsApp,
 * 0 unknown. */
int import_detect(const char *path, const char *data, size_t len);

#endif

/* import_feed.h: the conversations of a JSONL file, read and parsed on a
 * thread of its own, for the one that stores them (import_file.c).
 *
 * Why: storing is the import's longest part and can only run on one
 * thread (one SQLite writer); reading, parsing and hashing each
 * conversation took a third of that thread's time. Here they run beside
 * it: the parser hands conversations over in blocks (at most FEED_BLOCKS
 * blocks of FEED_BLOCK_CONVS conversations or FEED_BLOCK_BYTES bytes,
 * whichever comes first, one conversation being always allowed), so the
 * memory is bounded as the reader's is (import.h), plus those blocks
 * (about 4 MB). Many small blocks rather than a few big ones: on a busy
 * machine the parser, descheduled for a while, has run further ahead
 * (measured: the storing thread idled 0.3-0.7 s instead of 0.8-1.0 s
 * waiting for it, importing 100,000 conversations at load average 7).
 *
 * Same conversations, order, line numbers and messages as
 * import_jsonl_open/next, which it uses.
 *
 * The whole-file check (an import commits nothing before the whole file
 * passed, import_file.c) can be the parser thread's too: with check = 1
 * it reads the file ahead to its end (a reader of its own, nothing kept)
 * in the time it would otherwise wait for the storer to free a block, and
 * after its last block. Why not a thread of its own: on two cores three
 * busy threads took turns and the storing one, the import's longest path,
 * waited for its input (measured: 0.04-0.10 s of 1.2 s). */
#ifndef CURATE_IMPORT_FEED_H
#define CURATE_IMPORT_FEED_H

#include <stddef.h>
#include <stdint.h>
#include "import.h"

#define FEED_BLOCKS 16
#define FEED_BLOCK_CONVS 256
#define FEED_BLOCK_BYTES ((size_t)256 << 10)

typedef struct import_feed import_feed;

/* Opens path. threaded = 0 parses in import_feed_next itself, on the
 * caller's thread (a file of huge lines, where a copy of one in a block
 * would double the peak memory); a thread that cannot be started means
 * the same. check = 1 checks the whole file too (above; unthreaded, in
 * import_feed_check_wait). NULL + err when the file cannot be opened. */
import_feed *import_feed_open(const char *path, int threaded, int check,
                              char *err);
/* Whether import_feed_check_wait would return without waiting (always,
 * when opened with check = 0). */
int import_feed_check_done(import_feed *f);
/* Waits for the check to end: 0 when the whole file is well formed (or
 * when opened with check = 0), -1 + err (the reader's "FILE:LINE: ...")
 * when it is not. Every later call says the same. */
int import_feed_check_wait(import_feed *f, char *err);
/* The next conversation: 1, with *c (borrowed until the next call or
 * close), *hash (its convo_content_hash) and *line (its line number); 0
 * at the end of the file; -1 + err (the reader's "FILE:LINE: ..."). After
 * 0 or -1, every later call says the same. */
int import_feed_next(import_feed *f, const convo **c, uint64_t *hash,
                     size_t *line, char *err);
/* Stops the parser wherever it is and frees everything. */
void import_feed_close(import_feed *f);

#endif

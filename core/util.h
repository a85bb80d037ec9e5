/* util.h: every small core helper at once, for code that uses several.
 * Each has its own module and contract; new code includes the one it needs:
 *   err.h    ERR_MAX, err_set: the error convention
 *   xalloc.h xmalloc ... xstrndup: allocation that aborts on out-of-memory
 *   sbuf.h   growable strings
 *   utf8.h   the UTF-8 decoder/encoder/validator
 *   date.h   clocks, ISO-8601, calendar arithmetic
 *   file.h   whole-file reads, atomic writes
 *   hash.h   FNV-1a
 *   json.h   cJSON text released with free()
 *   rng.h    seeded PRNG */
#ifndef CURATE_UTIL_H
#define CURATE_UTIL_H

#include "err.h"
#include "xalloc.h"
#include "sbuf.h"
#include "utf8.h"
#include "date.h"
#include "file.h"
#include "hash.h"
#include "json.h"
#include "rng.h"

#endif

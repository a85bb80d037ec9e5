/* xalloc.h: allocation that aborts on out-of-memory (there is nothing
 * sensible to do then). Everything returned is the caller's to free(). */
#ifndef CURATE_XALLOC_H
#define CURATE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);            /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n); /* s[0..n) + NUL; NULL in, NULL out */

#endif

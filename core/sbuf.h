/* sbuf.h: growable NUL-terminated string. Zero-initialise (`sbuf b = {0};`),
 * append, then take ownership of b.s (sbuf_take, free()) or sbuf_free(). */
#ifndef CURATE_SBUF_H
#define CURATE_SBUF_H

#include <stddef.h>

typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

void sbuf_add(sbuf *b, const char *s);
void sbuf_addn(sbuf *b, const char *s, size_t n);
void sbuf_addf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sbuf_addc(sbuf *b, char c);
void sbuf_free(sbuf *b);
/* Returns b->s (never NULL, "" when empty) and leaves b empty; caller frees. */
char *sbuf_take(sbuf *b);

#endif

/* utf8.h: the one UTF-8 decoder (and encoder) of the program. Strict:
 * overlong forms, surrogates, code points above U+10FFFF and truncated
 * sequences are invalid. */
#ifndef CURATE_UTF8_H
#define CURATE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the character at s[0..n): its length in bytes (1-4) with *cp
 * set, or 0 when s does not start with a valid UTF-8 character (or n is
 * 0). NUL decodes as U+0000, length 1. */
int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Writes cp (<= U+10FFFF, not a surrogate) as UTF-8 into out; returns
 * the number of bytes (1-4). out is not NUL-terminated. */
int utf8_encode(uint32_t cp, char out[4]);

/* Offset of the first byte of s[0..n) that is not valid UTF-8 or is NUL;
 * n when the text is valid. */
size_t utf8_bad_at(const char *s, size_t n);

#endif

/* err.h: the error convention. Every fallible function takes `char *err`
 * pointing at ERR_MAX bytes (or NULL) and fills it with a one-line message
 * that the caller shows; nothing below main prints or exits. */
#ifndef CURATE_ERR_H
#define CURATE_ERR_H

#define ERR_MAX 512

/* printf into err (ERR_MAX bytes); does nothing when err is NULL. */
void err_set(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif

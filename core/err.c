/* err.c: see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

void err_set(char *err, const char *fmt, ...)
{
    if (!err) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, ERR_MAX, fmt, ap);
    va_end(ap);
}

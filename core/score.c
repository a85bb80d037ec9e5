/* score.c: see score.h. */
#include "score.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void score_format(double v, char *out, size_t outlen)
{
    if (!isfinite(v)) { snprintf(out, outlen, "-"); return; }
    double r = round(v * 100.0) / 100.0;
    if (r == 0) r = 0;                       /* no "-0.0" */
    char tmp[400];                           /* %.2f of DBL_MAX fits */
    snprintf(tmp, sizeof tmp, "%.2f", r);
    size_t l = strlen(tmp);
    if (l >= 3 && tmp[l - 1] == '0' && tmp[l - 3] == '.') tmp[l - 1] = '\0';
    snprintf(out, outlen, "%s", tmp);
}

/* numarg.h: the one strict parser for numbers typed by a user (command-line
 * options, the workbench's prompts). A value is accepted only when the whole
 * string is one number in plain decimal notation, finite and within
 * [lo, hi]: no leading or trailing blanks or junk ("2m", "1e3" for an
 * integer, "abc", ""), no hex, no "inf"/"nan", no overflow. Pure functions,
 * no locale (the decimal separator is '.').
 *
 * Each function returns 0 and sets *out, or -1 and fills err (ERR_MAX) with
 * "NAME: 'VALUE' is not ...; allowed LO..HI": name is the option as the
 * user wrote it ("--max-tokens"), the value is quoted with every byte that
 * is not printable ASCII shown as \xNN, so the message is safe to print. */
#ifndef CURATE_NUMARG_H
#define CURATE_NUMARG_H

#include <stdint.h>

/* A whole number in [lo, hi]: optional sign, decimal digits. */
int numarg_int(const char *name, const char *s, int64_t lo, int64_t hi,
               int64_t *out, char *err);

/* A real number in [lo, hi]: optional sign, digits with an optional
 * fraction ("0.7", ".5", "3."), an optional exponent ("1e-3"). */
int numarg_real(const char *name, const char *s, double lo, double hi,
                double *out, char *err);

/* A UTC offset: "+HH:MM", "-HH:MM", "+HH" or "HH:MM" (hours 0..14, minutes
 * 0..59), in minutes east of UTC. */
int numarg_utc_offset(const char *name, const char *s, int *minutes,
                      char *err);

#endif

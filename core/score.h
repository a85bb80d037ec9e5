/* score.h: the one text form of a score, used by prompts (demo values in
 * a DSPy program), the workbench and the exports, so that a value reads
 * the same everywhere: "8.0", "7.5", "7.25" (two decimals, a trailing zero
 * dropped down to one, which is how a person or a model writes a score).
 * Validation (parse, clamp, round) is rubric_validate_score (rubric.h). */
#ifndef CURATE_SCORE_H
#define CURATE_SCORE_H

#include <stddef.h>

/* Enough for any score below 1e25 in magnitude, NUL included. */
#define SCORE_TEXT_MAX 32

/* Writes v rounded half away from zero to 2 decimals ("-0.0" becomes
 * "0.0") into out, cut to outlen. A NaN or
 * infinite v writes "-": there is no score. */
void score_format(double v, char *out, size_t outlen);

#endif

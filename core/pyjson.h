/* pyjson.h: JSON as DSPy's JSONAdapter sees it, for the JSON fallback
 * (core/prompt.h): Python's json.dumps on the way out, and on the way in
 * an object read the way json_repair reads one, each value turned into
 * the text Python's str(value) gives (JSONAdapter's fields are str).
 *
 * Out: pyjson_dump_string writes a string as json.dumps does; with
 * ensure_ascii (DSPy 2.6) every character outside ' '..'~' is \uXXXX
 * (a surrogate pair above U+FFFF), without it (DSPy 3.x) only '"', '\\'
 * and the C0 controls are escaped (\b \f \n \r \t, others \u00XX).
 *
 * In: pyjson_parse_object reads one object: strings with every JSON
 * escape (surrogate pairs joined), numbers, true/false/null, arrays and
 * nested objects. As json_repair, it forgives a trailing comma before '}'
 * or ']', and a repeated key keeps its last value (a Python dict). Values:
 * a string as it is; an integer as its digits ("-0" is "0"); a number with
 * '.' or an exponent as Python's repr of the float ("2.0", "10.0",
 * "1e+16", "1.5e-07"); true/false/null as "True"/"False"/"None"; arrays
 * and objects as Python's repr ("['a', \"it's\", 3]", "{'n': 2.5}").
 * json_repair's other repairs (missing quotes or commas, an object cut
 * short) are not made: such text is not an object here. */
#ifndef CURATE_PYJSON_H
#define CURATE_PYJSON_H

#include <stddef.h>

#include "sbuf.h"

/* str() of the number json.loads makes of the JSON number token tok: an
 * int keeps its digits ("-0" -> "0"), a float is repr'd: the shortest
 * digits that round trip, fixed notation for decimal exponents -4..15,
 * else d.ddde+XX; NaN/Infinity/-Infinity as "nan"/"inf"/"-inf". Caller
 * frees. */
char *pyjson_number_str_new(const char *tok);

/* The value of the 4 hex digits at s (a \uXXXX escape; the caller checks
 * that 4 bytes are there): 0, or -1 when one is not a hex digit. */
int pyjson_hex4(const char *s, unsigned *out);

/* Appends s (UTF-8) as a JSON string literal, quotes included. */
void pyjson_dump_string(sbuf *b, const char *s, int ensure_ascii);

/* An object's members in first-seen key order (a later duplicate replaces
 * the value in place, as a dict assignment does). Owned strings. */
typedef struct {
    char **keys;
    char **vals;
    size_t n;
} pyjson_obj;

/* Parses the object that fills s[0..n) (white space around it allowed).
 * 0 and *out (free with pyjson_obj_clear), or -1 when it is not one. */
int pyjson_parse_object(const char *s, size_t n, pyjson_obj *out);
void pyjson_obj_clear(pyjson_obj *o);

/* The end (one past the '}') of the JSON object that starts at p, its
 * braces counted outside strings only (as json_repair reads); NULL when it
 * never closes. */
const char *pyjson_object_end(const char *p);

/* The end (one past the '}') of the balanced {...} that starts at p,
 * counting every brace, in strings too, as the pattern
 * \{(?:[^{}]|(?R))*\} of JSONAdapter.parse does; NULL when it never
 * closes. */
const char *pyjson_balanced_end(const char *p);

#endif

/* assign.h: spreading conversations over reviewers with overlap, balanced
 * and reproducible (curate assign). Pure: the caller brings the
 * reviewers' open loads and each conversation's present assignees.
 *
 * For one conversation, assign_pick chooses the reviewers it still needs
 * (overlap minus those it has): the least loaded first, ties in the order
 * the reviewers were given; each pick adds one to that reviewer's load.
 * Walking the conversations in a fixed order (the caller's: by id) with
 * the same loads therefore gives the same plan every time, and no
 * reviewer ends more than one conversation ahead of another among those
 * picked for. */
#ifndef CURATE_ASSIGN_H
#define CURATE_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

/* load: nrev open loads (updated). taken: nrev flags, 1 = already
 * assigned to this conversation (not picked again). Picks up to want
 * reviewers into out (indexes); returns how many (fewer when not enough
 * reviewers are free). */
size_t assign_pick(size_t nrev, int64_t *load, const unsigned char *taken,
                   size_t want, size_t *out);

#endif

/* tpool.h: the pool as the unit tests open it: a file in test_tmpdir(). */
#ifndef CURATE_TEST_TPOOL_H
#define CURATE_TEST_TPOOL_H

#include "../../data/pool.h"

/* Opens (creating) test_tmpdir()/name; NULL after printing why. */
pool *tpool_open(const char *name);

/* SQL taking a schema 4 pool back to schema 3 (without user_version): for
 * tests of the upgrades from older pools. */
extern const char *const tpool_down_v4;

#endif

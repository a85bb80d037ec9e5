/* tpool.h: the pool as the unit tests open it: a file in test_tmpdir(). */
#ifndef CURATE_TEST_TPOOL_H
#define CURATE_TEST_TPOOL_H

#include "../../data/pool.h"

/* Opens (creating) test_tmpdir()/name; NULL after printing why. */
pool *tpool_open(const char *name);

#endif

/* mongo_dl.c: see mongo_dl.h. */
#define _POSIX_C_SOURCE 200809L /* struct addrinfo in libmongoc's headers */
#include "mongo_dl.h"
#include "../core/dl.h"
#include "../core/util.h"

#include <pthread.h>
#include <stddef.h>

static const dl_sym mongo_syms[] = {
#define MONGO_ENTRY(f) {#f, offsetof(mongo_api, f)},
    MONGO_SYMBOLS(MONGO_ENTRY)
#undef MONGO_ENTRY
};

/* Written once under pthread_once, read-only afterwards. */
static mongo_api table;
static const mongo_api *loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_err[ERR_MAX];

static void load(void)
{
    /* libbson first, so a missing one is named as such; libmongoc's
     * lookups find its symbols through its own dependency. */
    char e[ERR_MAX];
    if (dl_load("libbson-1.0.so.0", NULL, 0, &table, e) < 0 ||
        dl_load("libmongoc-1.0.so.0", mongo_syms,
                sizeof mongo_syms / sizeof mongo_syms[0], &table, e) < 0) {
        err_set(load_err, "MongoDB support unavailable: %s (Debian package "
                "libmongoc-1.0-0)", e);
        return;
    }
    loaded = &table;
}

int mongo_dl_load(char *err)
{
    pthread_once(&once, load);
    if (!loaded) {
        err_set(err, "%s", load_err);
        return -1;
    }
    return 0;
}

const mongo_api *mongo_dl_get(void) { return loaded; }

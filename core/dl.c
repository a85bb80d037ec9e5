/* dl.c: see dl.h. */
#define _POSIX_C_SOURCE 200809L
#include "dl.h"
#include "util.h"

#include <dlfcn.h>
#include <string.h>

int dl_load(const char *soname, const dl_sym *syms, size_t n, void *table,
            char *err)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        err_set(err, "cannot load %s: %s", soname, why ? why : "not found");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        dlerror();
        void *p = dlsym(h, syms[i].name);
        if (!p) {
            err_set(err, "%s has no %s (too old?)", soname, syms[i].name);
            return -1;
        }
        /* POSIX guarantees a data pointer from dlsym converts to a
         * function pointer; memcpy keeps -Wpedantic quiet about it. */
        memcpy((char *)table + syms[i].offset, &p, sizeof p);
    }
    return 0;
}

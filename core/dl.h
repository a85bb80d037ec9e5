/* dl.h: loading a shared library at run time into a table of function
 * pointers, so a library only some commands need (libcurl, libmongoc)
 * costs nothing at process start. Each user keeps one list of the symbols
 * it needs (name -> offset of its pointer in the user's table).
 *
 * A library once loaded stays loaded until exit (no dlclose: leak reports
 * at exit and valgrind need its symbols). */
#ifndef CURATE_DL_H
#define CURATE_DL_H

#include <stddef.h>

typedef struct {
    const char *name;          /* symbol */
    size_t offset;             /* where its pointer goes in the table */
} dl_sym;

/* dlopen(soname) and fill every listed pointer in table. 0, or -1 + err
 * naming the library or the first missing symbol (the table is then left
 * partly filled and must not be used). */
int dl_load(const char *soname, const dl_sym *syms, size_t n, void *table,
            char *err);

#endif

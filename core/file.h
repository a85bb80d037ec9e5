/* file.h: whole-file reads and atomic writes. Errors name the file. */
#ifndef CURATE_FILE_H
#define CURATE_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Reads f to its end (name labels errors); NUL-terminated, *len (may be
 * NULL) gets the byte count. Caller frees. NULL + err. */
char *file_read_stream_new(FILE *f, const char *name, size_t *len, char *err);
/* Reads a whole file, as file_read_stream_new. Caller frees. NULL + err. */
char *file_read_new(const char *path, size_t *len, char *err);

/* Writes data to path atomically: outfile_write_all(path, data, len, 0,
 * err) (outfile.h: exclusive temp file beside it, no symlink or special
 * file replaced, mode and owner kept, new files 0600). 0 or -1 + err. */
int file_write_atomic(const char *path, const char *data, size_t len,
                      char *err);

#endif

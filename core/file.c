/* file.c: see file.h. */
#define _POSIX_C_SOURCE 200809L
#include "file.h"
#include "outfile.h"
#include "err.h"
#include "sbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *file_read_stream_new(FILE *f, const char *name, size_t *len, char *err)
{
    sbuf b = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sbuf_addn(&b, buf, n);
    if (ferror(f)) {
        err_set(err, "%s: read error: %s", name, strerror(errno));
        sbuf_free(&b);
        return NULL;
    }
    if (len) *len = b.len;
    return sbuf_take(&b);
}

char *file_read_new(const char *path, size_t *len, char *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *s = file_read_stream_new(f, path, len, err);
    fclose(f);
    return s;
}

int file_write_atomic(const char *path, const char *data, size_t len,
                      char *err)
{
    return outfile_write_all(path, data, len, 0, err);
}

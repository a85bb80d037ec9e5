/* file.c: see file.h. */
#define _POSIX_C_SOURCE 200809L
#include "file.h"
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
    sbuf tmp = {0};
    sbuf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        err_set(err, "%s: %s", path, strerror(errno));
        sbuf_free(&tmp);
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            err_set(err, "%s: write: %s", path, strerror(errno));
            close(fd);
            unlink(tmp.s);
            sbuf_free(&tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        err_set(err, "%s: %s", path, strerror(errno));
        unlink(tmp.s);
        sbuf_free(&tmp);
        return -1;
    }
    if (rename(tmp.s, path) != 0) {
        err_set(err, "%s: rename: %s", path, strerror(errno));
        unlink(tmp.s);
        sbuf_free(&tmp);
        return -1;
    }
    sbuf_free(&tmp);
    return 0;
}

/* outfile.c: see outfile.h. */
#define _POSIX_C_SOURCE 200809L
#include "outfile.h"
#include "err.h"
#include "hash.h"
#include "sbuf.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

int outfile_is_stdout(const char *path)
{
    return path && (strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0);
}

/* The folder of path ("." when it has none); caller frees. */
static char *dir_of_new(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return xstrdup(".");
    if (slash == path) return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

static const char *kind_of(mode_t m)
{
    return S_ISLNK(m) ? "a symbolic link" : S_ISDIR(m) ? "a directory"
           : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
           : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket"
           : "a special file";
}

int outfile_clean_stale(const char *path)
{
    char *dir = dir_of_new(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char prefix[1024];
    int plen = snprintf(prefix, sizeof prefix, "%s.tmp.", base);
    int removed = 0;
    DIR *d = plen > 0 && (size_t)plen < sizeof prefix ? opendir(dir) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, prefix, (size_t)plen) != 0) continue;
        char *end;
        long pid = strtol(e->d_name + plen, &end, 10);
        if (end == e->d_name + plen || *end != '.' || pid <= 0) continue;
        if (pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;  /* alive */
        sbuf f = {0};
        sbuf_addf(&f, "%s/%s", dir, e->d_name);
        struct stat st;
        /* only our own regular files (a backup's -journal included) */
        if (lstat(f.s, &st) == 0 && S_ISREG(st.st_mode) &&
            st.st_uid == geteuid() && unlink(f.s) == 0)
            removed++;
        sbuf_free(&f);
    }
    if (d) closedir(d);
    free(dir);
    return removed;
}

/* A random-enough suffix for the temporary name (O_EXCL does the rest). */
static unsigned suffix(unsigned attempt)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t h = hash_fnv1a(&ts, sizeof ts, HASH_FNV_SEED ^ (uint64_t)getpid());
    h = hash_fnv1a(&attempt, sizeof attempt, h);
    return (unsigned)(h & 0xffffff);
}

int outfile_open(outfile *o, const char *path, unsigned flags, char *err)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    if (!path || !*path) {
        err_set(err, "no output file given");
        return -1;
    }
    if (outfile_is_stdout(path)) {
        if (flags & OUTFILE_NO_REPLACE) {
            err_set(err, "%s: cannot write this to standard output", path);
            return -1;
        }
        o->path = xstrdup(path);
        o->fd = STDOUT_FILENO;
        o->flags = flags;
        return 0;
    }
    struct stat st;
    int exists = lstat(path, &st) == 0;
    if (!exists && errno != ENOENT) {
        err_set(err, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        err_set(err, "%s: exists and is %s: not replaced (give a regular "
                "file, or - for standard output)", path, kind_of(st.st_mode));
        return -1;
    }
    if (exists && (flags & OUTFILE_NO_REPLACE)) {
        err_set(err, "%s: already exists (refusing to overwrite)", path);
        return -1;
    }
    outfile_clean_stale(path);
    sbuf tmp = {0};
    int fd = -1;
    for (unsigned i = 0; i < 100 && fd < 0; i++) {
        tmp.len = 0;
        sbuf_addf(&tmp, "%s.tmp.%ld.%06x", path, (long)getpid(), suffix(i));
        fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        err_set(err, "%s: cannot create a temporary file beside it: %s", path,
                strerror(errno));
        sbuf_free(&tmp);
        return -1;
    }
    if (exists) {
        /* the replacement keeps the target's mode and owner */
        int bad = fchmod(fd, st.st_mode & 07777) != 0;
        if (!bad && (st.st_uid != geteuid() || st.st_gid != getegid()))
            bad = fchown(fd, st.st_uid, st.st_gid) != 0;
        if (bad) {
            err_set(err, "%s: belongs to another user or group (uid %ld, gid "
                    "%ld) and cannot be replaced with the same owner: not "
                    "replaced", path, (long)st.st_uid, (long)st.st_gid);
            close(fd);
            unlink(tmp.s);
            sbuf_free(&tmp);
            return -1;
        }
    }
    o->path = xstrdup(path);
    o->tmp = sbuf_take(&tmp);
    o->fd = fd;
    o->flags = flags;
    return 0;
}

int outfile_write(outfile *o, const void *data, size_t len, char *err)
{
    const char *p = data;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(o->fd, p + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            err_set(err, "%s: write: %s", o->tmp ? o->path : "stdout",
                    strerror(errno));
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

void outfile_close_fd(outfile *o)
{
    if (o->tmp && o->fd >= 0) close(o->fd);
    if (o->tmp) o->fd = -1;
}

static void release(outfile *o)
{
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
    o->fd = -1;
}

void outfile_abort(outfile *o)
{
    if (o->tmp) {
        if (o->fd >= 0) close(o->fd);
        unlink(o->tmp);
    }
    release(o);
}

int outfile_commit(outfile *o, char *err)
{
    if (!o->tmp) {   /* standard output: nothing to rename */
        release(o);
        return 0;
    }
    if (o->fd < 0) o->fd = open(o->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (o->fd < 0 || fsync(o->fd) != 0 || close(o->fd) != 0) {
        err_set(err, "%s: %s", o->path, strerror(errno));
        o->fd = -1;
        outfile_abort(o);
        return -1;
    }
    o->fd = -1;
    int rc;
    if (o->flags & OUTFILE_NO_REPLACE) {
        /* link() fails if the target appeared meanwhile: never clobbered */
        rc = link(o->tmp, o->path);
        if (rc != 0 && (errno == EPERM || errno == ENOTSUP || errno == EXDEV)) {
            /* no hard links here (FAT, some network file systems) */
            struct stat st;
            if (lstat(o->path, &st) == 0) errno = EEXIST;
            else rc = rename(o->tmp, o->path);
        } else if (rc == 0) {
            unlink(o->tmp);
        }
    } else {
        rc = rename(o->tmp, o->path);
    }
    if (rc != 0) {
        err_set(err, "%s: %s", o->path, errno == EEXIST
                ? "already exists (refusing to overwrite)" : strerror(errno));
        outfile_abort(o);
        return -1;
    }
    char *dir = dir_of_new(o->path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    release(o);
    return 0;
}

int outfile_write_all(const char *path, const char *data, size_t len,
                      unsigned flags, char *err)
{
    outfile o;
    if (outfile_open(&o, path, flags, err) < 0) return -1;
    if (outfile_write(&o, data, len, err) < 0) {
        outfile_abort(&o);
        return -1;
    }
    return outfile_commit(&o, err);
}

/* outfile.h: every file curate writes for the user (exports, backups, the
 * workbench's export actions) is written through here, so that a planted
 * symlink, a special file or a kill midway can do no harm:
 *
 *   - the data goes to a temporary file created exclusively
 *     (O_CREAT|O_EXCL|O_NOFOLLOW) in the target's folder, named
 *     "TARGET.tmp.PID.RANDOM", and is renamed over the target only when it
 *     is complete and synced: a reader (or a kill) sees the old file or the
 *     new one, never a part;
 *   - a target that exists and is not a regular file (a symlink, FIFO,
 *     device, directory) is refused, not replaced; "-" and "/dev/stdout"
 *     mean standard output;
 *   - an existing target keeps its mode and owner (when the owner cannot be
 *     kept the target is refused); a new one is created 0600 (exports hold
 *     customer chats) less whatever the umask removes;
 *   - temporary files of this target left by processes that no longer
 *     exist (a kill -9) are removed when the next one is opened.
 *
 * Errors: -1 and a message naming the path in err (ERR_MAX). */
#ifndef CURATE_OUTFILE_H
#define CURATE_OUTFILE_H

#include <stddef.h>

enum {
    OUTFILE_NO_REPLACE = 1   /* refuse a target that exists (backups) */
};

typedef struct {
    char *path;       /* the target */
    char *tmp;        /* the temporary file; NULL for standard output */
    int fd;           /* open on tmp (or standard output); -1 once closed */
    unsigned flags;
} outfile;

/* 1 when path names standard output ("-" or "/dev/stdout"). */
int outfile_is_stdout(const char *path);

/* Checks the target and creates the temporary file. 0 or -1 + err (then
 * *o holds nothing to release). */
int outfile_open(outfile *o, const char *path, unsigned flags, char *err);
/* Appends len bytes. 0 or -1 + err (the caller then calls outfile_abort). */
int outfile_write(outfile *o, const void *data, size_t len, char *err);
/* Closes the descriptor so another library (SQLite) can write o->tmp
 * itself; outfile_commit then reopens it to sync. */
void outfile_close_fd(outfile *o);
/* Syncs, renames the temporary file to the target (OUTFILE_NO_REPLACE: only
 * if the target still does not exist), syncs the folder, releases o.
 * 0 or -1 + err (the temporary file is removed, the target untouched). */
int outfile_commit(outfile *o, char *err);
/* Removes the temporary file and releases o. */
void outfile_abort(outfile *o);

/* open + write + commit of one buffer. */
int outfile_write_all(const char *path, const char *data, size_t len,
                      unsigned flags, char *err);

/* Removes the temporary files of target path left by dead processes;
 * returns how many. Called by outfile_open. */
int outfile_clean_stale(const char *path);

#endif

/* import_feed.c: see import_feed.h. A ring of FEED_BLOCKS blocks: the
 * parser fills the one at w while the storer reads the one at r; a block
 * changes hands under the mutex, its contents are touched by one side at a
 * time. A block keeps its conversations' strings end to end in one arena
 * (offsets while it fills, since the arena moves as it grows; pointers
 * once it is handed over). */
#define _POSIX_C_SOURCE 200809L
#include "import_feed.h"
#include "../core/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NO_META ((size_t)-1)
/* Conversations the parser checks between two looks at the ring: a few
 * hundred microseconds, against the storer's few ms per block. */
#define CHECK_STEP 64

typedef struct { int64_t ts; msg_role role; size_t sender, text; } packed_msg;

typedef struct {
    size_t id, seller, meta, msg0, nmsgs, line;
    uint64_t hash;
    convo c;                    /* built when the block is handed over */
} item;

typedef struct {
    sbuf arena;
    packed_msg *pm;
    convo_msg *cm;
    size_t nmsgs, msgs_cap, cm_cap;
    item *items;
    size_t n, cap;
    int end;                    /* 1: the file ends after it; -1: err */
    char err[ERR_MAX];
} block;

struct import_feed {
    import_jsonl_reader *r;
    int threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    block ring[FEED_BLOCKS];
    size_t w, rd, count;        /* under mu */
    int stop;                   /* under mu */
    /* The whole-file check: its own reader (NULL: none, or ended), its
     * state (0 running, 1 passed, -1 failed + chk_err), under mu; the
     * reader itself is the parser thread's (unthreaded: the caller's). */
    import_jsonl_reader *chk;
    int chk_state;
    char chk_err[ERR_MAX];
    pthread_cond_t checked;
    block *cur;                 /* the storer's block, and where it is */
    size_t pos;
    int end;                    /* unthreaded: as block.end */
    char err[ERR_MAX];
};

static size_t put(block *b, const char *s)
{
    size_t off = b->arena.len, n = strlen(s);
    sbuf_addn(&b->arena, s, n);
    b->arena.len++;             /* keep the NUL: strings end to end */
    return off;
}

static void pack(block *b, const convo *c, size_t line)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->items = xrealloc(b->items, b->cap * sizeof *b->items);
    }
    item *it = &b->items[b->n++];
    it->line = line;
    it->hash = convo_content_hash(c);
    it->id = put(b, c->id);
    it->seller = put(b, c->seller_id);
    it->meta = c->meta_json ? put(b, c->meta_json) : NO_META;
    it->msg0 = b->nmsgs;
    it->nmsgs = c->nmsgs;
    if (b->nmsgs + c->nmsgs > b->msgs_cap) {
        while (b->nmsgs + c->nmsgs > b->msgs_cap)
            b->msgs_cap = b->msgs_cap ? 2 * b->msgs_cap : 1024;
        b->pm = xrealloc(b->pm, b->msgs_cap * sizeof *b->pm);
    }
    for (size_t i = 0; i < c->nmsgs; i++) {
        const convo_msg *m = &c->msgs[i];
        packed_msg *p = &b->pm[b->nmsgs++];
        p->ts = m->ts;
        p->role = m->role;
        p->sender = put(b, m->sender);
        p->text = put(b, m->text);
    }
}

/* The arena stops moving: offsets become the conversations the storer
 * reads. */
static void seal(block *b)
{
    if (b->nmsgs > b->cm_cap) {
        b->cm_cap = b->nmsgs;
        b->cm = xrealloc(b->cm, b->cm_cap * sizeof *b->cm);
    }
    char *a = b->arena.s;
    for (size_t i = 0; i < b->nmsgs; i++) {
        b->cm[i].ts = b->pm[i].ts;
        b->cm[i].role = b->pm[i].role;
        b->cm[i].sender = a + b->pm[i].sender;
        b->cm[i].text = a + b->pm[i].text;
    }
    for (size_t i = 0; i < b->n; i++) {
        item *it = &b->items[i];
        it->c.id = a + it->id;
        it->c.seller_id = a + it->seller;
        it->c.meta_json = it->meta == NO_META ? NULL : a + it->meta;
        it->c.msgs = b->cm + it->msg0;
        it->c.nmsgs = it->c.cap = it->nmsgs;
    }
}

/* Fills b from the reader, up to a block's bounds or the end of the file
 * (b->end set: 1, or -1 with b->err). */
static void fill(import_feed *f, block *b)
{
    b->arena.len = 0;
    b->nmsgs = b->n = 0;
    b->end = 0;
    while (b->n < FEED_BLOCK_CONVS && b->arena.len < FEED_BLOCK_BYTES) {
        const convo *c;
        int got = import_jsonl_next(f->r, &c, b->err);
        if (got <= 0) {
            b->end = got == 0 ? 1 : -1;
            break;
        }
        pack(b, c, import_jsonl_line(f->r));
    }
    seal(b);
}

/* A block that held one huge conversation gives its memory back. */
static void trim(block *b)
{
    if (b->arena.cap > 4 * FEED_BLOCK_BYTES) {
        sbuf_free(&b->arena);
        free(b->pm);
        free(b->cm);
        b->pm = NULL;
        b->cm = NULL;
        b->msgs_cap = b->cm_cap = 0;
    }
}

/* Checks up to n more conversations (n < 0: to the end). Called without
 * mu; the state changes under it. */
static void check_some(import_feed *f, long n)
{
    const convo *c;
    int got = 1;
    char e[ERR_MAX];
    for (long i = 0; (n < 0 || i < n) && got == 1; i++)
        got = import_jsonl_next(f->chk, &c, e);
    if (got == 1) return;
    import_jsonl_close(f->chk);
    pthread_mutex_lock(&f->mu);
    f->chk = NULL;
    f->chk_state = got == 0 ? 1 : -1;
    if (got < 0) snprintf(f->chk_err, sizeof f->chk_err, "%s", e);
    pthread_cond_broadcast(&f->checked);
    pthread_mutex_unlock(&f->mu);
}

static void *parser_main(void *arg)
{
    import_feed *f = arg;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        while (f->count == FEED_BLOCKS && !f->stop) {
            if (f->chk) {           /* the ring is full: check meanwhile */
                pthread_mutex_unlock(&f->mu);
                check_some(f, CHECK_STEP);
                pthread_mutex_lock(&f->mu);
                continue;
            }
            pthread_cond_wait(&f->nonfull, &f->mu);
        }
        int stop = f->stop;
        block *b = &f->ring[f->w];
        pthread_mutex_unlock(&f->mu);
        if (stop) break;
        trim(b);
        fill(f, b);
        pthread_mutex_lock(&f->mu);
        f->w = (f->w + 1) % FEED_BLOCKS;
        f->count++;
        pthread_cond_signal(&f->nonempty);
        pthread_mutex_unlock(&f->mu);
        if (b->end) break;
    }
    /* The last block is out (or the parser stops): the rest of the check. */
    for (;;) {
        pthread_mutex_lock(&f->mu);
        int more = f->chk && !f->stop;
        pthread_mutex_unlock(&f->mu);
        if (!more) break;
        check_some(f, CHECK_STEP);
    }
    return NULL;
}

import_feed *import_feed_open(const char *path, int threaded, int check,
                              char *err)
{
    import_jsonl_reader *r = import_jsonl_open(path, err);
    if (!r) return NULL;
    import_jsonl_reader *chk = NULL;
    if (check && !(chk = import_jsonl_open(path, err))) {
        import_jsonl_close(r);
        return NULL;
    }
    import_feed *f = xcalloc(1, sizeof *f);
    f->r = r;
    f->chk = chk;
    f->chk_state = check ? 0 : 1;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->nonempty, NULL);
    pthread_cond_init(&f->nonfull, NULL);
    pthread_cond_init(&f->checked, NULL);
    f->threaded = threaded &&
                  pthread_create(&f->thread, NULL, parser_main, f) == 0;
    return f;
}

int import_feed_check_done(import_feed *f)
{
    pthread_mutex_lock(&f->mu);
    int done = f->chk_state != 0 || !f->threaded;
    pthread_mutex_unlock(&f->mu);
    return done;
}

int import_feed_check_wait(import_feed *f, char *err)
{
    if (!f->threaded && f->chk) check_some(f, -1);   /* here and now */
    pthread_mutex_lock(&f->mu);
    while (f->chk_state == 0) pthread_cond_wait(&f->checked, &f->mu);
    int st = f->chk_state;
    if (st < 0) err_set(err, "%s", f->chk_err);
    pthread_mutex_unlock(&f->mu);
    return st < 0 ? -1 : 0;
}

/* Unthreaded: the reader's conversation itself. */
static int next_inline(import_feed *f, const convo **c, uint64_t *hash,
                       size_t *line, char *err)
{
    int got = f->end ? (f->end < 0 ? -1 : 0) : import_jsonl_next(f->r, c, f->err);
    if (got == 1) {
        *hash = convo_content_hash(*c);
        *line = import_jsonl_line(f->r);
    } else {
        f->end = got == 0 ? 1 : -1;
        if (got < 0) err_set(err, "%s", f->err);
    }
    return got;
}

int import_feed_next(import_feed *f, const convo **c, uint64_t *hash,
                     size_t *line, char *err)
{
    if (!f->threaded) return next_inline(f, c, hash, line, err);
    for (;;) {
        block *b = f->cur;
        if (b && f->pos < b->n) {
            item *it = &b->items[f->pos++];
            *c = &it->c;
            *hash = it->hash;
            *line = it->line;
            return 1;
        }
        if (b && b->end) {      /* kept: every later call says the same */
            if (b->end < 0) err_set(err, "%s", b->err);
            return b->end < 0 ? -1 : 0;
        }
        pthread_mutex_lock(&f->mu);
        if (b) {                /* done with it: back to the parser */
            f->rd = (f->rd + 1) % FEED_BLOCKS;
            f->count--;
            pthread_cond_signal(&f->nonfull);
        }
        while (f->count == 0) pthread_cond_wait(&f->nonempty, &f->mu);
        f->cur = &f->ring[f->rd];
        f->pos = 0;
        pthread_mutex_unlock(&f->mu);
    }
}

void import_feed_close(import_feed *f)
{
    if (!f) return;
    if (f->threaded) {
        pthread_mutex_lock(&f->mu);
        f->stop = 1;
        pthread_cond_signal(&f->nonfull);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
    }
    import_jsonl_close(f->r);
    import_jsonl_close(f->chk);         /* a check the close cut short */
    for (int i = 0; i < FEED_BLOCKS; i++) {
        block *b = &f->ring[i];
        sbuf_free(&b->arena);
        free(b->pm);
        free(b->cm);
        free(b->items);
    }
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->nonempty);
    pthread_cond_destroy(&f->nonfull);
    pthread_cond_destroy(&f->checked);
    free(f);
}

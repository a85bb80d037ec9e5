/* ui_view.c: the queue's view (tab + filter + search) as a pool_filter
 * that owns its strings, for what outlives the queue: a bulk accept's
 * preview and job, an export's job. */
#define _POSIX_C_SOURCE 200809L
#include "ui_int.h"
#include "../../core/util.h"

#include <stdlib.h>
#include <string.h>

void ui_view_copy(ui_view *v, const pool_filter *f)
{
    memset(v, 0, sizeof *v);
    v->f = *f;
    const char **fields[] = {&v->f.search, &v->f.seller, &v->f.assigned_to,
                             &v->f.reviewer, &v->f.disagree_field};
    _Static_assert(sizeof fields / sizeof fields[0] ==
                   sizeof v->own / sizeof v->own[0], "one owned copy per string");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        v->own[i] = *fields[i] ? xstrdup(*fields[i]) : NULL;
        *fields[i] = v->own[i];
    }
}

void ui_view_clear(ui_view *v)
{
    for (size_t i = 0; i < sizeof v->own / sizeof v->own[0]; i++)
        free(v->own[i]);
    memset(v, 0, sizeof *v);
}

const pool_filter *ui_queue_view(ui *u)
{
    for (screen *s = u->top; s; s = s->below) {
        const pool_filter *f = screen_queue_filter(s);
        if (f) return f;
    }
    return NULL;
}


/* convo.c: see convo.h. */
#define _POSIX_C_SOURCE 200809L
#include "convo.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

convo *convo_new(const char *id, const char *seller_id)
{
    convo *c = xcalloc(1, sizeof *c);
    c->id = xstrdup(id ? id : "");
    c->seller_id = xstrdup(seller_id ? seller_id : "");
    return c;
}

void convo_free(convo *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nmsgs; i++) {
        free(c->msgs[i].sender);
        free(c->msgs[i].text);
    }
    free(c->msgs);
    free(c->id);
    free(c->seller_id);
    free(c->meta_json);
    free(c);
}

void convo_add_msg(convo *c, int64_t ts, const char *sender, msg_role role,
                   const char *text)
{
    if (c->nmsgs == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->msgs = xrealloc(c->msgs, c->cap * sizeof *c->msgs);
    }
    convo_msg *m = &c->msgs[c->nmsgs++];
    m->ts = ts;
    m->sender = xstrdup(sender ? sender : "");
    m->role = role;
    m->text = xstrdup(text ? text : "");
}

static const char *role_names[] = {"customer", "seller", "system"};

const char *convo_role_name(msg_role r)
{
    return (unsigned)r < 3 ? role_names[r] : "system";
}

int convo_role_parse(const char *s, msg_role *out)
{
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, role_names[i]) == 0) {
            *out = (msg_role)i;
            return 0;
        }
    return -1;
}

char *convo_transcript_new(const convo *c)
{
    static const char *label[] = {"Customer", "Seller", "System"};
    sbuf b = {0};
    for (size_t i = 0; i < c->nmsgs; i++) {
        const convo_msg *m = &c->msgs[i];
        char when[32];
        time_t t = (time_t)m->ts;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
        const char *who = label[(unsigned)m->role < 3 ? m->role : 2];
        if (m->sender[0] && strcmp(m->sender, who) != 0)
            sbuf_addf(&b, "[%s] %s (%s): %s\n", when, who, m->sender, m->text);
        else
            sbuf_addf(&b, "[%s] %s: %s\n", when, who, m->text);
    }
    return sbuf_take(&b);
}

uint64_t convo_content_hash(const convo *c)
{
    uint64_t h = hash_fnv1a(c->seller_id, strlen(c->seller_id) + 1, HASH_FNV_SEED);
    if (c->meta_json) h = hash_fnv1a(c->meta_json, strlen(c->meta_json) + 1, h);
    for (size_t i = 0; i < c->nmsgs; i++) {
        const convo_msg *m = &c->msgs[i];
        h = hash_fnv1a(&m->ts, sizeof m->ts, h);
        h = hash_fnv1a(&m->role, sizeof m->role, h);
        h = hash_fnv1a(m->sender, strlen(m->sender) + 1, h);
        h = hash_fnv1a(m->text, strlen(m->text) + 1, h);
    }
    return h;
}

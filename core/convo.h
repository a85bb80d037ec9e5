/* convo.h: a conversation and its messages, as every module sees it. */
#ifndef CURATE_CONVO_H
#define CURATE_CONVO_H

#include <stddef.h>
#include <stdint.h>

typedef enum { ROLE_CUSTOMER = 0, ROLE_SELLER = 1, ROLE_SYSTEM = 2 } msg_role;

typedef struct {
    int64_t ts;        /* epoch seconds, UTC */
    char *sender;      /* display name as written in the source */
    msg_role role;
    char *text;        /* UTF-8, untrusted */
} convo_msg;

typedef struct {
    char *id;
    char *seller_id;
    char *meta_json;   /* optional JSON object text, or NULL */
    convo_msg *msgs;
    size_t nmsgs, cap;
} convo;

/* Returns a new empty conversation; free with convo_free(). */
convo *convo_new(const char *id, const char *seller_id);
void convo_free(convo *c);
/* Copies sender and text. */
void convo_add_msg(convo *c, int64_t ts, const char *sender, msg_role role,
                   const char *text);

const char *convo_role_name(msg_role r);          /* "customer" ... */
int convo_role_parse(const char *s, msg_role *out); /* 0 or -1 */

/* The transcript as the model sees it, one line per message:
 * "[2024-05-01 10:02] Seller (Ana): text". Caller frees. */
char *convo_transcript_new(const convo *c);

/* Stable 64-bit hash of the content (seller, messages), used to tell
 * whether a re-import changes anything. */
uint64_t convo_content_hash(const convo *c);

#endif

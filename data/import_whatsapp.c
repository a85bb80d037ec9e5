/* import_whatsapp.c: WhatsApp chat exports (see import.h) and
 * import_detect(). One file is one conversation.
 *
 * Two passes over the bytes: pass 1 checks UTF-8 and every timestamp and
 * gathers the evidence for the date order (which needs the whole file);
 * pass 2 builds the messages, joining continuation lines, and collects the
 * participants. Roles, seller id and conversation id are decided last. */
#define _POSIX_C_SOURCE 200809L
#include "import.h"
#include "../core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bytes ------------------------------------------------------------ */

/* Invisible formatting marks WhatsApp sprinkles around names and texts:
 * LRM/RLM (U+200E/F), embeddings U+202A-E (Android wraps phone numbers in
 * them), isolates U+2066-9 and a stray BOM. Returns bytes at p, or 0. */
static size_t mark_at(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    if (n < 3) return 0;
    if (u[0] == 0xE2 && u[1] == 0x80 &&
        (u[2] == 0x8E || u[2] == 0x8F || (u[2] >= 0xAA && u[2] <= 0xAE)))
        return 3;
    if (u[0] == 0xE2 && u[1] == 0x81 && u[2] >= 0xA6 && u[2] <= 0xA9) return 3;
    if (u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) return 3;
    return 0;
}

/* Spaces: ASCII, NO-BREAK SPACE (C2 A0), NARROW NO-BREAK SPACE (E2 80 AF,
 * used by recent phones before AM/PM). Returns bytes at p, or 0. */
static size_t space_at(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    if (n >= 1 && (u[0] == ' ' || u[0] == '\t')) return 1;
    if (n >= 2 && u[0] == 0xC2 && u[1] == 0xA0) return 2;
    if (n >= 3 && u[0] == 0xE2 && u[1] == 0x80 && u[2] == 0xAF) return 3;
    return 0;
}

static size_t skip_spaces(const char *p, size_t n)
{
    size_t i = 0, k;
    while ((k = space_at(p + i, n - i)) > 0) i += k;
    return i;
}

/* Strips marks and spaces from both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    size_t k;
    while ((k = mark_at(*s, *n)) || (k = space_at(*s, *n))) { *s += k; *n -= k; }
    for (;;) {
        const char *e = *s + *n;
        if (*n >= 1 && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            k = 1;
        else if (*n >= 2 && space_at(e - 2, 2) == 2)
            k = 2;
        else if (*n >= 3 && (mark_at(e - 3, 3) || space_at(e - 3, 3) == 3))
            k = 3;
        else
            break;
        *n -= k;
    }
}

static int eq_fold(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn) return 0;
    for (size_t i = 0; i < an; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
        if (x != y) return 0;
    }
    return 1;
}

static int ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && memcmp(s + n - k, suf, k) == 0;
}

/* Appends s[0..n) for an error message, which goes to a terminal: C0
 * controls (ESC...), DEL, C1 controls, bidi controls and invalid bytes
 * appear as \xNN / \uNNNN instead of acting on it; at most max bytes of s,
 * cut on a character boundary, then "...". */
static void add_quoted(sbuf *out, const char *s, size_t n, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int d = utf8_decode(u + i, n - i, &cp);
        size_t k = d ? (size_t)d : 1;
        if (i + k > max) { sbuf_add(out, "..."); return; }
        if (!d || cp < 0x20 || cp == 0x7F) {
            sbuf_addf(out, "\\x%02x", u[i]);
            i++;
            continue;
        }
        if (cp < 0x80) { sbuf_addc(out, (char)cp); i++; continue; }
        if (cp < 0xA0 || (cp >= 0x202A && cp <= 0x202E) ||
            (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029)
            sbuf_addf(out, "\\u%04x", (unsigned)cp);
        else
            sbuf_addn(out, s + i, k);
        i += k;
    }
}

/* Lines: '\n' or "\r\n", a BOM before the first one. */
typedef struct {
    const char *data;
    size_t len, pos, lineno;
} line_iter;

static int next_line(line_iter *it, const char **s, size_t *n)
{
    if (it->pos >= it->len) return 0;
    if (it->pos == 0 && it->len >= 3 && memcmp(it->data, "\xEF\xBB\xBF", 3) == 0)
        it->pos = 3;
    const char *p = it->data + it->pos;
    const char *nl = memchr(p, '\n', it->len - it->pos);
    *n = nl ? (size_t)(nl - p) : it->len - it->pos;
    it->pos += *n + (nl ? 1 : 0);
    it->lineno++;
    if (*n && p[*n - 1] == '\r') (*n)--;
    *s = p;
    return 1;
}

/* ---- timestamps ------------------------------------------------------- */

typedef struct {
    int f1, f2, year;       /* date fields as written (day/month unknown) */
    int hour, min, sec;     /* hour already on the 24-hour clock */
    int twelve;             /* the line used AM/PM */
    size_t date_off, date_len, time_off, time_len;
    size_t len;             /* bytes of the whole header */
} wa_stamp;

static int digits(const char *p, size_t n, size_t *i, int lo, int hi, int *out)
{
    int v = 0, k = 0;
    while (*i < n && k < hi && p[*i] >= '0' && p[*i] <= '9') {
        v = v * 10 + (p[*i] - '0');
        (*i)++;
        k++;
    }
    if (k < lo || (*i < n && p[*i] >= '0' && p[*i] <= '9')) return -1;
    *out = v;
    return 0;
}

/* "AM", "pm", "a.m.", "a. m." (Spanish phones), spaces inside allowed. */
static size_t ampm_at(const char *p, size_t n, int *pm)
{
    size_t i = 0;
    if (n == 0) return 0;
    char c = (char)(p[0] | 0x20);
    if (c != 'a' && c != 'p') return 0;
    i = 1;
    if (i < n && p[i] == '.') i++;
    i += skip_spaces(p + i, n - i);
    if (i >= n || (p[i] | 0x20) != 'm') return 0;
    i++;
    if (i < n && p[i] == '.') i++;
    if (i < n && ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z')) return 0;
    *pm = c == 'p';
    return i;
}

/* Recognises the header of a message line, Android
 * "31/12/2023, 21:05 - " / "12/31/23, 9:05 PM - " or iOS
 * "[31/12/2023, 21:05:09] ". Date separators / . or -; year 2 or 4 digits.
 * Only the shape is checked here (a bad value is still a header). */
static int parse_stamp(const char *p, size_t n, wa_stamp *st)
{
    size_t i = 0;
    int bracket = n > 0 && p[0] == '[', pm = 0;
    i = (size_t)bracket;
    st->date_off = i;
    if (digits(p, n, &i, 1, 2, &st->f1) || i >= n) return -1;
    char sep = p[i];
    if (sep != '/' && sep != '.' && sep != '-') return -1;
    i++;
    if (digits(p, n, &i, 1, 2, &st->f2) || i >= n || p[i] != sep) return -1;
    i++;
    size_t y0 = i;
    if (digits(p, n, &i, 2, 4, &st->year) || i - y0 == 3) return -1;
    if (i - y0 == 2) st->year += 2000;
    st->date_len = i - st->date_off;
    if (i < n && p[i] == '.' && sep == '.') i++;      /* "31.12.23., 21:05" */
    if (i < n && p[i] == ',') i++;
    size_t sp = skip_spaces(p + i, n - i);
    if (!sp) return -1;
    i += sp;
    st->time_off = i;
    if (digits(p, n, &i, 1, 2, &st->hour) || i >= n || p[i] != ':') return -1;
    i++;
    if (digits(p, n, &i, 2, 2, &st->min)) return -1;
    st->sec = 0;
    if (i < n && p[i] == ':') {
        i++;
        if (digits(p, n, &i, 2, 2, &st->sec)) return -1;
    }
    size_t j = i + skip_spaces(p + i, n - i);
    size_t k = ampm_at(p + j, n - j, &pm);
    st->twelve = k > 0;
    if (k) i = j + k;
    st->time_len = i - st->time_off;
    if (bracket) {
        if (i >= n || p[i] != ']') return -1;
        i++;
        if (i < n && p[i] == ' ') i++;
    } else {
        i += skip_spaces(p + i, n - i);
        if (i >= n || p[i] != '-') return -1;
        i++;
        if (i < n && p[i] != ' ') return -1;
        if (i < n) i++;
    }
    st->len = i;
    /* 12-hour clock to 24: 12 AM is midnight, 12 PM noon; hour 0 or 13+
     * with AM/PM is left out of range for the caller to reject. */
    if (st->twelve)
        st->hour = st->hour >= 1 && st->hour <= 12
                       ? st->hour % 12 + (pm ? 12 : 0) : 99;
    return 0;
}

/* ---- pass 1: shape, UTF-8, date order --------------------------------- */

typedef struct {
    const char *src;
    char *err;
} ctx_t;

/* Strips leading marks (iOS puts U+200E before '[') and parses a header. */
static int line_stamp(const char *s, size_t n, wa_stamp *st, size_t *skip)
{
    size_t k, i = 0;
    while ((k = mark_at(s + i, n - i))) i += k;
    *skip = i;
    return parse_stamp(s + i, n - i, st);
}

static int is_blank(const char *s, size_t n)
{
    trim(&s, &n);
    return n == 0;
}

/* Decides the date order; returns 0 (DMY or MDY in *order; *guessed 1
 * when no date decided it) or -1 + err. */
static int scan(const ctx_t *cx, const char *data, size_t len,
                import_date_order want, import_date_order *order, int *guessed)
{
    *guessed = 0;
    line_iter it = {data, len, 0, 0};
    const char *s;
    size_t n, skip, dmy_line = 0, mdy_line = 0, nstamps = 0, stray = 0;
    int twelve = 0;
    wa_stamp st, dmy_st = {0}, mdy_st = {0};
    const char *dmy_s = NULL, *mdy_s = NULL;
    while (next_line(&it, &s, &n)) {
        size_t bad = utf8_bad_at(s, n);
        if (bad < n) {
            err_set(cx->err, "%s:%zu: invalid UTF-8 at column %zu", cx->src,
                    it.lineno, bad + 1);
            return -1;
        }
        if (line_stamp(s, n, &st, &skip) != 0) {
            if (!nstamps && !stray && !is_blank(s, n)) stray = it.lineno;
            continue;
        }
        nstamps++;
        const char *ds = s + skip + st.date_off;
        /* Impossible whichever field is the day. */
        if (st.f1 == 0 || st.f2 == 0 || st.f1 > 31 || st.f2 > 31 ||
            (st.f1 > 12 && st.f2 > 12)) {
            err_set(cx->err, "%s:%zu: bad date '%.*s'", cx->src, it.lineno,
                    (int)st.date_len, ds);
            return -1;
        }
        if (st.hour > 23 || st.min > 59 || st.sec > 59) {
            sbuf q = {0};   /* a tab may sit before AM/PM */
            add_quoted(&q, s + skip + st.time_off, st.time_len, 40);
            err_set(cx->err, "%s:%zu: bad time '%s'", cx->src, it.lineno,
                    q.s ? q.s : "");
            sbuf_free(&q);
            return -1;
        }
        twelve |= st.twelve;
        if (st.f1 > 12 && !dmy_line) { dmy_line = it.lineno; dmy_st = st; dmy_s = ds; }
        if (st.f2 > 12 && !mdy_line) { mdy_line = it.lineno; mdy_st = st; mdy_s = ds; }
    }
    if (!nstamps) {
        err_set(cx->err, "%s:1: not a WhatsApp chat export (no line starts "
                "with a date)", cx->src);
        return -1;
    }
    if (stray) {   /* text before the first message: wrong file, or cut */
        err_set(cx->err, "%s:%zu: not a WhatsApp chat export (line %zu does "
                "not start with a date)", cx->src, stray, stray);
        return -1;
    }
    if (want != DATE_AUTO) {
        *order = want;
        return 0;
    }
    if (dmy_line && mdy_line) {
        err_set(cx->err, "%s:%zu: dates mix day-first and month-first "
                "(line %zu has '%.*s', line %zu has '%.*s')", cx->src,
                dmy_line > mdy_line ? dmy_line : mdy_line, dmy_line,
                (int)dmy_st.date_len, dmy_s, mdy_line, (int)mdy_st.date_len,
                mdy_s);
        return -1;
    }
    /* Undecidable: US phones are the ones that export a 12-hour clock
     * with month-first dates; most of the world writes day first. */
    *order = dmy_line ? DATE_DMY : mdy_line ? DATE_MDY
           : twelve ? DATE_MDY : DATE_DMY;
    *guessed = !dmy_line && !mdy_line;
    return 0;
}

/* ---- pass 2: messages ------------------------------------------------- */

typedef struct {
    convo *c;
    sbuf text, sender;
    int open;               /* a message is being gathered */
    int64_t ts, first_local;
    msg_role role;
    char **names;           /* named participants, in order of appearance */
    size_t nnames;
} builder;

static void flush(builder *b)
{
    if (!b->open) return;
    /* Trailing blank lines end the file or separate nothing: not text. */
    while (b->text.len && (b->text.s[b->text.len - 1] == '\n' ||
                           b->text.s[b->text.len - 1] == ' ' ||
                           b->text.s[b->text.len - 1] == '\t'))
        b->text.len--;
    size_t lead = 0;    /* "Name: " then the text on the next line */
    while (lead < b->text.len && (b->text.s[lead] == '\n' ||
                                  b->text.s[lead] == ' ' ||
                                  b->text.s[lead] == '\t'))
        lead++;
    if (b->text.s) b->text.s[b->text.len] = '\0';
    convo_add_msg(b->c, b->ts, b->sender.s ? b->sender.s : "", b->role,
                  b->text.s ? b->text.s + lead : "");
    b->text.len = b->sender.len = 0;
    if (b->sender.s) b->sender.s[0] = '\0';
    b->open = 0;
}

static void add_name(builder *b, const char *s, size_t n)
{
    for (size_t i = b->nnames; i-- > 0;)
        if (strlen(b->names[i]) == n && memcmp(b->names[i], s, n) == 0) return;
    b->names = xrealloc(b->names, (b->nnames + 1) * sizeof *b->names);
    b->names[b->nnames++] = xstrndup(s, n);
}

static int starts_with(const char *s, size_t n, const char *pre)
{
    size_t k = strlen(pre);
    return n >= k && memcmp(s, pre, k) == 0;
}

/* iOS attributes the encryption notice to the contact or group name, as if
 * they had written it; it is a system line. */
static int is_system_text(const char *t, size_t n)
{
    return starts_with(t, n, "Messages and calls are end-to-end encrypted") ||
           starts_with(t, n, "Messages to this group are now secured") ||
           starts_with(t, n, "Messages to this chat and calls are now secured") ||
           starts_with(t, n, "Your security code with ");
}

/* Media placeholders differ by phone; store one spelling of each kind:
 * "<media omitted>" or "<attached: NAME>". t is the message's first line. */
static void add_first_line(sbuf *out, const char *t, size_t n)
{
    static const char *const omitted[] = {
        "<Media omitted>", "image omitted", "video omitted", "audio omitted",
        "sticker omitted", "GIF omitted", "document omitted",
        "Contact card omitted",
    };
    for (size_t i = 0; i < sizeof omitted / sizeof *omitted; i++)
        if (eq_fold(t, n, omitted[i], strlen(omitted[i]))) {
            sbuf_add(out, "<media omitted>");
            return;
        }
    /* iOS documents: "Itinerary.pdf • 3 pages <LRM>document omitted". */
    if (ends_with(t, n, "\xE2\x80\x8E" "document omitted")) {
        sbuf_add(out, "<media omitted>");
        return;
    }
    const char *name = NULL;
    size_t nn = 0;
    if (n > 12 && memcmp(t, "<attached: ", 11) == 0 && t[n - 1] == '>') {
        name = t + 11;                          /* iOS */
        nn = n - 12;
    } else if (ends_with(t, n, " (file attached)")) {
        name = t;                               /* Android, with media */
        nn = n - strlen(" (file attached)");
    }
    if (name) {
        trim(&name, &nn);
        sbuf_add(out, "<attached: ");
        sbuf_addn(out, name, nn);
        sbuf_addc(out, '>');
        return;
    }
    sbuf_addn(out, t, n);
}

/* Starts a message from what follows the header: "Name: text" or a
 * system line. Names end at the first ": " (a name with ": " in it is
 * cut there: rare, and nothing better is decidable). A "name" with quotes
 * is the start of a system line such as
 *   Ana changed the subject from "Lisbon" to "Lisbon: May"  */
static void start_message(builder *b, const char *r, size_t rn)
{
    size_t k;
    while ((k = mark_at(r, rn)) || (k = space_at(r, rn))) { r += k; rn -= k; }
    const char *colon = NULL;
    for (size_t i = 0; i + 1 < rn; i++)
        if (r[i] == ':' && r[i + 1] == ' ') { colon = r + i; break; }
    b->role = ROLE_SYSTEM;
    b->open = 1;
    if (colon) {
        const char *name = r, *t = colon + 2;
        size_t nn = (size_t)(colon - r), tn = rn - nn - 2;
        trim(&name, &nn);
        while ((k = mark_at(t, tn))) { t += k; tn -= k; }
        int quoted = 0;
        for (size_t i = 0; i < nn && !quoted; i++)   /* " or U+201C */
            quoted = name[i] == '"' || starts_with(name + i, nn - i, "\xE2\x80\x9C");
        if (nn && !quoted && !is_system_text(t, tn)) {
            b->role = ROLE_CUSTOMER;    /* sellers are picked out at the end */
            sbuf_addn(&b->sender, name, nn);
            add_name(b, name, nn);
            trim(&t, &tn);
            add_first_line(&b->text, t, tn);
            return;
        }
        if (nn && !quoted) { r = t; rn = tn; }  /* drop the name iOS put there */
    }
    sbuf_addn(&b->text, r, rn);
}

static int build(const ctx_t *cx, const char *data, size_t len,
                 import_date_order order, int tz_min, builder *b)
{
    line_iter it = {data, len, 0, 0};
    const char *s;
    size_t n, skip, k;
    wa_stamp st;
    while (next_line(&it, &s, &n)) {
        if (line_stamp(s, n, &st, &skip) != 0) {
            if (!b->open) continue;     /* leading blank lines */
            while ((k = mark_at(s, n))) { s += k; n -= k; }
            sbuf_addc(&b->text, '\n');
            sbuf_addn(&b->text, s, n);
            continue;
        }
        int mdy = order == DATE_MDY;
        int d = mdy ? st.f2 : st.f1, m = mdy ? st.f1 : st.f2;
        if (m < 1 || m > 12 || d > date_days_in_month(st.year, m)) {
            err_set(cx->err, "%s:%zu: bad date '%.*s' (read as %s)", cx->src,
                    it.lineno, (int)st.date_len, s + skip + st.date_off,
                    mdy ? "month/day/year" : "day/month/year");
            return -1;
        }
        flush(b);
        int64_t local = date_days_from_civil(st.year, m, d) * 86400 +
                        st.hour * 3600 + st.min * 60 + st.sec;
        if (!b->c->nmsgs) b->first_local = local;
        b->ts = local - (int64_t)tz_min * 60;
        start_message(b, s + skip + st.len, n - skip - st.len);
    }
    flush(b);
    return 0;
}

/* ---- roles and ids ---------------------------------------------------- */

static void list_names(sbuf *out, const builder *b)
{
    if (!b->nnames) sbuf_add(out, "(none)");
    for (size_t i = 0; i < b->nnames; i++) {
        if (out->len > 360) {   /* leave room for the advice in ERR_MAX */
            sbuf_addf(out, " and %zu more", b->nnames - i);
            break;
        }
        sbuf_addf(out, "%s\"", i ? ", " : "");
        add_quoted(out, b->names[i], strlen(b->names[i]), 40);
        sbuf_addc(out, '"');
    }
}

/* Marks the sellers' messages; returns the index of the first seller in
 * b->names, or -1 + err listing the participants. */
static int assign_roles(const ctx_t *cx, builder *b, const import_wa_opts *o)
{
    sbuf msg = {0};
    size_t nsel = o ? o->nsellers : 0;
    if (!nsel) {
        sbuf_addf(&msg, "%s: who is the seller? Participants: ", cx->src);
        list_names(&msg, b);
        sbuf_add(&msg, ". Use --seller NAME");
        err_set(cx->err, "%s", msg.s);
        sbuf_free(&msg);
        return -1;
    }
    char *is_seller = xcalloc(b->nnames + 1, 1);
    int first = -1;
    for (size_t i = 0; i < nsel; i++) {
        const char *sn = o->sellers[i] ? o->sellers[i] : "";
        size_t sl = strlen(sn), j;
        trim(&sn, &sl);
        for (j = 0; j < b->nnames; j++)
            if (eq_fold(b->names[j], strlen(b->names[j]), sn, sl)) break;
        if (j == b->nnames) {
            sbuf_addf(&msg, "%s: seller \"", cx->src);
            add_quoted(&msg, sn, sl, 40);
            sbuf_add(&msg, "\" is not a participant. Participants: ");
            list_names(&msg, b);
            sbuf_add(&msg, ". Use --seller NAME");
            err_set(cx->err, "%s", msg.s);
            sbuf_free(&msg);
            free(is_seller);
            return -1;
        }
        is_seller[j] = 1;
        if (first < 0) first = (int)j;
    }
    for (size_t i = 0; i < b->c->nmsgs; i++) {
        convo_msg *m = &b->c->msgs[i];
        if (m->role == ROLE_SYSTEM) continue;
        for (size_t j = 0; j < b->nnames; j++)
            if (is_seller[j] && strcmp(m->sender, b->names[j]) == 0) {
                m->role = ROLE_SELLER;
                break;
            }
    }
    free(is_seller);
    return first;
}

/* The default conversation id hashes the seller's name (as the file
 * writes it, not --seller-id: importing the same file with another or no
 * --seller-id is the same conversation), the first message
 * (local time as written, so --tz does not change it; its text) and the
 * participants. It ignores the file name and everything after the first
 * message, so re-importing the same chat, or a later and longer export of
 * it, lands on the same id. A group where someone speaks for the first time
 * after the earlier export gets a new id: that is a different set of
 * speakers. */
static void default_id(const builder *b, const char *seller_name, char *out,
                       size_t outsz)
{
    char tbuf[32];
    const convo_msg *m = &b->c->msgs[0];
    uint64_t h = hash_fnv1a(seller_name, strlen(seller_name) + 1, HASH_FNV_SEED);
    snprintf(tbuf, sizeof tbuf, "%lld", (long long)b->first_local);
    h = hash_fnv1a(tbuf, strlen(tbuf) + 1, h);
    h = hash_fnv1a(m->text, strlen(m->text) + 1, h);
    for (size_t i = 0; i < b->nnames; i++)
        h = hash_fnv1a(b->names[i], strlen(b->names[i]) + 1, h);
    snprintf(out, outsz, "wa-%016llx", (unsigned long long)h);
}

int import_whatsapp(const char *data, size_t len, const char *src,
                    const import_wa_opts *opts, import_fn fn, void *ctx,
                    char *err)
{
    ctx_t cx = {src ? src : "(input)", err};
    import_date_order order;
    int guessed;
    if (opts && opts->guessed) *opts->guessed = DATE_AUTO;
    if (scan(&cx, data, len, opts ? opts->order : DATE_AUTO, &order, &guessed) != 0)
        return -1;
    if (guessed && opts && opts->guessed) *opts->guessed = order;
    builder b = {0};
    b.c = convo_new(NULL, NULL);
    int rc = build(&cx, data, len, order, opts ? opts->tz_offset_min : 0, &b);
    int first = rc == 0 ? assign_roles(&cx, &b, opts) : -1;
    if (first >= 0) {
        const char *sid = opts->seller_id && opts->seller_id[0]
                              ? opts->seller_id : b.names[first];
        char idbuf[32];
        const char *id = opts->id;
        if (!id || !id[0]) {
            default_id(&b, b.names[first], idbuf, sizeof idbuf);
            id = idbuf;
        }
        free(b.c->id);
        free(b.c->seller_id);
        b.c->id = xstrdup(id);
        b.c->seller_id = xstrdup(sid);
        if (err) err[0] = '\0';
        if (fn && fn(b.c, ctx, err) != 0) {
            if (err && !err[0]) err_set(err, "%s: import stopped", cx.src);
            rc = -1;
        }
    } else {
        rc = -1;
    }
    for (size_t i = 0; i < b.nnames; i++) free(b.names[i]);
    free(b.names);
    sbuf_free(&b.text);
    sbuf_free(&b.sender);
    convo_free(b.c);
    return rc;
}

/* ---- detection -------------------------------------------------------- */

static int has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), k = strlen(ext);
    return n > k && eq_fold(path + n - k, k, ext, k);
}

int import_detect(const char *path, const char *data, size_t len)
{
    if (path && (has_ext(path, ".jsonl") || has_ext(path, ".ndjson")))
        return 1;
    size_t i = 0;
    if (!data) len = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' ||
                       data[i] == '\n'))
        i++;
    if (i < len && data[i] == '{') return 1;
    if (path && has_ext(path, ".txt")) return 2;
    const char *nl = i < len ? memchr(data + i, '\n', len - i) : NULL;
    size_t n = nl ? (size_t)(nl - (data + i)) : len - i, skip;
    wa_stamp st;
    if (i < len && line_stamp(data + i, n, &st, &skip) == 0) return 2;
    return 0;
}

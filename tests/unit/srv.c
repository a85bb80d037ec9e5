/* srv.c: see srv.h. */
#define _POSIX_C_SOURCE 200809L
#include "srv.h"
#include "test.h"
#include "../../core/util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int srv_start(srv *s, const char *args)
{
    const char *dir = test_tmpdir();
    char portfile[512], pidfile[512];
    snprintf(portfile, sizeof portfile, "%s/port", dir);
    snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
    remove(portfile);
    if (test_sh("/usr/bin/python3 tests/peers/llm_server.py --port 0 "
                "--portfile '%s' %s >'%s/server.log' 2>&1 & echo $! >'%s'",
                portfile, args, dir, pidfile) != 0)
        return -1;
    FILE *f = fopen(pidfile, "r");
    if (!f || fscanf(f, "%d", &s->pid) != 1) {
        if (f) fclose(f);
        return -1;
    }
    fclose(f);
    int port = 0;
    for (int i = 0; i < 600 && !port; i++) {          /* up to 30 s */
        f = fopen(portfile, "r");
        if (f) {
            if (fscanf(f, "%d", &port) != 1) port = 0;
            fclose(f);
        }
        if (!port) usleep(50000);
    }
    if (!port) {
        test_sh("kill %d 2>/dev/null", s->pid);
        return -1;
    }
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", port);
    snprintf(s->v1, sizeof s->v1, "%s/v1", s->base);
    return 0;
}

void srv_stop(srv *s)
{
    /* The server is orphaned (its shell exited), so once it exits it may
     * stay a zombie until init reaps it: gone or 'Z' both mean done. */
    if (s->pid > 0)
        test_sh("kill %d 2>/dev/null; for i in $(seq 200); do "
                "st=$(awk '{print $3}' /proc/%d/stat 2>/dev/null); "
                "[ -z \"$st\" ] || [ \"$st\" = Z ] && exit 0; sleep 0.02; "
                "done", s->pid, s->pid);
    s->pid = 0;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
    sbuf_addn(ud, p, sz * n);
    return sz * n;
}

/* GET (body NULL) or POST path; returns the parsed JSON reply. */
cJSON *srv_http(const srv *s, const char *path, const char *body)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", s->base, path);
    CURL *e = curl_easy_init();
    sbuf out = {0};
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
    if (body) curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_perform(e);
    curl_easy_cleanup(e);
    cJSON *j = cJSON_Parse(out.s ? out.s : "");
    sbuf_free(&out);
    return j;
}

int srv_stat(const srv *s, const char *name)
{
    cJSON *j = srv_http(s, "/stats", NULL);
    const cJSON *v = cJSON_GetObjectItem(j, name);
    int n = cJSON_IsNumber(v) ? v->valueint : -1;
    cJSON_Delete(j);
    return n;
}

void srv_control(const srv *s, const char *json)
{
    cJSON_Delete(srv_http(s, "/control", json));
}

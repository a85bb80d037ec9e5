/* srv.h: the loopback OpenAI-compatible server (tests/peers/llm_server.py)
 * as the unit tests drive it: started on a free port in test_tmpdir() (its
 * output in server.log there), queried and steered over HTTP, stopped. */
#ifndef CURATE_TEST_SRV_H
#define CURATE_TEST_SRV_H

#include <cjson/cJSON.h>

typedef struct {
    int pid;
    char base[128];     /* http://127.0.0.1:PORT */
    char v1[160];       /* .../v1 */
} srv;

/* Starts the server with extra command-line args; 0 or -1. */
int srv_start(srv *s, const char *args);
void srv_stop(srv *s);
/* GET (body NULL) or POST path; returns the parsed JSON reply (caller
 * frees with cJSON_Delete), or NULL. */
cJSON *srv_http(const srv *s, const char *path, const char *body);
/* A number from GET /stats ("requests", "max_in_flight"), or -1. */
int srv_stat(const srv *s, const char *name);
/* POST /control with a JSON body (mode, latency_ms, script ...). */
void srv_control(const srv *s, const char *json);

#endif

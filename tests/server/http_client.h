/* Test harness: a real eynid on loopback and a small JSON-over-HTTP client (libcurl). */
#ifndef EYNI_TEST_HTTP_CLIENT_H
#define EYNI_TEST_HTTP_CLIENT_H

#include <sys/types.h>

#include "eyni/base.h"

typedef struct test_server {
    char data[4096];
    char port_file[4200];
    pid_t pid;
    int port;
    char admin_token[128];
} test_server;

/* Runs `eyni init` on a fresh data folder (unless data is given) and starts eynid on
 * 127.0.0.1 with a free port; waits (at most 20 s) until it answers /health. */
void test_server_start(test_server *s, const char *tag, const char *data);
/* SIGTERM and wait; or SIGKILL with hard != 0. */
void test_server_stop(test_server *s, int hard);
/* Runs an `eyni` command line (argv without the program name); returns its exit code and
 * its stdout in *out (caller frees) when out is not NULL. */
int test_cli(char **out, const char *const *args);

typedef struct http_reply {
    long status;
    json_t *json; /* parsed body, or NULL */
} http_reply;

/* method path [token] [purpose] [body]; the reply's json is owned by the caller. */
http_reply http_call(const test_server *s, const char *method, const char *path, const char *token,
                     const char *purpose, const char *body);
/* The same with any content type and a body of len bytes (binary, e.g. multipart). */
http_reply http_call_raw(const test_server *s, const char *method, const char *path,
                         const char *token, const char *purpose, const char *content_type,
                         const void *body, size_t len);
void http_reply_free(http_reply *r);
/* Base64 of a file under the shared test data (caller frees); fails the test when unreadable. */
char *test_b64_file(const char *rel);
/* The first n LFW persons (folder names, sorted) that have images 0001 and 0002; returns how
 * many were found (at most n). */
int test_lfw_people(char (*names)[128], int n);
/* A cmocka teardown for a calloc'ed test_server in *state: stops its eynid (also after a failed
 * assertion, so no eynid outlives the test) and frees it. */
int test_server_teardown(void **state);
/* A new key for agency/role made by the administrator; caller frees the token. */
char *test_make_key(const test_server *s, const char *agency, const char *role);

#endif

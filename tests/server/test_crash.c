/* kill -9 of eynid in the middle of a stream of writes loses no acknowledged write and
 * leaves the database and its audit chain consistent. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eyni/register.h"
#include "http_client.h"
#include "testutil.h"

#define WRITERS 3
#define MAX_WRITES 400 /* per writer: the loop is bounded even if the kill never comes */

typedef struct writer {
    test_server *srv;
    const char *token;
    int id;
    char fins[MAX_WRITES][16];
    char names[MAX_WRITES][32];
    int acked;
    volatile int *stop;
} writer;

/* A surname made of letters only, unique per writer and sequence number. */
static void name_of(int writer_id, int seq, char *out, size_t cap)
{
    char s[16];
    int n = 0, v = writer_id * 1000 + seq;
    do {
        s[n++] = (char)('a' + v % 26);
        v /= 26;
    } while (v);
    snprintf(out, cap, "Crash%.*s", n, s);
}

static void *write_loop(void *p)
{
    writer *w = p;
    time_t until = time(NULL) + 60;
    for (int i = 0; i < MAX_WRITES && !*w->stop && time(NULL) < until; i++) {
        char name[32], body[256];
        name_of(w->id, i, name, sizeof name);
        snprintf(body, sizeof body,
                 "{\"surname\":\"%s\",\"given_name\":\"Test\",\"birth_date\":\"1999-09-09\","
                 "\"sex\":\"X\"}",
                 name);
        http_reply r = http_call(w->srv, "POST", "/v1/persons", w->token, "crash test", body);
        if (r.status == 201) {
            snprintf(w->fins[w->acked], 16, "%s", json_string_value(json_object_get(r.json, "fin")));
            snprintf(w->names[w->acked], 32, "%s", name);
            w->acked++;
        } else if (r.status == 0) {
            http_reply_free(&r);
            break; /* the server is gone */
        }
        http_reply_free(&r);
    }
    return NULL;
}

static int total_acked(writer *w)
{
    int n = 0;
    for (int i = 0; i < WRITERS; i++)
        n += w[i].acked;
    return n;
}

static void killed_server_loses_no_acknowledged_write(void **state)
{
    test_server srv;
    memset(&srv, 0, sizeof srv);
    test_server_start(&srv, "crash", NULL);
    char *token = test_make_key(&srv, "CRASH", "registrar");
    volatile int stop = 0;
    writer *w = calloc(WRITERS, sizeof *w);
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer){.srv = &srv, .token = token, .id = i, .stop = &stop};
        pthread_create(&t[i], NULL, write_loop, &w[i]);
    }
    /* Kill once writes are flowing, while requests are in flight. */
    for (int i = 0; i < 600 && total_acked(w) < 60; i++) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_true(total_acked(w) >= 60);
    test_server_stop(&srv, 1);
    stop = 1;
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);
    int acked = total_acked(w);
    print_message("acknowledged before kill -9: %d\n", acked);

    test_server_start(&srv, "crash", srv.data);
    for (int i = 0; i < WRITERS; i++) {
        for (int k = 0; k < w[i].acked; k++) {
            char path[128];
            snprintf(path, sizeof path, "/v1/persons/%s", w[i].fins[k]);
            http_reply r = http_call(&srv, "GET", path, token, "crash check", NULL);
            assert_int_equal(r.status, 200);
            assert_string_equal(json_string_value(json_object_get(r.json, "surname")),
                                w[i].names[k]);
            http_reply_free(&r);
            snprintf(path, sizeof path, "/v1/persons?surname=%s", w[i].names[k]);
            r = http_call(&srv, "GET", path, token, "crash check", NULL);
            assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 1);
            http_reply_free(&r);
        }
    }
    test_server_stop(&srv, 0);

    /* The database itself is consistent and the audit chain intact. */
    char uri[4200];
    snprintf(uri, sizeof uri, "sqlite:%s/eyni.db", srv.data);
    eyni_register_opts o = {uri, 1, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL};
    eyni_register *reg = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_open(&o, &reg, &err), 0);
    assert_int_equal(eyni_store_check(eyni_register_store(reg), &err), 0);
    eyni_actor aud;
    eyni_actor_local(&aud, "TEST", "");
    json_t *v = NULL;
    assert_int_equal(eyni_register_audit_verify(reg, &aud, &v, &err), 0);
    assert_true(json_is_true(json_object_get(v, "ok")));
    json_decref(v);
    eyni_register_close(reg);
    free(token);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(killed_server_loses_no_acknowledged_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

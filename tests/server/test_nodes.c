/* Three eynid nodes on one PostgreSQL database: enrolments spread over the nodes, every
 * node identifies every enrolled person, and a node killed with kill -9 mid-traffic loses
 * nothing acknowledged, duplicates nothing and catches up after its restart. Runs only on
 * PostgreSQL (EYNI_TEST_STORE=postgresql); SQLite is one process by design. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eyni/register.h"
#include "http_client.h"
#include "store_fixture.h"
#include "testutil.h"

#define NODES    3
#define PER_NODE 5 /* enrolments each writer attempts */
#define LFW      "lfw-a-gray-dev/images"

typedef struct person {
    char lfw[128];    /* LFW folder of the person */
    char surname[32]; /* unique, letters only */
    char fin[16];     /* set when the enrolment was acknowledged */
} person;

typedef struct writer {
    test_server *node;
    const char *token;
    person *people;
    int acked;
    int refused; /* 422 quality gate, or 201 "possible" held for adjudication: no FIN */
    int errors;  /* any other answer (asserted on in the main thread) */
    int done;
} writer;

static char *face_samples(const person *p)
{
    char rel[300];
    snprintf(rel, sizeof rel, LFW "/%s/%s_0001.jpg", p->lfw, p->lfw);
    char *img = test_b64_file(rel);
    json_t *s = json_pack("[{s:s, s:s}]", "modality", "face", "image", img);
    free(img);
    char *out = json_dumps(s, JSON_COMPACT);
    json_decref(s);
    return out;
}

/* The first n LFW persons (sorted) with images 0001 and 0002, with surnames of letters. */
static void pick_people(person *out, int n)
{
    char names[64][128];
    assert_true(n <= 64);
    int got = test_lfw_people(names, n);
    assert_int_equal(got, n);
    for (int i = 0; i < got; i++) {
        snprintf(out[i].lfw, sizeof out[i].lfw, "%s", names[i]);
        snprintf(out[i].surname, sizeof out[i].surname, "Node%c%c", 'a' + i / 26, 'a' + i % 26);
    }
}

static void *enrol_loop(void *arg)
{
    writer *w = arg;
    for (int i = 0; i < PER_NODE; i++) {
        person *p = &w->people[i];
        char *samples = face_samples(p);
        size_t cap = strlen(samples) + 512;
        char *body = malloc(cap);
        snprintf(body, cap,
                 "{\"person\":{\"surname\":\"%s\",\"given_name\":\"Test\",\"birth_date\":"
                 "\"1970-01-01\",\"sex\":\"M\",\"citizenship\":\"AZE\"},\"samples\":%s}",
                 p->surname, samples);
        free(samples);
        http_reply r = http_call(w->node, "POST", "/v1/enrolments", w->token, "nodes test", body);
        free(body);
        long status = r.status;
        if (status == 201 &&
            !strcmp(json_string_value(json_object_get(r.json, "status")), "unique")) {
            snprintf(p->fin, sizeof p->fin, "%s",
                     json_string_value(json_object_get(r.json, "fin")));
            __atomic_add_fetch(&w->acked, 1, __ATOMIC_SEQ_CST);
        } else if (status == 422 || status == 201) {
            w->refused++; /* quality gate, or held for adjudication (no FIN yet) */
        } else if (status != 0) {
            print_message("enrolment of %s (%s) answered %ld\n", p->surname, p->lfw, status);
            w->errors++;
        }
        http_reply_free(&r);
        if (status == 0)
            break; /* the node is gone */
    }
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static long long gallery_samples(test_server *node)
{
    http_reply r = http_call(node, "GET", "/ready", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    long long n =
        json_integer_value(json_object_get(json_object_get(r.json, "gallery"), "samples"));
    http_reply_free(&r);
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *top_fin(test_server *node, const char *token, const person *p)
{
    static __thread char fin[16];
    char *samples = face_samples(p);
    size_t cap = strlen(samples) + 64;
    char *body = malloc(cap);
    snprintf(body, cap, "{\"samples\":%s,\"top\":1}", samples);
    free(samples);
    http_reply r = http_call(node, "POST", "/v1/identify", token, "nodes test", body);
    free(body);
    assert_int_equal(r.status, 200);
    json_t *c = json_array_get(json_object_get(r.json, "candidates"), 0);
    snprintf(fin, sizeof fin, "%s", c ? json_string_value(json_object_get(c, "fin")) : "");
    http_reply_free(&r);
    return fin;
}

static void three_nodes_share_one_register(void **state)
{
    if (!fixture_on_pg()) /* CMake registers this test on PostgreSQL only */
        fail_msg("server/nodes needs EYNI_TEST_STORE=postgresql");
    char *uri = fixture_store_uri("nodes");
    char *dir = eyni_test_tmpdir("nodes");
    test_server *node = *state;
    /* One initialisation; the other nodes get a copy of its configuration and keys. */
    char data[NODES][4200], cmd[9000];
    for (int i = 0; i < NODES; i++)
        snprintf(data[i], sizeof data[i], "%s/node%d", dir, i + 1);
    const char *init[] = {"init",     "--data",      data[0],           "--store", uri,
                          "--listen", "127.0.0.1:0", "--opening-stock", "10",      NULL};
    assert_int_equal(test_cli(NULL, init), 0);
    for (int i = 1; i < NODES; i++) {
        snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", data[0], data[i]);
        assert_int_equal(system(cmd), 0);
    }
    for (int i = 0; i < NODES; i++)
        test_server_start(&node[i], "nodes", data[i]);
    char *clerk = test_make_key(&node[0], "ASAN", "registrar");
    char *border = test_make_key(&node[1], "DSX", "border");

    person people[NODES * PER_NODE];
    memset(people, 0, sizeof people);
    pick_people(people, NODES * PER_NODE);
    writer w[NODES];
    pthread_t t[NODES];
    for (int i = 0; i < NODES; i++) {
        w[i] = (writer){&node[i], clerk, &people[i * PER_NODE], 0, 0, 0, 0};
        pthread_create(&t[i], NULL, enrol_loop, &w[i]);
    }
    /* kill -9 the third node once it has acknowledged some and while others still write. */
    for (int i = 0; i < 1200 && __atomic_load_n(&w[2].acked, __ATOMIC_SEQ_CST) < 2; i++)
        sleep_ms(100);
    assert_true(w[2].acked >= 2);
    test_server_stop(&node[2], 1);
    for (int i = 0; i < NODES; i++)
        pthread_join(t[i], NULL);
    int acked = 0;
    for (int i = 0; i < NODES; i++)
        acked += w[i].acked;
    print_message("acknowledged enrolments: %d (node 3 killed after %d)\n", acked, w[2].acked);
    for (int i = 0; i < NODES; i++)
        assert_int_equal(w[i].errors, 0);
    for (int i = 0; i < 2; i++) /* the nodes left running answered every request */
        assert_int_equal(w[i].acked + w[i].refused, PER_NODE);

    /* The restarted node loads everything, including what others enrolled while it was down. */
    test_server_start(&node[2], "nodes", data[2]);
    long long want = gallery_samples(&node[0]);
    assert_true(want >= acked);
    for (int i = 0; i < 100 && gallery_samples(&node[2]) < want; i++)
        sleep_ms(100);
    assert_int_equal(gallery_samples(&node[2]), want);

    /* Every node finds every acknowledged person. */
    for (int n = 0; n < NODES; n++)
        for (int i = 0; i < NODES * PER_NODE; i++)
            if (people[i].fin[0])
                assert_string_equal(top_fin(&node[n], border, &people[i]), people[i].fin);

    /* A change on one node reaches the others' galleries with no request to them: /ready
     * does not sync, so only the follower (woken by NOTIFY) can have applied it. */
    enum { EXTRA = 6 };
    person extra[NODES * PER_NODE + EXTRA];
    memset(extra, 0, sizeof extra);
    pick_people(extra, NODES * PER_NODE + EXTRA);
    long long before = gallery_samples(&node[1]);
    struct timespec t0, t1;
    long status = 0;
    for (int k = NODES * PER_NODE; k < NODES * PER_NODE + EXTRA && status != 201; k++) {
        char *samples = face_samples(&extra[k]);
        size_t cap = strlen(samples) + 512;
        char *body = malloc(cap);
        snprintf(body, cap,
                 "{\"person\":{\"surname\":\"Nodez%c\",\"given_name\":\"Test\","
                 "\"birth_date\":\"1970-01-01\",\"sex\":\"M\",\"citizenship\":\"AZE\"},"
                 "\"samples\":%s}",
                 'a' + k % 26, samples);
        free(samples);
        http_reply r = http_call(&node[0], "POST", "/v1/enrolments", clerk, "nodes test", body);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        free(body);
        status = r.status;
        http_reply_free(&r);
    }
    assert_int_equal(status, 201);
    int seen = 0;
    for (int i = 0; i < 30000 && !seen; i++) {
        seen = gallery_samples(&node[1]) > before;
        if (!seen)
            sleep_ms(1);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(seen);
    print_message("propagation to another node's gallery: %.1f ms after the acknowledgement\n",
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);

    /* Nothing acknowledged lost, nothing duplicated; the audit chain and the database hold. */
    eyni_store_opts so = {1, 0};
    eyni_store *s = NULL;
    eyni_error err;
    assert_int_equal(eyni_store_open(uri, &so, &s, &err), 0);
    for (int i = 0; i < NODES * PER_NODE; i++) {
        long long c = fixture_count(s,
                                    "SELECT COUNT(*) FROM persons WHERE surname_key ="
                                    " (SELECT surname_key FROM persons WHERE fin = ?)",
                                    people[i].fin[0] ? people[i].fin : "none");
        if (people[i].fin[0])
            assert_int_equal(c, 1);
    }
    assert_int_equal(
        fixture_count(s, "SELECT COUNT(*) - COUNT(DISTINCT surname_key) FROM persons", NULL), 0);
    assert_int_equal(eyni_store_check(s, &err), 0);
    eyni_store_close(s);
    eyni_register_opts o = {uri, 1, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL};
    eyni_register *reg = NULL;
    assert_int_equal(eyni_register_open(&o, &reg, &err), 0);
    eyni_actor aud;
    eyni_actor_local(&aud, "TEST", "");
    json_t *v = NULL;
    assert_int_equal(eyni_register_audit_verify(reg, &aud, &v, &err), 0);
    assert_true(json_is_true(json_object_get(v, "ok")));
    json_decref(v);
    eyni_register_close(reg);

    for (int i = 0; i < NODES; i++)
        test_server_stop(&node[i], 0);
    free(clerk);
    free(border);
    free(dir);
    free(uri);
}

static int setup(void **state)
{
    *state = calloc(NODES, sizeof(test_server));
    return *state ? 0 : -1;
}

/* Runs after a failed assertion too, so no eynid outlives the test. */
static int teardown(void **state)
{
    test_server *node = *state;
    for (int i = 0; i < NODES; i++)
        test_server_stop(&node[i], 1);
    free(node);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(three_nodes_share_one_register, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

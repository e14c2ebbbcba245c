/* Two identity services on one database - as two processes on one data directory would be
 * (eynid and `eyni enrol`, or two eynid) - each with its own in-memory galleries and its own
 * connections. The same real person applies at both at the same moment, round after round:
 * exactly one FIN may be issued, the other application must come out a duplicate of it.
 * Runs on SQLite (a lock file beside the database) and on PostgreSQL (an advisory lock). */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eyni/identity.h"
#include "store_fixture.h"
#include "testutil.h"
#include "id_fixture.h"

#define ROUNDS 10 /* persons, each applying twice at once */
#define LFW    "lfw-a-gray-dev/images"
#define FVC    "fvc2002-b-real/DB1_B/images"

typedef struct node {
    eyni_register *reg;
    eyni_identity *id;
} node;

typedef struct applicant {
    node *n;
    const char *surname;
    eyni_sample_in s[2];
    pthread_barrier_t *start;
    int rc;
    json_t *out;
    eyni_error err;
} applicant;

/* One register on uri with the data keys in keys, and its identity service. */
static void node_open(node *n, const char *uri, const char *keys)
{
    eyni_register_opts o = {uri, 4, 0, NULL, NULL, keys, 1, NULL, NULL, NULL, NULL, NULL};
    eyni_error err;
    if (eyni_register_open(&o, &n->reg, &err) || eyni_identity_open(n->reg, NULL, &n->id, &err))
        fail_msg("%s", err.msg);
}

static void node_close(node *n)
{
    eyni_identity_close(n->id);
    eyni_register_close(n->reg);
}

static char *keydir(void)
{
    char *dir = eyni_test_tmpdir("dedup-race-keys");
    size_t cap = strlen(dir) + 32;
    char *keys = malloc(cap);
    snprintf(keys, cap, "%s/keys", dir);
    free(dir);
    fixture_data_key(keys);
    return keys;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first n LFW persons in name order: their first image is the face of round k. */
static void pick_faces(char out[][128], int n)
{
    char *dir = eyni_test_path(LFW);
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *names[8192];
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)) && k < 8192)
        if (e->d_name[0] != '.')
            names[k++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)k, sizeof *names, cmp_str);
    assert_true(k >= n);
    for (int i = 0; i < k; i++) {
        if (i < n)
            snprintf(out[i], 128, "%s/%s/%s_0001.jpg", LFW, names[i], names[i]);
        free(names[i]);
    }
    free(dir);
}

static void *apply(void *arg)
{
    applicant *ap = arg;
    char text[256];
    snprintf(text, sizeof text,
             "{\"surname\":\"%s\",\"given_name\":\"Test\",\"birth_date\":\"1970-01-01\","
             "\"sex\":\"M\",\"citizenship\":\"AZE\"}",
             ap->surname);
    json_error_t je;
    json_t *person = json_loads(text, 0, &je);
    eyni_actor a;
    eyni_actor_local(&a, "TEST", "race test");
    pthread_barrier_wait(ap->start);
    ap->rc = eyni_identity_enrol(ap->n->id, &a, person, ap->s, 2, &ap->out, &ap->err);
    json_decref(person);
    return NULL;
}

static const char *status_of(const applicant *ap)
{
    return json_string_value(json_object_get(ap->out, "status"));
}

/* Checks one round; returns 1 when the person was enrolled, 0 when the face or finger
 * failed its quality gate at both nodes (the round then says nothing about the race). */
static int check_round(const applicant *ap, int round)
{
    if (ap[0].rc == EYNI_EQUALITY && ap[1].rc == EYNI_EQUALITY)
        return 0;
    for (int i = 0; i < 2; i++)
        if (ap[i].rc)
            fail_msg("round %d, node %d: %s", round, i, ap[i].err.msg);
    int u = !strcmp(status_of(&ap[0]), "unique"), v = !strcmp(status_of(&ap[1]), "unique");
    if (u + v != 1)
        fail_msg("round %d: the same person came out %s and %s", round, status_of(&ap[0]),
                 status_of(&ap[1]));
    const applicant *first = u ? &ap[0] : &ap[1], *second = u ? &ap[1] : &ap[0];
    assert_string_equal(status_of(second), "duplicate");
    assert_string_equal(json_string_value(json_object_get(second->out, "duplicate_of")),
                        json_string_value(json_object_get(first->out, "fin")));
    return 1;
}

static long long persons(eyni_register *reg)
{
    return fixture_count(eyni_register_store(reg), "SELECT count(*) FROM persons", NULL);
}

static void one_person_applying_at_two_nodes_at_once_gets_one_fin(void **state)
{
    (void)state;
    char *uri = fixture_store_uri("dedup-race");
    char *keys = keydir();
    node nodes[2];
    node_open(&nodes[0], uri, keys);
    node_open(&nodes[1], uri, keys);
    char faces[ROUNDS][128];
    pick_faces(faces, ROUNDS);
    int enrolled = 0;
    for (int r = 0; r < ROUNDS; r++) {
        char finger[128], names[2][32];
        snprintf(finger, sizeof finger, "%s/%d_1.tif", FVC, 101 + r);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, 2);
        applicant ap[2];
        pthread_t t[2];
        for (int i = 0; i < 2; i++) {
            snprintf(names[i], sizeof names[i], "Race%c%c", 'a' + i, 'a' + r);
            ap[i] = (applicant){&nodes[i], names[i], {{0}}, &start, 0, NULL, {0}};
            ap[i].s[0] = fixture_sample("face", 0, faces[r]);
            ap[i].s[1] = fixture_sample("finger", 2, finger);
            assert_int_equal(pthread_create(&t[i], NULL, apply, &ap[i]), 0);
        }
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&start);
        enrolled += check_round(ap, r);
        for (int i = 0; i < 2; i++) {
            json_decref(ap[i].out);
            free((void *)ap[i].s[0].data);
            free((void *)ap[i].s[1].data);
        }
    }
    /* A race that never ran proves nothing: most of these LFW faces pass the gate. */
    assert_true(enrolled >= ROUNDS / 2);
    assert_int_equal(persons(nodes[0].reg), enrolled);
    node_close(&nodes[0]);
    node_close(&nodes[1]);
    free(uri);
    free(keys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_person_applying_at_two_nodes_at_once_gets_one_fin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

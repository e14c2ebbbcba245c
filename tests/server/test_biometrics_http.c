/* Biometric re-capture and legal erasure end to end: eynid on loopback with real images,
 * the `eyni person biometrics` commands on the same data directory, roles and bad input,
 * and kill -9 in the middle of a stream of re-captures and erasures. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eyni/register.h"
#include "http_client.h"
#include "store_fixture.h"
#include "testutil.h"

#define LFW "lfw-a-gray-dev/images/"
#define FVC "fvc2002-b-real/DB1_B/images/"

static json_t *sample(const char *modality, int position, const char *rel)
{
    char *b = test_b64_file(rel);
    json_t *s =
        json_pack("{s:s, s:i, s:s}", "modality", modality, "position", position, "image", b);
    free(b);
    return s;
}

/* {"samples": [face?, finger 2?], "reason"?} */
static char *body_of(const char *face, const char *finger, const char *reason)
{
    json_t *samples = json_array();
    if (face)
        json_array_append_new(samples, sample("face", 0, face));
    if (finger)
        json_array_append_new(samples, sample("finger", 2, finger));
    json_t *b = json_pack("{s:o}", "samples", samples);
    if (reason)
        json_object_set_new(b, "reason", json_string(reason));
    char *s = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return s;
}

static http_reply call(test_server *srv, const char *method, const char *path, const char *token,
                       char *body)
{
    http_reply r = http_call(srv, method, path, token, "biometrics test", body);
    free(body);
    return r;
}

static void enrol(test_server *srv, const char *token, const char *surname, const char *face,
                  const char *finger, char *fin)
{
    char *samples = body_of(face, finger, NULL);
    json_t *b = json_loads(samples, 0, NULL);
    free(samples);
    json_object_set_new(b, "person",
                        json_pack("{s:s, s:s, s:s, s:s}", "surname", surname, "given_name", "Test",
                                  "birth_date", "1971-07-07", "sex", "M"));
    http_reply r = call(srv, "POST", "/v1/enrolments", token, json_dumps(b, JSON_COMPACT));
    json_decref(b);
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "unique");
    snprintf(fin, 16, "%s", json_string_value(json_object_get(r.json, "fin")));
    http_reply_free(&r);
}

/* fin's fused score among the candidates for the samples; 0 when not a candidate. */
static double found(test_server *srv, const char *token, const char *fin, const char *face,
                    const char *finger)
{
    http_reply r = call(srv, "POST", "/v1/identify", token, body_of(face, finger, NULL));
    assert_int_equal(r.status, 200);
    double score = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r.json, "candidates"), i, c)
    {
        if (!strcmp(json_string_value(json_object_get(c, "fin")), fin))
            score = json_real_value(json_object_get(c, "score"));
    }
    http_reply_free(&r);
    return score;
}

static void expect_status(http_reply r, long status, const char *needle)
{
    if (r.status != status)
        fail_msg("status %ld, expected %ld", r.status, status);
    if (needle) {
        const char *msg =
            json_string_value(json_object_get(json_object_get(r.json, "error"), "message"));
        if (!msg || !strstr(msg, needle))
            fail_msg("'%s' not in '%s'", needle, msg ? msg : "");
    }
    http_reply_free(&r);
}

static json_t *cli_json(const char *const *args, int expect)
{
    char *out = NULL;
    int rc = test_cli(&out, args);
    if (rc != expect)
        fail_msg("eyni %s %s: exit %d, expected %d", args[0], args[1], rc, expect);
    json_t *j = out && *out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    return j;
}

static void recapture_and_erasure_over_http_and_cli(void **state)
{
    test_server *srv = *state;
    test_server_start(srv, "biometrics-http", NULL);
    char *clerk = test_make_key(srv, "ASAN", "registrar");
    char *admin = test_make_key(srv, "MOJ", "admin");
    char *border = test_make_key(srv, "DSX", "border");
    char blair[16], chavez[16], path[160];
    enrol(srv, clerk, "Blair", LFW "Tony_Blair/Tony_Blair_0001.jpg", FVC "101_1.tif", blair);
    enrol(srv, clerk, "Chavez", LFW "Hugo_Chavez/Hugo_Chavez_0001.jpg", FVC "102_1.tif", chavez);
    snprintf(path, sizeof path, "/v1/persons/%s/biometrics", blair);
    const char *palacio = LFW "Ana_Palacio/Ana_Palacio_0001.jpg";

    /* refusals first: nothing changes */
    expect_status(call(srv, "POST", path, border, body_of(palacio, NULL, "new photo")), 403, NULL);
    expect_status(call(srv, "POST", path, clerk, body_of(palacio, NULL, NULL)), 400, "reason");
    expect_status(call(srv, "POST", "/v1/persons/0000000/biometrics", clerk,
                       body_of(palacio, NULL, "new photo")),
                  404, NULL);
    expect_status(
        call(srv, "POST", path, clerk,
             body_of(LFW "Hugo_Chavez/Hugo_Chavez_0002.jpg", FVC "102_2.tif", "new photo")),
        409, chavez);
    char *bad = body_of(NULL, FVC "103_1.tif", "x");
    char *eleven = strstr(bad, "\"position\":2");
    assert_non_null(eleven);
    memcpy(eleven, "\"position\":0", 12); /* a finger needs a position 1..10 */
    expect_status(call(srv, "POST", path, clerk, bad), 400, NULL);
    assert_true(found(srv, clerk, blair, LFW "Tony_Blair/Tony_Blair_0002.jpg", FVC "101_2.tif") >=
                9.0);

    /* the re-capture */
    http_reply r = call(srv, "POST", path, clerk, body_of(palacio, FVC "103_1.tif", "wrong photo"));
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "replaced")), 2);
    http_reply_free(&r);
    assert_true(found(srv, clerk, blair, LFW "Ana_Palacio/Ana_Palacio_0002.jpg", FVC "103_2.tif") >=
                9.0);
    assert_true(found(srv, clerk, blair, LFW "Tony_Blair/Tony_Blair_0002.jpg", FVC "101_2.tif") <
                3.0);

    /* erasure: the administrator's, with a reason and a proper position */
    snprintf(path, sizeof path, "/v1/persons/%s/biometrics/finger/2", blair);
    expect_status(call(srv, "DELETE", path, clerk, strdup("{\"reason\":\"order\"}")), 403, NULL);
    expect_status(call(srv, "DELETE", path, admin, NULL), 400, "reason");
    snprintf(path, sizeof path, "/v1/persons/%s/biometrics/finger/11", blair);
    expect_status(call(srv, "DELETE", path, admin, strdup("{\"reason\":\"order\"}")), 400, NULL);
    snprintf(path, sizeof path, "/v1/persons/%s/biometrics/iris", blair);
    expect_status(call(srv, "DELETE", path, admin, strdup("{\"reason\":\"order\"}")), 400, NULL);
    snprintf(path, sizeof path, "/v1/persons/%s/biometrics/finger/2", blair);
    r = call(srv, "DELETE", path, admin, strdup("{\"reason\":\"court order 12/2026\"}"));
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "erased")), 2);
    assert_int_equal(json_integer_value(json_object_get(r.json, "removed_from_galleries")), 1);
    http_reply_free(&r);
    assert_true(found(srv, clerk, blair, NULL, FVC "103_3.tif") < 3.0);

    /* the commands on the same data directory; eynid follows the change log */
    const char *erase[] = {"person",
                           "biometrics",
                           "delete",
                           "--data",
                           srv->data,
                           "--fin",
                           blair,
                           "--modality",
                           "face",
                           "--reason",
                           "court order 13/2026",
                           "--json",
                           NULL};
    json_t *out = cli_json(erase, 0);
    assert_int_equal(json_integer_value(json_object_get(out, "erased")), 2);
    json_decref(out);
    assert_true(found(srv, clerk, blair, LFW "Ana_Palacio/Ana_Palacio_0003.jpg", NULL) < 3.0);
    const char *again[] = {"person", "biometrics", "delete", "--data", srv->data, "--fin",
                           blair,    "--reason",   "again",  "--json", NULL};
    json_decref(cli_json(again, 2));
    const char *noreason[] = {"person", "biometrics", "delete", "--data", srv->data,
                              "--fin",  chavez,       "--json", NULL};
    json_decref(cli_json(noreason, 2));
    char *finger = eyni_test_path(FVC "105_1.tif");
    char arg[4300];
    snprintf(arg, sizeof arg, "2=%s", finger);
    free(finger);
    const char *update[] = {"person",      "biometrics", "update",   "--data", srv->data,
                            "--fin",       blair,        "--finger", arg,      "--reason",
                            "new capture", "--json",     NULL};
    out = cli_json(update, 0);
    assert_int_equal(json_integer_value(json_object_get(out, "added")), 1);
    json_decref(out);
    assert_true(found(srv, clerk, blair, NULL, FVC "105_2.tif") >= 4.0);
    snprintf(path, sizeof path, "/v1/persons/%s/biometrics", blair);
    r = http_call(srv, "GET", path, clerk, "record check", NULL);
    assert_int_equal(r.status, 200);
    const char *want[] = {"erased", "erased", "erased", "erased", "in_force"};
    assert_int_equal(json_array_size(json_object_get(r.json, "samples")), 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(json_string_value(json_object_get(
                                json_array_get(json_object_get(r.json, "samples"), i), "status")),
                            want[i]);
    http_reply_free(&r);
    const char *list[] = {"person", "biometrics", "list",   "--data", srv->data,
                          "--fin",  chavez,       "--json", NULL};
    out = cli_json(list, 0);
    assert_int_equal(json_integer_value(json_object_get(out, "count")), 2);
    json_decref(out);
    assert_true(
        found(srv, clerk, chavez, LFW "Hugo_Chavez/Hugo_Chavez_0002.jpg", FVC "102_2.tif") >= 9.0);

    /* audited: two erasures and two re-captures done, refusals and denials recorded */
    const char *const expect[][3] = {{"biometric.erase", "ok", "2"},
                                     {"biometric.update", "ok", "2"},
                                     {"biometric.update", "refused", "1"},
                                     {"biometric.update", "denied", "1"},
                                     {"biometric.erase", "denied", "1"}};
    for (size_t e = 0; e < sizeof expect / sizeof expect[0]; e++) {
        char q[128];
        snprintf(q, sizeof q, "/v1/audit?action=%s&limit=1000", expect[e][0]);
        r = http_call(srv, "GET", q, admin, "audit check", NULL);
        assert_int_equal(r.status, 200);
        int n = 0;
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(r.json, "entries"), i, row)
        {
            n += !strcmp(json_string_value(json_object_get(row, "outcome")), expect[e][1]) &&
                 !strcmp(json_string_value(json_object_get(row, "object")), blair);
        }
        if (n != atoi(expect[e][2]))
            fail_msg("%s %s: %d audit rows", expect[e][0], expect[e][1], n);
        http_reply_free(&r);
    }
    free(clerk);
    free(admin);
    free(border);
}

/* ---- kill -9 ------------------------------------------------------------------------- */

#define PERSONS 6

typedef struct crash_run {
    test_server *srv;
    const char *clerk, *admin;
    char fins[PERSONS][16];
    int updated[PERSONS], erased[PERSONS]; /* acknowledged */
    volatile int acked;
    volatile int stop;
} crash_run;

static char *finger_file(int k, int impression)
{
    char rel[96];
    snprintf(rel, sizeof rel, FVC "%d_%d.tif", 101 + k, impression);
    return strdup(rel);
}

/* Per person: re-capture finger 2 with another impression, then erase it. */
static void *crash_loop(void *p)
{
    crash_run *c = p;
    for (int k = 0; k < PERSONS && !c->stop; k++) {
        char path[128], *f = finger_file(k, 3);
        snprintf(path, sizeof path, "/v1/persons/%s/biometrics", c->fins[k]);
        http_reply r = call(c->srv, "POST", path, c->clerk, body_of(NULL, f, "re-capture"));
        free(f);
        c->updated[k] = r.status == 200;
        long st = r.status;
        http_reply_free(&r);
        if (st != 200)
            break;
        c->acked++;
        snprintf(path, sizeof path, "/v1/persons/%s/biometrics/finger/2", c->fins[k]);
        r = call(c->srv, "DELETE", path, c->admin, strdup("{\"reason\":\"court order\"}"));
        c->erased[k] = r.status == 200;
        st = r.status;
        http_reply_free(&r);
        if (st != 200)
            break;
        c->acked++;
    }
    return NULL;
}

static long long count_of(eyni_register *reg, const char *sql, const char *fin)
{
    return fixture_count(eyni_register_store(reg), sql, fin);
}

#define IN_FORCE                                                                                   \
    "SELECT COUNT(*) FROM biometrics b JOIN persons p ON p.id = b.person_id WHERE p.fin = ?"       \
    " AND b.replaced_at IS NULL"

/* After the restart: what was acknowledged is there, nothing is half-applied, and the
 * rebuilt galleries hold exactly the samples in force. */
static void check_after_crash(crash_run *c, eyni_register *reg)
{
    for (int k = 0; k < PERSONS; k++) {
        long long in_force = count_of(reg, IN_FORCE, c->fins[k]);
        char *probe = finger_file(k, 4);
        double score = found(c->srv, c->clerk, c->fins[k], NULL, probe);
        free(probe);
        if (c->erased[k]) {
            assert_int_equal(in_force, 0);
            assert_true(score < 3.0);
        } else if (c->updated[k]) {
            assert_true(in_force <= 1); /* an erasure in flight may have committed */
            assert_true(in_force == 0 ? score < 3.0 : score >= 4.0);
        } else {
            assert_int_equal(in_force, 1);
        }
    }
    /* erased rows hold nothing; every sample out of force has its removal logged */
    assert_int_equal(count_of(reg,
                              "SELECT COUNT(*) FROM biometrics WHERE erased_at IS NOT NULL AND"
                              " (length(template) > 0 OR image IS NOT NULL)",
                              NULL),
                     0);
    assert_int_equal(count_of(reg,
                              "SELECT COUNT(*) FROM biometrics b WHERE b.replaced_at IS NOT NULL"
                              " AND NOT EXISTS (SELECT 1 FROM gallery_changes c WHERE"
                              " c.biometric_id = b.id AND c.op = 'remove')",
                              NULL),
                     0);
}

static void killed_during_recapture_and_erasure_loses_nothing(void **state)
{
    test_server *srv = *state;
    test_server_start(srv, "biometrics-crash", NULL);
    char *clerk = test_make_key(srv, "ASAN", "registrar");
    char *admin = test_make_key(srv, "MOJ", "admin");
    crash_run *c = calloc(1, sizeof *c);
    c->srv = srv;
    c->clerk = clerk;
    c->admin = admin;
    for (int k = 0; k < PERSONS; k++) {
        char name[32], *f = finger_file(k, 1);
        snprintf(name, sizeof name, "Crash%c", 'a' + k);
        enrol(srv, clerk, name, NULL, f, c->fins[k]);
        free(f);
    }
    pthread_t t;
    pthread_create(&t, NULL, crash_loop, c);
    for (int i = 0; i < 1200 && c->acked < 3; i++) {
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
    test_server_stop(srv, 1);
    c->stop = 1;
    pthread_join(t, NULL);
    print_message("acknowledged before kill -9: %d of %d\n", c->acked, 2 * PERSONS);
    assert_true(c->acked >= 3);
    test_server_start(srv, "biometrics-crash", srv->data);
    char uri[4200];
    snprintf(uri, sizeof uri, "sqlite:%s/eyni.db", srv->data);
    eyni_register_opts o = {uri, 1, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL};
    eyni_register *reg = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_open(&o, &reg, &err), 0);
    check_after_crash(c, reg);
    /* the rebuilt galleries hold exactly the finger samples in force */
    long long in_force = count_of(reg,
                                  "SELECT COUNT(*) FROM biometrics WHERE replaced_at IS NULL"
                                  " AND modality = 'finger'",
                                  NULL);
    http_reply r = http_call(srv, "GET", "/ready", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "gallery"), "finger")),
        in_force);
    http_reply_free(&r);
    assert_int_equal(eyni_store_check(eyni_register_store(reg), &err), 0);
    eyni_actor aud;
    eyni_actor_local(&aud, "TEST", "");
    json_t *v = NULL;
    assert_int_equal(eyni_register_audit_verify(reg, &aud, &v, &err), 0);
    assert_true(json_is_true(json_object_get(v, "ok")));
    json_decref(v);
    eyni_register_close(reg);
    free(c);
    free(clerk);
    free(admin);
}

static int fresh(void **state)
{
    *state = calloc(1, sizeof(test_server));
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(recapture_and_erasure_over_http_and_cli, fresh,
                                        test_server_teardown),
        cmocka_unit_test_setup_teardown(killed_during_recapture_and_erasure_loses_nothing, fresh,
                                        test_server_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Document applications end to end: eynid on loopback, real faces and fingerprints. A
 * genuine applicant is issued, a clear duplicate refused naming the FIN, a possible one
 * answered 202 with an application case that an adjudicator decides over /v1/adjudications
 * ("different": the re-submission naming the case is issued, once) or with `eyni
 * adjudicate` ("same": refused for good). Bad input gets clear errors and stores nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/image.h"
#include "http_client.h"
#include "testutil.h"

#define LFW "lfw-a-gray-dev/images/"
#define FVC "fvc2002-b-real/DB1_B/images/"

static int setup(void **state)
{
    test_server *srv = calloc(1, sizeof *srv);
    test_server_start(srv, "application-http", NULL);
    *state = srv;
    return 0;
}

static http_reply post_json(test_server *s, const char *path, const char *token, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    http_reply r = http_call(s, "POST", path, token, "document application test", text);
    free(text);
    return r;
}

/* Enrols with a face and finger 2; a possible duplicate is decided "different". */
static void enrol(test_server *s, const char *clerk, const char *adj, const char *surname,
                  const char *face, const char *finger, char fin[16])
{
    char *f = test_b64_file(face), *g = test_b64_file(finger);
    json_t *body = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:[{s:s, s:s}, {s:s, s:i, s:s}]}",
                             "person", "surname", surname, "given_name", "Test", "birth_date",
                             "1971-07-07", "sex", "M", "citizenship", "AZE", "samples", "modality",
                             "face", "image", f, "modality", "finger", "position", 2, "image", g);
    free(f);
    free(g);
    http_reply r = post_json(s, "/v1/enrolments", clerk, body);
    assert_int_equal(r.status, 201);
    if (!strcmp(json_string_value(json_object_get(r.json, "status")), "possible")) {
        char path[96];
        snprintf(path, sizeof path, "/v1/adjudications/%lld/decision",
                 (long long)json_integer_value(json_object_get(r.json, "case")));
        http_reply_free(&r);
        r = http_call(s, "POST", path, adj, "adjudication",
                      "{\"decision\":\"different\",\"note\":\"twins, birth records\"}");
        assert_int_equal(r.status, 200);
    }
    snprintf(fin, 16, "%s", json_string_value(json_object_get(r.json, "fin")));
    http_reply_free(&r);
}

/* POST /v1/documents for an id card with a live face and optionally finger 2 (position
 * pos), naming case_id when not 0. */
static http_reply apply(test_server *s, const char *token, const char *fin, const char *face,
                        const char *finger, int pos, long long case_id)
{
    json_t *body = json_pack("{s:s, s:s, s:s}", "fin", fin, "type", "id_card", "office", "CENTRAL");
    if (face) {
        char *f = test_b64_file(face);
        json_object_set_new(body, "face", json_string(f));
        free(f);
    }
    if (finger) {
        char *g = test_b64_file(finger);
        json_object_set_new(body, "fingers",
                            json_pack("[{s:i, s:s}]", "position", pos, "image", g));
        free(g);
    }
    if (case_id)
        json_object_set_new(body, "case", json_integer(case_id));
    return post_json(s, "/v1/documents", token, body);
}

static int open_cases(test_server *s, const char *adj)
{
    http_reply r = http_call(s, "GET", "/v1/adjudications?status=open", adj, "review", NULL);
    assert_int_equal(r.status, 200);
    int n = (int)json_integer_value(json_object_get(r.json, "count"));
    http_reply_free(&r);
    return n;
}

static void contains(const http_reply *r, const char *text)
{
    char *body = json_dumps(r->json, 0);
    if (!body || !strstr(body, text))
        fail_msg("'%s' not in %s", text, body ? body : "(no JSON)");
    free(body);
}

/* A white PNG where a fingerprint should be. */
static char *blank_finger_b64(void)
{
    eyni_image *white = eyni_image_new(300, 300, 1, NULL);
    memset(white->data, 255, 300 * 300);
    unsigned char *png;
    size_t len;
    eyni_error err;
    assert_int_equal(eyni_image_encode_png(white, &png, &len, &err), 0);
    eyni_image_free(white);
    char *b64 = NULL;
    assert_int_equal(eyni_base64_encode(png, len, &b64, &err), 0);
    free(png);
    return b64;
}

static void bad_requests(test_server *srv, const char *desk, const char *adj, const char *fin,
                         const char *other_fin, long long open_case)
{
    int before = open_cases(srv, adj);
    http_reply r = apply(srv, desk, fin, LFW "Hugo_Chavez/Hugo_Chavez_0004.jpg", NULL, 0, 999999);
    assert_int_equal(r.status, 404);
    http_reply_free(&r);
    r = apply(srv, desk, fin, LFW "Hugo_Chavez/Hugo_Chavez_0004.jpg", FVC "102_3.tif", 11, 0);
    assert_int_equal(r.status, 400);
    contains(&r, "position");
    http_reply_free(&r);
    /* the open case belongs to another FIN */
    r = apply(srv, desk, fin, LFW "Hugo_Chavez/Hugo_Chavez_0004.jpg", NULL, 0, open_case);
    assert_int_equal(r.status, 400);
    contains(&r, other_fin);
    http_reply_free(&r);
    char *blank = blank_finger_b64(), *face = test_b64_file(LFW "Hugo_Chavez/Hugo_Chavez_0004.jpg");
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:s, s:[{s:i, s:s}]}", "fin", fin, "type", "id_card", "office",
                  "CENTRAL", "face", face, "fingers", "position", 3, "image", blank);
    free(blank);
    free(face);
    r = post_json(srv, "/v1/documents", desk, body);
    assert_int_equal(r.status, 422);
    http_reply_free(&r);
    r = http_call(srv, "POST", "/v1/documents", desk, "x",
                  "{\"fin\":\"X\",\"type\":\"id_card\",\"office\":\"CENTRAL\",\"face\":\"QUJD\","
                  "\"fingers\":[{\"position\":2,\"image\":\"\"}]}");
    assert_int_equal(r.status, 400);
    http_reply_free(&r);
    assert_int_equal(open_cases(srv, adj), before);
}

static void applications_follow_the_three_outcomes(void **state)
{
    test_server *srv = *state;
    char *clerk = test_make_key(srv, "ASAN", "registrar");
    char *adj = test_make_key(srv, "DMX", "adjudicator");
    char *desk = test_make_key(srv, "IAMAS", "documents");
    char blair[16], blairov[16], blairli[16], chavez[16];
    enrol(srv, clerk, adj, "Blair", LFW "Tony_Blair/Tony_Blair_0001.jpg", FVC "101_1.tif", blair);
    enrol(srv, clerk, adj, "Blairov", LFW "Tony_Blair/Tony_Blair_0002.jpg", FVC "103_1.tif",
          blairov);
    enrol(srv, clerk, adj, "Blairli", LFW "Tony_Blair/Tony_Blair_0005.jpg", FVC "106_1.tif",
          blairli);
    enrol(srv, clerk, adj, "Chavez", LFW "Hugo_Chavez/Hugo_Chavez_0001.jpg", FVC "102_1.tif",
          chavez);

    /* genuine: face and finger are the holder's, nobody else's */
    http_reply r =
        apply(srv, desk, chavez, LFW "Hugo_Chavez/Hugo_Chavez_0002.jpg", FVC "102_2.tif", 2, 0);
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "issued");
    assert_non_null(json_object_get(r.json, "mrz"));
    http_reply_free(&r);

    /* a clear duplicate: face and finger are Blair's too */
    r = apply(srv, desk, blairov, LFW "Tony_Blair/Tony_Blair_0003.jpg", FVC "101_2.tif", 2, 0);
    assert_int_equal(r.status, 409);
    contains(&r, blair);
    http_reply_free(&r);

    /* possible: the face alone also matches Blair - held in a case, nothing issued */
    int before = open_cases(srv, adj);
    r = apply(srv, desk, blairli, LFW "Tony_Blair/Tony_Blair_0053.jpg", NULL, 0, 0);
    assert_int_equal(r.status, 202);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "possible");
    assert_null(json_object_get(r.json, "number"));
    long long cid = (long long)json_integer_value(json_object_get(r.json, "case"));
    http_reply_free(&r);
    assert_int_equal(open_cases(srv, adj), before + 1);
    r = http_call(srv, "GET", "/v1/adjudications?status=open", adj, "review", NULL);
    json_t *c = json_array_get(json_object_get(r.json, "cases"), 0);
    assert_int_equal(json_integer_value(json_object_get(c, "id")), cid);
    assert_string_equal(json_string_value(json_object_get(c, "kind")), "application");
    assert_string_equal(json_string_value(json_object_get(c, "fin")), blairli);
    http_reply_free(&r);
    char path[96];
    snprintf(path, sizeof path, "/v1/adjudications/%lld/samples", cid);
    r = http_call(srv, "GET", path, adj, "review", NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(json_object_get(json_object_get(r.json, "claimed"), blairli));
    http_reply_free(&r);

    /* undecided: the re-submission waits */
    r = apply(srv, desk, blairli, LFW "Tony_Blair/Tony_Blair_0053.jpg", NULL, 0, cid);
    assert_int_equal(r.status, 409);
    http_reply_free(&r);
    bad_requests(srv, desk, adj, chavez, blairli, cid);

    /* "different", then the re-submission naming the case is issued - once */
    snprintf(path, sizeof path, "/v1/adjudications/%lld/decision", cid);
    r = http_call(srv, "POST", path, desk, "x", "{\"decision\":\"different\",\"note\":\"n\"}");
    assert_int_equal(r.status, 403);
    http_reply_free(&r);
    r = http_call(srv, "POST", path, adj, "adjudication",
                  "{\"decision\":\"different\",\"note\":\"registered twins\"}");
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "different");
    http_reply_free(&r);
    r = apply(srv, desk, blairli, LFW "Tony_Blair/Tony_Blair_0053.jpg", NULL, 0, cid);
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "fin")), blairli);
    http_reply_free(&r);
    r = apply(srv, desk, blairli, LFW "Tony_Blair/Tony_Blair_0053.jpg", NULL, 0, cid);
    assert_int_equal(r.status, 409);
    http_reply_free(&r);

    /* "same" through the CLI: refused for good */
    char *face = eyni_test_path(LFW "Tony_Blair/Tony_Blair_0004.jpg"), *out = NULL;
    const char *issue[] = {"document", "issue",   "--data", srv->data, "--fin",  blairov,
                           "--type",   "id_card", "--face", face,      "--json", NULL};
    assert_int_equal(test_cli(&out, issue), 0);
    json_error_t je;
    json_t *held = json_loads(out, 0, &je);
    free(out);
    assert_string_equal(json_string_value(json_object_get(held, "status")), "possible");
    char cids[32];
    snprintf(cids, sizeof cids, "%lld",
             (long long)json_integer_value(json_object_get(held, "case")));
    json_decref(held);
    const char *list[] = {"adjudicate", "list",    "--status", "open",
                          "--data",     srv->data, "--json",   NULL};
    assert_int_equal(test_cli(&out, list), 0);
    assert_non_null(strstr(out, "\"application\""));
    free(out);
    const char *same[] = {"adjudicate", "decide",  cids,     "same",
                          "--fin",      blair,     "--note", "one man, two FINs",
                          "--data",     srv->data, "--json", NULL};
    assert_int_equal(test_cli(&out, same), 0);
    assert_non_null(strstr(out, blair));
    free(out);
    const char *again[] = {"document", "issue",  "--data", srv->data, "--fin", blairov,  "--type",
                           "id_card",  "--face", face,     "--case",  cids,    "--json", NULL};
    assert_int_equal(test_cli(NULL, again), 2);
    free(face);
    r = apply(srv, desk, blairov, LFW "Tony_Blair/Tony_Blair_0006.jpg", NULL, 0, 0);
    assert_int_equal(r.status, 409);
    contains(&r, blair);
    http_reply_free(&r);
    free(clerk);
    free(adj);
    free(desk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(applications_follow_the_three_outcomes, setup,
                                        test_server_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

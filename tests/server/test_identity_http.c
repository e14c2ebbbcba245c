/* The identity service and document issuance end to end: eynid on loopback, real images,
 * the CLI contract, kill -9 and restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_client.h"
#include "testutil.h"

#define LFW "lfw-a-gray-dev/images/"
#define FVC "fvc2002-b-real/DB1_B/images/"

/* {"person": {...}, "samples": [face?, finger 2?]} */
static char *enrol_body(const char *surname, const char *face, const char *finger)
{
    json_t *samples = json_array();
    if (face) {
        char *f = test_b64_file(face);
        json_array_append_new(samples, json_pack("{s:s, s:s}", "modality", "face", "image", f));
        free(f);
    }
    if (finger) {
        char *f = test_b64_file(finger);
        json_array_append_new(
            samples, json_pack("{s:s, s:i, s:s}", "modality", "finger", "position", 2, "image", f));
        free(f);
    }
    json_t *body = json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:o}", "person", "surname", surname,
                             "given_name", "Test", "birth_date", "1971-07-07", "sex", "M",
                             "citizenship", "AZE", "samples", samples);
    char *s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return s;
}

static http_reply post(test_server *s, const char *path, const char *token, char *body)
{
    http_reply r = http_call(s, "POST", path, token, "identity test", body);
    free(body);
    return r;
}

static int setup(void **state)
{
    test_server *srv = calloc(1, sizeof *srv);
    test_server_start(srv, "identity-http", NULL);
    *state = srv;
    return 0;
}

static void enrolment_adjudication_documents_and_restart(void **state)
{
    test_server *srv = *state;
    char *clerk = test_make_key(srv, "ASAN", "registrar");
    char *adj = test_make_key(srv, "DMX", "adjudicator");
    char *border = test_make_key(srv, "DSX", "border");

    http_reply r = post(srv, "/v1/enrolments", clerk,
                        enrol_body("Blair", LFW "Tony_Blair/Tony_Blair_0001.jpg", FVC "101_1.tif"));
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "unique");
    char fin[16];
    snprintf(fin, sizeof fin, "%s", json_string_value(json_object_get(r.json, "fin")));
    http_reply_free(&r);

    r = post(srv, "/v1/enrolments", clerk,
             enrol_body("Otherov", LFW "Tony_Blair/Tony_Blair_0002.jpg", FVC "101_2.tif"));
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "duplicate");
    assert_string_equal(json_string_value(json_object_get(r.json, "duplicate_of")), fin);
    http_reply_free(&r);

    r = post(srv, "/v1/enrolments", clerk,
             enrol_body("Facialov", LFW "Tony_Blair/Tony_Blair_0003.jpg", NULL));
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "possible");
    char path[128];
    snprintf(path, sizeof path, "/v1/adjudications/%lld/decision",
             (long long)json_integer_value(json_object_get(r.json, "case")));
    http_reply_free(&r);
    r = http_call(srv, "POST", path, clerk, "x", "{\"decision\":\"same\",\"note\":\"n\"}");
    assert_int_equal(r.status, 403); /* clerks do not decide their own cases */
    http_reply_free(&r);
    r = http_call(srv, "POST", path, adj, "adjudication",
                  "{\"decision\":\"same\",\"note\":\"same ears and scar\"}");
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "duplicate_of")), fin);
    http_reply_free(&r);

    /* Someone else cannot collect a document for this FIN. */
    char *other = eyni_test_path(LFW "Hugo_Chavez/Hugo_Chavez_0001.jpg");
    const char *wrong[] = {"document", "issue",   "--data", srv->data, "--fin",  fin,
                           "--type",   "id_card", "--face", other,     "--json", NULL};
    assert_int_equal(test_cli(NULL, wrong), 2);
    free(other);
    char *own = eyni_test_path(LFW "Tony_Blair/Tony_Blair_0018.jpg");
    const char *right[] = {"document", "issue",   "--data", srv->data, "--fin",  fin,
                           "--type",   "id_card", "--face", own,       "--json", NULL};
    assert_int_equal(test_cli(NULL, right), 0);
    free(own);
    /* A passport for the enrolled person, through the CLI contract. */
    char *out = NULL;
    const char *issue[] = {"document", "issue",  "--data",   srv->data, "--fin",
                           fin,        "--type", "passport", "--json",  NULL};
    assert_int_equal(test_cli(&out, issue), 0);
    json_error_t je;
    json_t *doc = json_loads(out, 0, &je);
    free(out);
    assert_non_null(json_object_get(doc, "blank_serial"));
    const char *mrz = json_string_value(json_object_get(doc, "mrz"));
    assert_true(mrz && strlen(mrz) == 89);
    char csca[4200];
    snprintf(csca, sizeof csca, "%s/keys/csca.pem", srv->data);
    const char *verify_chip[] = {
        "mrtd",   "verify", json_string_value(json_object_get(doc, "chip_dir")), "--csca", csca,
        "--json", NULL};
    assert_int_equal(test_cli(&out, verify_chip), 0);
    json_t *pa = json_loads(out, 0, &je);
    free(out);
    assert_true(json_is_true(json_object_get(pa, "hashes_ok")));
    assert_true(json_is_true(json_object_get(pa, "signature_ok")));
    assert_true(json_is_true(json_object_get(pa, "chain_ok")));
    /* DG3 carries the enrolled fingerprint, WSQ in a 19794-4 record, covered by the SOD. */
    char dg3[4400];
    snprintf(dg3, sizeof dg3, "%s/Datagroup3.bin",
             json_string_value(json_object_get(doc, "chip_dir")));
    assert_int_equal(access(dg3, R_OK), 0);
    char *dgs = json_dumps(json_object_get(pa, "data_groups"), 0);
    assert_non_null(strstr(dgs, "3"));
    free(dgs);
    json_decref(pa);
    /* The border check over HTTP with the chip files: the holder passes. */
    json_t *chipfiles = json_object();
    const char *names[] = {"EF_COM.bin", "EF_SOD.bin", "Datagroup1.bin", "Datagroup2.bin"};
    for (int i = 0; i < 4; i++) {
        char p[4400];
        unsigned char *buf;
        size_t len;
        eyni_error err;
        snprintf(p, sizeof p, "%s/%s", json_string_value(json_object_get(doc, "chip_dir")),
                 names[i]);
        assert_int_equal(eyni_file_read(p, 1 << 22, &buf, &len, &err), 0);
        char *t;
        assert_int_equal(eyni_base64_encode(buf, len, &t, &err), 0);
        json_object_set_new(chipfiles, names[i], json_string(t));
        free(t);
        free(buf);
    }
    char *face = test_b64_file(LFW "Tony_Blair/Tony_Blair_0006.jpg");
    json_t *chk =
        json_pack("{s:s, s:o, s:s, s:s, s:s, s:s}", "mrz", mrz, "chip", chipfiles, "face", face,
                  "checkpoint", "GYD-AIRPORT", "direction", "entry", "request_id", "gate-7-0001");
    free(face);
    char *chk_text = json_dumps(chk, JSON_COMPACT);
    json_decref(chk);
    /* A check without its checkpoint is bad input (400 naming it), and records nothing. */
    json_t *bad = json_pack("{s:s, s:s}", "mrz", mrz, "direction", "entry");
    char *nockp = json_dumps(bad, JSON_COMPACT);
    json_decref(bad);
    r = http_call(srv, "POST", "/v1/border/checks", border, "border check", nockp);
    free(nockp);
    assert_int_equal(r.status, 400);
    assert_non_null(
        strstr(json_string_value(json_object_get(json_object_get(r.json, "error"), "message")),
               "checkpoint"));
    http_reply_free(&r);
    r = http_call(srv, "POST", "/v1/border/checks", border, "border check", chk_text);
    free(chk_text);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "decision")), "clear");
    http_reply_free(&r);
    r = http_call(srv, "GET", "/v1/border/crossings?in_country=true", border, "check", NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 1);
    http_reply_free(&r);
    const char *stolen[] = {"document",
                            "set-status",
                            "--data",
                            srv->data,
                            json_string_value(json_object_get(doc, "number")),
                            "stolen",
                            "--json",
                            NULL};
    assert_int_equal(test_cli(NULL, stolen), 0);
    json_decref(doc);

    /* kill -9 and restart: the acknowledged enrolment is found again, once. */
    test_server_stop(srv, 1);
    test_server_start(srv, "identity-http", srv->data);
    char *img = test_b64_file(LFW "Tony_Blair/Tony_Blair_0004.jpg");
    json_t *body =
        json_pack("{s:[{s:s, s:s}], s:i}", "samples", "modality", "face", "image", img, "top", 3);
    char *text = json_dumps(body, JSON_COMPACT);
    free(img);
    json_decref(body);
    r = post(srv, "/v1/identify", border, text);
    assert_int_equal(r.status, 200);
    json_t *top = json_array_get(json_object_get(r.json, "candidates"), 0);
    assert_string_equal(json_string_value(json_object_get(top, "fin")), fin);
    assert_int_equal(json_array_size(json_object_get(r.json, "candidates")), 1);
    http_reply_free(&r);
    r = post(srv, "/v1/verify", border,
             enrol_body("x", LFW "Tony_Blair/Tony_Blair_0005.jpg", NULL));
    assert_int_equal(r.status, 400); /* "person" is not a field of a verification */
    http_reply_free(&r);
    free(clerk);
    free(adj);
    free(border);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(enrolment_adjudication_documents_and_restart, setup,
                                        test_server_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

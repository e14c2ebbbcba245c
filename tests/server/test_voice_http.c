/* Voice through the identity endpoints end to end: a speaker model trained by
 * `eyni voice train` into the data directory, eynid on loopback, enrolment, verification and
 * identification with FSDD speech, roles, audit, and bad audio refused with nothing stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_client.h"
#include "testutil.h"

static const char *const speakers[] = {"george", "jackson", "lucas", "nicolas", "theo", "yweweler"};

static char *fsdd(const char *spk, int digit, int index)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fsdd-spoken-digits/speakers/%s/%d_%s_%d.wav", spk, digit, spk,
             index);
    return eyni_test_path(rel);
}

/* DIR/<speaker>/ with links to recordings 10..21 of every digit: the background model never
 * hears the enrolled (5, 6) or probed (0..4) recordings. */
static void training_folder(const char *dir)
{
    eyni_error err;
    for (int s = 0; s < 6; s++) {
        char sub[4400];
        snprintf(sub, sizeof sub, "%s/%s", dir, speakers[s]);
        assert_int_equal(eyni_dir_make(sub, &err), 0);
        for (int d = 0; d < 10; d++)
            for (int i = 10; i < 22; i++) {
                char *src = fsdd(speakers[s], d, i), link[4600];
                snprintf(link, sizeof link, "%s/%d_%d.wav", sub, d, i);
                assert_int_equal(symlink(src, link), 0);
                free(src);
            }
    }
}

static char *b64_file(const char *path, size_t cut)
{
    unsigned char *buf;
    size_t len;
    eyni_error err;
    assert_int_equal(eyni_file_read(path, 1 << 22, &buf, &len, &err), 0);
    char *t;
    assert_int_equal(eyni_base64_encode(buf, cut && cut < len ? cut : len, &t, &err), 0);
    free(buf);
    return t;
}

static void add_voice(json_t *samples, const char *spk, int digit, int index, size_t cut)
{
    char *p = fsdd(spk, digit, index), *b = b64_file(p, cut);
    json_array_append_new(samples, json_pack("{s:s, s:s}", "modality", "voice", "audio", b));
    free(b);
    free(p);
}

static char *body_of(json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return s;
}

static char *enrol_body(const char *surname, json_t *samples)
{
    return body_of(json_pack("{s:{s:s, s:s, s:s, s:s}, s:o}", "person", "surname", surname,
                             "given_name", "Voice", "birth_date", "1975-05-05", "sex", "F",
                             "samples", samples));
}

static http_reply post(test_server *s, const char *path, const char *token, char *body)
{
    http_reply r = http_call(s, "POST", path, token, "voice test", body);
    free(body);
    return r;
}

static int setup(void **state)
{
    test_server *srv = calloc(1, sizeof *srv);
    test_server_start(srv, "voice-http", NULL);
    test_server_stop(srv, 0);
    char *dir = eyni_test_tmpdir("voice-http-train");
    training_folder(dir);
    const char *train[] = {"voice", "train", dir, "--data", srv->data, "--json", NULL};
    assert_int_equal(test_cli(NULL, train), 0);
    free(dir);
    test_server_start(srv, "voice-http", srv->data);
    *state = srv;
    return 0;
}

static const char *message(const http_reply *r)
{
    return json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
}

static int persons_named(test_server *srv, const char *token, const char *surname)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/persons?surname=%s", surname);
    http_reply r = http_call(srv, "GET", path, token, "voice test", NULL);
    assert_int_equal(r.status, 200);
    int n = (int)json_integer_value(json_object_get(r.json, "count"));
    http_reply_free(&r);
    return n;
}

static void voice_enrol_verify_identify_over_http(void **state)
{
    test_server *srv = *state;
    char *clerk = test_make_key(srv, "ASAN", "registrar");
    char *police = test_make_key(srv, "POL", "police");
    char *auditor = test_make_key(srv, "AUD", "auditor");

    json_t *samples = json_array();
    for (int d = 0; d < 10; d++)
        for (int i = 5; i < 7; i++)
            add_voice(samples, "george", d, i, 0);
    http_reply r = post(srv, "/v1/enrolments", clerk, enrol_body("Georgeova", samples));
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "unique");
    char fin[16];
    snprintf(fin, sizeof fin, "%s", json_string_value(json_object_get(r.json, "fin")));
    http_reply_free(&r);

    /* three words of the same speaker, then of another */
    for (int k = 0; k < 2; k++) {
        samples = json_array();
        for (int d = 1; d < 4; d++)
            add_voice(samples, k ? "yweweler" : "george", d, 0, 0);
        r = post(srv, "/v1/verify", police,
                 body_of(json_pack("{s:s, s:o}", "fin", fin, "samples", samples)));
        assert_int_equal(r.status, 200);
        assert_true(json_is_boolean(json_object_get(r.json, "match")));
        assert_int_equal(json_is_true(json_object_get(r.json, "match")), !k);
        assert_non_null(json_object_get(json_object_get(r.json, "scores"), "voice"));
        http_reply_free(&r);
    }

    samples = json_array();
    add_voice(samples, "george", 7, 1, 0);
    add_voice(samples, "george", 8, 1, 0);
    r = post(srv, "/v1/identify", police, body_of(json_pack("{s:o}", "samples", samples)));
    assert_int_equal(r.status, 200);
    json_t *top = json_array_get(json_object_get(r.json, "candidates"), 0);
    assert_string_equal(json_string_value(json_object_get(top, "fin")), fin);
    http_reply_free(&r);

    /* roles: an auditor may not match, nobody without a key may */
    samples = json_array();
    add_voice(samples, "george", 7, 1, 0);
    char *b = body_of(json_pack("{s:s, s:o}", "fin", fin, "samples", samples));
    r = http_call(srv, "POST", "/v1/verify", auditor, "voice test", b);
    assert_int_equal(r.status, 403);
    http_reply_free(&r);
    r = http_call(srv, "POST", "/v1/verify", NULL, "voice test", b);
    assert_int_equal(r.status, 401);
    http_reply_free(&r);
    free(b);

    /* audited: two verifications and one identification */
    char path[128];
    snprintf(path, sizeof path, "/v1/audit?object=%s&action=match.verify", fin);
    r = http_call(srv, "GET", path, auditor, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "entries")), 2);
    http_reply_free(&r);

    /* bad audio: a truncated file among good ones, and text */
    samples = json_array();
    add_voice(samples, "lucas", 1, 5, 0);
    add_voice(samples, "lucas", 2, 5, 3000);
    r = post(srv, "/v1/enrolments", clerk, enrol_body("Badaudio", samples));
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(message(&r), "voice sample 2: truncated"));
    http_reply_free(&r);
    char *text = eyni_test_path("fsdd-spoken-digits/SOURCE.md"), *t = b64_file(text, 0);
    free(text);
    samples = json_pack("[{s:s, s:s}]", "modality", "voice", "audio", t);
    free(t);
    r = post(srv, "/v1/enrolments", clerk, enrol_body("Badaudio", samples));
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(message(&r), "not_audio"));
    http_reply_free(&r);
    /* a voice sample must carry "audio" */
    samples = json_pack("[{s:s, s:s}]", "modality", "voice", "image", "AAAA");
    r = post(srv, "/v1/enrolments", clerk, enrol_body("Badaudio", samples));
    assert_int_equal(r.status, 400);
    http_reply_free(&r);
    assert_int_equal(persons_named(srv, police, "Badaudio"), 0);

    free(clerk);
    free(police);
    free(auditor);
}

/* The same from the command line: --voice samples, exit 0 for a match, 1 for none, 2 for
 * refused input. */
static void voice_from_the_command_line(void **state)
{
    test_server *srv = *state;
    char *w[6];
    for (int d = 0; d < 6; d++)
        w[d] = fsdd("nicolas", d, 5);
    const char *enrol[] = {
        "enrol",        "--data",     srv->data, "--surname", "Nicolaev", "--given-name", "N",
        "--birth-date", "1990-01-01", "--sex",   "M",         "--voice",  w[0],           "--voice",
        w[1],           "--voice",    w[2],      "--voice",   w[3],       "--voice",      w[4],
        "--voice",      w[5],         "--json",  NULL};
    char *out = NULL;
    assert_int_equal(test_cli(&out, enrol), 0);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    free(out);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "unique");
    char fin[16];
    snprintf(fin, sizeof fin, "%s", json_string_value(json_object_get(j, "fin")));
    json_decref(j);
    for (int d = 0; d < 6; d++)
        free(w[d]);
    char *g[3], *o[3];
    for (int d = 0; d < 3; d++) {
        g[d] = fsdd("nicolas", d + 5, 0);
        o[d] = fsdd("theo", d + 5, 0);
    }
    const char *same[] = {"verify",  "--data", srv->data, "--fin", fin,      "--voice", g[0],
                          "--voice", g[1],     "--voice", g[2],    "--json", NULL};
    assert_int_equal(test_cli(NULL, same), 0);
    const char *other[] = {"verify",  "--data", srv->data, "--fin", fin,      "--voice", o[0],
                           "--voice", o[1],     "--voice", o[2],    "--json", NULL};
    assert_int_equal(test_cli(NULL, other), 1);
    const char *who[] = {"identify", "--data", srv->data, "--voice", g[0], "--voice",
                         g[1],       "--top",  "1",       "--json",  NULL};
    assert_int_equal(test_cli(&out, who), 0);
    j = json_loads(out, 0, &je);
    free(out);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "candidates"), 0), "fin")),
                        fin);
    json_decref(j);
    for (int d = 0; d < 3; d++) {
        free(g[d]);
        free(o[d]);
    }
    char *text = eyni_test_path("fsdd-spoken-digits/SOURCE.md");
    const char *bad[] = {"identify", "--data", srv->data, "--voice", text, NULL};
    assert_int_equal(test_cli(NULL, bad), 2);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(voice_enrol_verify_identify_over_http),
        cmocka_unit_test(voice_from_the_command_line),
    };
    return cmocka_run_group_tests(tests, setup, test_server_teardown);
}

/* Samples as multipart/form-data against a real eynid on loopback: enrolment, verification
 * and identification with raw image files (the body made by libcurl's MIME encoder), and
 * broken bodies made by hand - no boundary, a truncated part, a part nobody names, a name
 * no part has, an oversized part - each refused with a clear error and nothing stored. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/identity.h"
#include "http_client.h"
#include "testutil.h"

#define LFW      "lfw-a-gray-dev/images/"
#define FVC      "fvc2002-b-real/DB1_B/images/"
#define BOUNDARY "eyni-test-7MA4YWxkTrZu0gW"

typedef struct file {
    unsigned char *data;
    size_t len;
} file;

static file read_file(const char *rel)
{
    char *p = eyni_test_path(rel);
    file f;
    eyni_error err;
    assert_int_equal(eyni_file_read(p, 1 << 22, &f.data, &f.len, &err), 0);
    free(p);
    return f;
}

typedef struct part {
    const char *name;
    const char *filename; /* NULL: a plain field */
    const void *data;
    size_t len;
} part;

/* The request through libcurl's own multipart encoder, as a client program would send it. */
static http_reply curl_mime_call(const test_server *s, const char *path, const char *token,
                                 const part *parts, int n)
{
    http_reply r = {0, NULL};
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_mime *m = curl_mime_init(c);
    for (int i = 0; i < n; i++) {
        curl_mimepart *mp = curl_mime_addpart(m);
        curl_mime_name(mp, parts[i].name);
        curl_mime_data(mp, parts[i].data, parts[i].len);
        if (parts[i].filename) {
            curl_mime_filename(mp, parts[i].filename);
            curl_mime_type(mp, "application/octet-stream");
        } else {
            curl_mime_type(mp, "application/json");
        }
    }
    char url[512], auth[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "X-Purpose: multipart test");
    FILE *sink = tmpfile();
    assert_non_null(sink);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, m);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    rewind(sink);
    json_error_t je;
    r.json = json_loadf(sink, 0, &je);
    fclose(sink);
    curl_slist_free_all(h);
    curl_mime_free(m);
    curl_easy_cleanup(c);
    return r;
}

/* A multipart body written out by hand, for the broken variants; *len its size. */
static char *mp_body(const part *parts, int n, size_t *len)
{
    size_t cap = 1024;
    for (int i = 0; i < n; i++)
        cap += parts[i].len + 256;
    char *b = malloc(cap);
    assert_non_null(b);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        k += (size_t)snprintf(b + k, cap - k, "--%s\r\nContent-Disposition: form-data; name=\"%s\"",
                              BOUNDARY, parts[i].name);
        if (parts[i].filename)
            k += (size_t)snprintf(b + k, cap - k, "; filename=\"%s\"", parts[i].filename);
        k += (size_t)snprintf(b + k, cap - k, "\r\nContent-Type: %s\r\n\r\n",
                              parts[i].filename ? "application/octet-stream" : "application/json");
        memcpy(b + k, parts[i].data, parts[i].len);
        k += parts[i].len;
        k += (size_t)snprintf(b + k, cap - k, "\r\n");
    }
    k += (size_t)snprintf(b + k, cap - k, "--%s--\r\n", BOUNDARY);
    *len = k;
    return b;
}

static const char *error_message(const http_reply *r)
{
    const char *m =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
    return m ? m : "";
}

static char *enrol_doc(const char *surname, const char *face_part, const char *finger_part)
{
    json_t *doc =
        json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:[{s:s, s:s}, {s:s, s:i, s:s}]}", "person",
                  "surname", surname, "given_name", "Test", "birth_date", "1969-03-03", "sex", "F",
                  "citizenship", "AZE", "samples", "modality", "face", "part", face_part,
                  "modality", "finger", "position", 2, "part", finger_part);
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return s;
}

static long long gallery_last_change(const test_server *s)
{
    http_reply r = http_call(s, "GET", "/ready", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    long long n =
        json_integer_value(json_object_get(json_object_get(r.json, "gallery"), "last_change"));
    http_reply_free(&r);
    return n;
}

static int setup(void **state)
{
    test_server *srv = calloc(1, sizeof *srv);
    test_server_start(srv, "multipart-http", NULL);
    *state = srv;
    return 0;
}

static void enrol_verify_identify_by_multipart(void **state)
{
    test_server *srv = *state;
    char *clerk = test_make_key(srv, "ASAN", "registrar");
    char *border = test_make_key(srv, "DSX", "border");
    file face = read_file(LFW "Tony_Blair/Tony_Blair_0001.jpg");
    file finger = read_file(FVC "101_1.tif");
    char *doc = enrol_doc("Multipartova", "face1", "finger2");
    part p[3] = {{"request", NULL, doc, strlen(doc)},
                 {"face1", "blair.jpg", face.data, face.len},
                 {"finger2", "101_1.tif", finger.data, finger.len}};
    http_reply r = curl_mime_call(srv, "/v1/enrolments", clerk, p, 3);
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "unique");
    char fin[16];
    snprintf(fin, sizeof fin, "%s", json_string_value(json_object_get(r.json, "fin")));
    http_reply_free(&r);
    free(doc);
    free(face.data);
    free(finger.data);

    /* The same person under another name, by a hand-made body: a duplicate of that FIN. */
    face = read_file(LFW "Tony_Blair/Tony_Blair_0002.jpg");
    finger = read_file(FVC "101_2.tif");
    doc = enrol_doc("Otherova", "f", "g");
    part q[3] = {{"request", NULL, doc, strlen(doc)},
                 {"g", "g.tif", finger.data, finger.len},
                 {"f", "f.jpg", face.data, face.len}};
    size_t len;
    char *body = mp_body(q, 3, &len);
    r = http_call_raw(srv, "POST", "/v1/enrolments", clerk, "multipart test",
                      "multipart/form-data; boundary=" BOUNDARY, body, len);
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "duplicate");
    assert_string_equal(json_string_value(json_object_get(r.json, "duplicate_of")), fin);
    http_reply_free(&r);
    free(body);
    free(doc);
    free(face.data);
    free(finger.data);

    /* Verification: the genuine face and finger match, another person's face does not. */
    char vdoc[256];
    snprintf(vdoc, sizeof vdoc,
             "{\"fin\":\"%s\",\"samples\":[{\"modality\":\"face\",\"part\":\"live\"},"
             "{\"modality\":\"finger\",\"position\":2,\"part\":\"print\"}]}",
             fin);
    face = read_file(LFW "Tony_Blair/Tony_Blair_0003.jpg");
    finger = read_file(FVC "101_3.tif");
    part v[3] = {{"request", NULL, vdoc, strlen(vdoc)},
                 {"live", "live.jpg", face.data, face.len},
                 {"print", "print.tif", finger.data, finger.len}};
    r = curl_mime_call(srv, "/v1/verify", border, v, 3);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(json_object_get(r.json, "match")));
    http_reply_free(&r);
    free(face.data);
    free(finger.data);
    snprintf(vdoc, sizeof vdoc,
             "{\"fin\":\"%s\",\"samples\":[{\"modality\":\"face\",\"part\":\"live\"}]}", fin);
    face = read_file(LFW "Hugo_Chavez/Hugo_Chavez_0001.jpg");
    part w[2] = {{"request", NULL, vdoc, strlen(vdoc)}, {"live", "x.jpg", face.data, face.len}};
    r = curl_mime_call(srv, "/v1/verify", border, w, 2);
    assert_int_equal(r.status, 200);
    assert_false(json_is_true(json_object_get(r.json, "match")));
    http_reply_free(&r);
    free(face.data);

    /* Identification puts the enrolled person first. */
    const char *idoc = "{\"samples\":[{\"modality\":\"face\",\"part\":\"probe\"}],\"top\":3}";
    face = read_file(LFW "Tony_Blair/Tony_Blair_0004.jpg");
    part id[2] = {{"request", NULL, idoc, strlen(idoc)}, {"probe", "p.jpg", face.data, face.len}};
    r = curl_mime_call(srv, "/v1/identify", border, id, 2);
    assert_int_equal(r.status, 200);
    json_t *top = json_array_get(json_object_get(r.json, "candidates"), 0);
    assert_string_equal(json_string_value(json_object_get(top, "fin")), fin);
    http_reply_free(&r);
    /* A named gallery that does not exist is not searched as the register. */
    const char *gdoc = "{\"samples\":[{\"modality\":\"face\",\"part\":\"probe\"}],"
                       "\"gallery\":\"NOSUCH\"}";
    part g[2] = {{"request", NULL, gdoc, strlen(gdoc)}, {"probe", "p.jpg", face.data, face.len}};
    r = curl_mime_call(srv, "/v1/identify", border, g, 2);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(error_message(&r), "NOSUCH"));
    http_reply_free(&r);
    free(face.data);
    free(clerk);
    free(border);
}

/* Sends body (len bytes) as an enrolment; expects status and a message containing what. */
static void refused(const test_server *srv, const char *token, const char *content_type,
                    const char *body, size_t len, long status, const char *what)
{
    http_reply r = http_call_raw(srv, "POST", "/v1/enrolments", token, "multipart test",
                                 content_type, body, len);
    if (r.status != status || !strstr(error_message(&r), what))
        fail_msg("expected %ld naming '%s', got %ld: %s", status, what, r.status,
                 error_message(&r));
    http_reply_free(&r);
}

static void broken_multipart_is_refused_and_nothing_stored(void **state)
{
    test_server *srv = *state;
    char *clerk = test_make_key(srv, "ASAN", "registrar");
    const char *ct = "multipart/form-data; boundary=" BOUNDARY;
    file face = read_file(LFW "Hugo_Chavez/Hugo_Chavez_0002.jpg");
    file finger = read_file(FVC "102_1.tif");
    char *doc = enrol_doc("Brokenova", "face1", "finger2");
    part good[3] = {{"request", NULL, doc, strlen(doc)},
                    {"face1", "a.jpg", face.data, face.len},
                    {"finger2", "b.tif", finger.data, finger.len}};
    size_t len;
    char *body = mp_body(good, 3, &len);
    long long before = gallery_last_change(srv);

    refused(srv, clerk, "multipart/form-data", body, len, 400, "boundary");
    /* cut inside the finger image: the closing boundary never comes */
    refused(srv, clerk, ct, body, len - finger.len / 2, 400, "truncated");
    /* a sample names a part the body does not have */
    char *doc9 = enrol_doc("Brokenova", "face9", "finger2");
    part unknown[3] = {good[0], good[1], good[2]};
    unknown[0].data = doc9;
    unknown[0].len = strlen(doc9);
    char *b = mp_body(unknown, 3, &len);
    refused(srv, clerk, ct, b, len, 400, "no part named 'face9'");
    free(b);
    free(doc9);
    /* a part no sample names */
    part extra[4] = {good[0], good[1], good[2], {"face2", "c.jpg", face.data, face.len}};
    b = mp_body(extra, 4, &len);
    refused(srv, clerk, ct, b, len, 400, "part 'face2' is not named");
    free(b);
    /* one name twice */
    part twice[4] = {good[0], good[1], good[2], {"face1", "c.jpg", face.data, face.len}};
    b = mp_body(twice, 4, &len);
    refused(srv, clerk, ct, b, len, 400, "appears twice");
    free(b);
    /* no JSON document, and a document that is not JSON */
    b = mp_body(good + 1, 2, &len);
    refused(srv, clerk, ct, b, len, 400, "no part named 'request'");
    free(b);
    part notjson[3] = {{"request", NULL, "{\"person\":", 10}, good[1], good[2]};
    b = mp_body(notjson, 3, &len);
    refused(srv, clerk, ct, b, len, 400, "multipart part 'request'");
    free(b);
    /* a file part larger than a sample may be (8 MiB), inside the 16 MiB body limit */
    size_t big = (size_t)EYNI_IDENTITY_MAX_SAMPLE_BYTES + 1;
    unsigned char *huge = calloc(1, big);
    assert_non_null(huge);
    memcpy(huge, face.data, face.len);
    part large[3] = {good[0], {"face1", "a.jpg", huge, big}, good[2]};
    b = mp_body(large, 3, &len);
    refused(srv, clerk, ct, b, len, 413, "larger than");
    free(b);
    free(huge);
    /* "part" needs a multipart body */
    refused(srv, clerk, "application/json", doc, strlen(doc), 400, "multipart/form-data");

    assert_int_equal(gallery_last_change(srv), before);
    http_reply r = http_call(srv, "GET", "/v1/persons?surname=Brokenova", clerk, "check", NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 0);
    http_reply_free(&r);
    /* and the untouched body is accepted: the refusals above were for their faults only */
    free(body);
    body = mp_body(good, 3, &len);
    r = http_call_raw(srv, "POST", "/v1/enrolments", clerk, "multipart test", ct, body, len);
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "unique");
    http_reply_free(&r);
    free(body);
    free(doc);
    free(face.data);
    free(finger.data);
    free(clerk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(enrol_verify_identify_by_multipart, setup,
                                        test_server_teardown),
        cmocka_unit_test_setup_teardown(broken_multipart_is_refused_and_nothing_stored, setup,
                                        test_server_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

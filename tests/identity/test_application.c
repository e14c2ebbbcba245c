/* Document applications follow the three de-duplication outcomes, on real faces (LFW) and
 * fingerprints (FVC2002): a genuine applicant is issued, a clear duplicate of another
 * registered person is refused naming the FIN, a possible one waits in an application case
 * that an adjudicator decides "same" (refused for good) or "different" (the re-submission
 * naming the case is issued, once). Bad input gets named errors and stores nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/border.h"
#include "eyni/image.h"
#include "reg_fixture.h"
#include "id_fixture.h"

#define LFW "lfw-a-gray-dev/images/"
#define FVC "fvc2002-b-real/DB1_B/images/"

typedef struct fx {
    eyni_register *reg;
    eyni_identity *id;
    char blair[EYNI_FIN_MAX + 1];   /* Tony Blair, face and finger 101 */
    char blairov[EYNI_FIN_MAX + 1]; /* Tony Blair again, finger 103: decided "different" */
    char blairli[EYNI_FIN_MAX + 1]; /* Tony Blair a third time, finger 106: "different" */
    char chavez[EYNI_FIN_MAX + 1];  /* Hugo Chavez, finger 102 */
} fx;

/* Enrols; a possible duplicate is decided "different" so that the person gets a FIN. */
static void enrol(fx *f, const char *surname, const char *face, const char *finger,
                  const char *expect, char fin[EYNI_FIN_MAX + 1])
{
    eyni_sample_in s[2] = {fixture_sample("face", 0, face), fixture_sample("finger", 2, finger)};
    char body[256];
    snprintf(body, sizeof body,
             "{\"surname\":\"%s\",\"given_name\":\"Test\",\"birth_date\":\"1970-01-01\","
             "\"sex\":\"M\",\"citizenship\":\"AZE\"}",
             surname);
    json_t *person = fixture_json(body), *out = NULL;
    eyni_actor a = fixture_actor(EYNI_ROLE_REGISTRAR, "enrolment");
    eyni_error err;
    if (eyni_identity_enrol(f->id, &a, person, s, 2, &out, &err))
        fail_msg("enrol %s: %s", surname, err.msg);
    json_decref(person);
    fixture_free_samples(s, 2);
    const char *status = json_string_value(json_object_get(out, "status"));
    if (strcmp(status, expect))
        fail_msg("enrol %s: %s, expected %s", surname, status, expect);
    if (!strcmp(status, "possible")) {
        long long cid = json_integer_value(json_object_get(out, "case"));
        json_decref(out);
        eyni_actor adj = fixture_actor(EYNI_ROLE_ADJUDICATOR, "adjudication");
        if (eyni_identity_case_decide(f->id, &adj, cid, "different", NULL, "twin, papers checked",
                                      &out, &err))
            fail_msg("decide %s: %s", surname, err.msg);
    }
    snprintf(fin, EYNI_FIN_MAX + 1, "%s", json_string_value(json_object_get(out, "fin")));
    json_decref(out);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char *dir = eyni_test_tmpdir("application");
    char keys[4200], uri[4200], chips[4200];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(chips, sizeof chips, "%s/documents", dir);
    free(dir);
    char *store = fixture_store_uri("application");
    snprintf(uri, sizeof uri, "%s", store);
    free(store);
    fixture_data_key(keys);
    eyni_error err;
    eyni_register_opts o = {uri, 2, 0, NULL, NULL, keys, 1, "AZE", chips, NULL, NULL, NULL};
    if (eyni_register_open(&o, &f->reg, &err))
        fail_msg("%s", err.msg);
    if (eyni_identity_open(f->reg, NULL, &f->id, &err))
        fail_msg("%s", err.msg);
    eyni_actor admin = fixture_actor(EYNI_ROLE_ADMIN, "");
    eyni_actor docs = fixture_actor(EYNI_ROLE_DOCUMENTS, "stock");
    json_t *in = fixture_json("{\"code\":\"BAKU-1\",\"name\":\"Baku 1\",\"kind\":\"passport\"}");
    json_t *out = NULL;
    assert_int_equal(eyni_register_office_create(f->reg, &admin, in, &out, &err), 0);
    json_decref(in);
    json_decref(out);
    in = fixture_json("{\"doc_type\":\"driving_licence\",\"first\":\"DL000001\","
                      "\"last\":\"DL000020\",\"office\":\"BAKU-1\"}");
    assert_int_equal(eyni_register_blank_receive(f->reg, &docs, in, &out, &err), 0);
    json_decref(in);
    json_decref(out);
    enrol(f, "Blair", LFW "Tony_Blair/Tony_Blair_0001.jpg", FVC "101_1.tif", "unique", f->blair);
    enrol(f, "Blairov", LFW "Tony_Blair/Tony_Blair_0002.jpg", FVC "103_1.tif", "possible",
          f->blairov);
    enrol(f, "Blairli", LFW "Tony_Blair/Tony_Blair_0005.jpg", FVC "106_1.tif", "possible",
          f->blairli);
    enrol(f, "Chavez", LFW "Hugo_Chavez/Hugo_Chavez_0001.jpg", FVC "102_1.tif", "unique",
          f->chavez);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    eyni_identity_close(f->id);
    eyni_register_close(f->reg);
    free(f);
    return 0;
}

/* Applies for a driving licence for fin with the live samples (freed); returns the answer
 * (NULL on error) and checks the return code. */
static json_t *apply(fx *f, const char *fin, eyni_sample_in *s, int n, long long case_id,
                     int expect, eyni_error *err)
{
    eyni_actor a = fixture_actor(EYNI_ROLE_DOCUMENTS, "document application");
    json_t *in =
        json_pack("{s:s, s:s, s:s}", "fin", fin, "type", "driving_licence", "office", "BAKU-1");
    json_t *out = NULL;
    int rc = eyni_document_apply(f->id, &a, in, s, n, case_id, &out, err);
    json_decref(in);
    fixture_free_samples(s, n);
    if (rc != expect)
        fail_msg("apply for %s: rc %d (%s), expected %d", fin, rc, rc ? err->msg : "ok", expect);
    return rc ? NULL : out;
}

static int count_cases(fx *f)
{
    eyni_actor adj = fixture_actor(EYNI_ROLE_ADJUDICATOR, "adjudication");
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_case_list(f->reg, &adj, NULL, 1000, &out, &err), 0);
    int n = (int)json_integer_value(json_object_get(out, "count"));
    json_decref(out);
    return n;
}

/* The number of documents issued for fin (0 or 1 driving licence). */
static int licences(fx *f, const char *fin)
{
    return (int)fixture_count(eyni_register_store(f->reg),
                              "SELECT COUNT(*) FROM documents WHERE fin = ?", fin);
}

static long long held_in_case(json_t *out, const char *fin, const char *candidate)
{
    assert_non_null(out);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "possible");
    assert_string_equal(json_string_value(json_object_get(out, "fin")), fin);
    assert_null(json_object_get(out, "number"));
    char *text = json_dumps(json_object_get(out, "candidates"), 0);
    assert_non_null(strstr(text, candidate));
    assert_null(strstr(text, fin)); /* the applicant's own FIN is no candidate */
    free(text);
    long long cid = json_integer_value(json_object_get(out, "case"));
    assert_true(cid > 0);
    json_decref(out);
    return cid;
}

static void a_genuine_applicant_is_issued(void **state)
{
    fx *f = *state;
    eyni_sample_in s[2] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0002.jpg"),
                           fixture_sample("finger", 2, FVC "102_2.tif")};
    eyni_error err;
    int before = count_cases(f);
    json_t *out = apply(f, f->chavez, s, 2, 0, 0, &err);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "issued");
    assert_string_equal(json_string_value(json_object_get(out, "fin")), f->chavez);
    json_decref(out);
    assert_int_equal(licences(f, f->chavez), 1);
    assert_int_equal(count_cases(f), before);
}

static void a_clear_duplicate_is_refused_naming_the_fin(void **state)
{
    fx *f = *state;
    /* Blairov's live face matches his own portrait - and face and finger match Blair's. */
    eyni_sample_in s[2] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0003.jpg"),
                           fixture_sample("finger", 2, FVC "101_2.tif")};
    eyni_error err;
    int before = count_cases(f);
    assert_null(apply(f, f->blairov, s, 2, 0, EYNI_ECONFLICT, &err));
    assert_non_null(strstr(err.msg, f->blair));
    assert_int_equal(licences(f, f->blairov), 0);
    assert_int_equal(count_cases(f), before);
}

static void same_person_refuses_the_application_for_good(void **state)
{
    fx *f = *state;
    eyni_sample_in s[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0004.jpg")};
    eyni_error err;
    long long cid = held_in_case(apply(f, f->blairov, s, 1, 0, 0, &err), f->blairov, f->blair);
    assert_int_equal(licences(f, f->blairov), 0);
    eyni_actor adj = fixture_actor(EYNI_ROLE_ADJUDICATOR, "adjudication");
    json_t *c = NULL;
    assert_int_equal(eyni_register_case_get(f->reg, &adj, cid, &c, &err), 0);
    assert_string_equal(json_string_value(json_object_get(c, "kind")), "application");
    assert_string_equal(json_string_value(json_object_get(c, "fin")), f->blairov);
    assert_true(json_is_null(json_object_get(c, "enrolment")));
    /* the applicant's side is the record of the FIN applied for */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(c, "applicant"), "surname")), "Blairov");
    json_decref(c);
    assert_int_equal(eyni_register_case_samples(f->reg, &adj, cid, &c, &err), 0);
    assert_int_equal(json_array_size(json_object_get(c, "applicant")), 1);
    assert_non_null(json_object_get(json_object_get(c, "claimed"), f->blairov));
    assert_non_null(json_object_get(json_object_get(c, "candidates"), f->blair));
    json_decref(c);
    /* the desk cannot decide */
    eyni_actor docs = fixture_actor(EYNI_ROLE_DOCUMENTS, "document application");
    assert_int_equal(eyni_identity_case_decide(f->id, &docs, cid, "same", f->blair, "x", &c, &err),
                     EYNI_EPERM);
    assert_int_equal(eyni_identity_case_decide(f->id, &adj, cid, "same", f->blair,
                                               "same person as Blair", &c, &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "same");
    assert_string_equal(json_string_value(json_object_get(c, "same_as")), f->blair);
    json_decref(c);
    assert_int_equal(
        eyni_identity_case_decide(f->id, &adj, cid, "different", NULL, "changed mind", &c, &err),
        EYNI_ECONFLICT); /* decided once */
    /* re-submitting the case, or applying afresh for the FIN, is refused */
    eyni_sample_in t[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0004.jpg")};
    assert_null(apply(f, f->blairov, t, 1, cid, EYNI_ECONFLICT, &err));
    assert_non_null(strstr(err.msg, "same person"));
    eyni_sample_in u[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0006.jpg")};
    int before = count_cases(f);
    assert_null(apply(f, f->blairov, u, 1, 0, EYNI_ECONFLICT, &err));
    assert_non_null(strstr(err.msg, f->blair));
    assert_int_equal(count_cases(f), before);
    assert_int_equal(licences(f, f->blairov), 0);
}

static void different_clears_one_resubmission(void **state)
{
    fx *f = *state;
    eyni_sample_in s[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0053.jpg")};
    eyni_error err;
    long long cid = held_in_case(apply(f, f->blairli, s, 1, 0, 0, &err), f->blairli, f->blair);
    /* undecided: the re-submission waits for the adjudicator */
    eyni_sample_in t[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0053.jpg")};
    assert_null(apply(f, f->blairli, t, 1, cid, EYNI_ECONFLICT, &err));
    assert_non_null(strstr(err.msg, "not decided"));
    eyni_actor adj = fixture_actor(EYNI_ROLE_ADJUDICATOR, "adjudication");
    json_t *c = NULL;
    assert_int_equal(eyni_identity_case_decide(f->id, &adj, cid, "different", NULL,
                                               "registered twins, birth records checked", &c, &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "different");
    json_decref(c);
    assert_int_equal(licences(f, f->blairli), 0); /* a decision issues nothing by itself */
    /* the case of another FIN cannot be used */
    eyni_sample_in w[1] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0003.jpg")};
    assert_null(apply(f, f->chavez, w, 1, cid, EYNI_EFORMAT, &err));
    assert_non_null(strstr(err.msg, f->blairli));
    /* the live face must still be the holder's */
    eyni_sample_in x[1] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0003.jpg")};
    assert_null(apply(f, f->blairli, x, 1, cid, EYNI_ECONFLICT, &err));
    assert_non_null(strstr(err.msg, "do not match"));
    /* A cleared case clears its own candidates only: this capture also matches Blairov, whom
     * the adjudicator never saw - a new case. */
    eyni_sample_in y[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0064.jpg")};
    long long other =
        held_in_case(apply(f, f->blairli, y, 1, cid, 0, &err), f->blairli, f->blairov);
    assert_true(other != cid);
    /* The desk submits the application again with the capture the adjudicator decided on. */
    eyni_sample_in u[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0053.jpg")};
    json_t *out = apply(f, f->blairli, u, 1, cid, 0, &err);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "issued");
    json_decref(out);
    assert_int_equal(licences(f, f->blairli), 1);
    /* one application per case */
    eyni_sample_in v[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0053.jpg")};
    assert_null(apply(f, f->blairli, v, 1, cid, EYNI_ECONFLICT, &err));
    assert_non_null(strstr(err.msg, "already used"));
}

static void bad_input_is_refused_and_nothing_stored(void **state)
{
    fx *f = *state;
    eyni_error err;
    int before = count_cases(f);
    /* an unknown case */
    eyni_sample_in s[1] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0004.jpg")};
    assert_null(apply(f, f->chavez, s, 1, 999999, EYNI_ENOTFOUND, &err));
    /* an enrolment's case is not an application's */
    eyni_actor reg = fixture_actor(EYNI_ROLE_REGISTRAR, "enrolment");
    json_t *person = fixture_json("{\"surname\":\"Pendingov\",\"given_name\":\"T\",\"birth_date\":"
                                  "\"1970-01-01\",\"sex\":\"M\",\"citizenship\":\"AZE\"}");
    eyni_sample_in p[1] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0048.jpg")};
    json_t *out = NULL;
    assert_int_equal(eyni_identity_enrol(f->id, &reg, person, p, 1, &out, &err), 0);
    fixture_free_samples(p, 1);
    json_decref(person);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "possible");
    long long ecase = json_integer_value(json_object_get(out, "case"));
    json_decref(out);
    before++;
    eyni_sample_in t[1] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0004.jpg")};
    assert_null(apply(f, f->chavez, t, 1, ecase, EYNI_EFORMAT, &err));
    assert_non_null(strstr(err.msg, "enrolment"));
    /* a finger position that is no finger */
    eyni_sample_in u[2] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0004.jpg"),
                           fixture_sample("finger", 11, FVC "102_3.tif")};
    assert_null(apply(f, f->chavez, u, 2, 0, EYNI_EFORMAT, &err));
    assert_non_null(strstr(err.msg, "11"));
    /* a blank finger image fails the quality gate */
    eyni_image *white = eyni_image_new(300, 300, 1, NULL);
    memset(white->data, 255, 300 * 300);
    unsigned char *png;
    size_t len;
    assert_int_equal(eyni_image_encode_png(white, &png, &len, &err), 0);
    eyni_image_free(white);
    eyni_sample_in v[2] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0004.jpg"),
                           {"finger", 3, png, len}};
    assert_null(apply(f, f->chavez, v, 2, 0, EYNI_EQUALITY, &err));
    /* an application carries one live face */
    eyni_sample_in w[2] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0004.jpg"),
                           fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0005.jpg")};
    assert_null(apply(f, f->chavez, w, 2, 0, EYNI_EFORMAT, &err));
    /* a case needs the live samples it is checked with */
    assert_null(apply(f, f->chavez, NULL, 0, ecase, EYNI_EFORMAT, &err));
    assert_int_equal(count_cases(f), before);
    assert_int_equal(licences(f, f->chavez), 1); /* the one issued before */
}

/* The request parser: what it accepts and every way it refuses. */
static void the_request_is_read_strictly(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[]",
        "{\"fin\":\"X\",\"face\":5}",
        "{\"fin\":\"X\",\"face\":\"\"}",
        "{\"fin\":\"X\",\"face\":\"***\"}",
        "{\"fin\":\"X\",\"fingers\":{}}",
        "{\"fin\":\"X\",\"fingers\":[1]}",
        "{\"fin\":\"X\",\"fingers\":[{\"position\":0,\"image\":\"QUJD\"}]}",
        "{\"fin\":\"X\",\"fingers\":[{\"position\":11,\"image\":\"QUJD\"}]}",
        "{\"fin\":\"X\",\"fingers\":[{\"position\":\"2\",\"image\":\"QUJD\"}]}",
        "{\"fin\":\"X\",\"fingers\":[{\"position\":2}]}",
        "{\"fin\":\"X\",\"fingers\":[{\"position\":2,\"image\":\"QUJD\",\"x\":1}]}",
        "{\"fingers\":[{\"position\":2,\"image\":\"QUJD\"},{\"position\":2,\"image\":\"QUJD\"}]}",
        "{\"fin\":\"X\",\"face\":\"QUJD\",\"case\":0}",
        "{\"fin\":\"X\",\"face\":\"QUJD\",\"case\":\"7\"}",
        "{\"fin\":\"X\",\"case\":7}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *in = fixture_json(bad[i]), *fields = NULL;
        eyni_application_live live;
        long long cid = -1;
        eyni_error err;
        if (eyni_document_application_read(in, &fields, &live, &cid, &err) != EYNI_EFORMAT)
            fail_msg("accepted %s", bad[i]);
        assert_null(fields);
        assert_int_equal(live.n, 0);
        json_decref(in);
    }
    json_t *in = fixture_json("{\"fin\":\"X\",\"type\":\"passport\",\"face\":\"QUJD\",\"case\":7,"
                              "\"fingers\":[{\"position\":7,\"image\":\"REVG\"}]}");
    json_t *fields = NULL;
    eyni_application_live live;
    long long cid = 0;
    eyni_error err;
    assert_int_equal(eyni_document_application_read(in, &fields, &live, &cid, &err), 0);
    assert_int_equal(cid, 7);
    assert_int_equal(live.n, 2);
    assert_string_equal(live.v[0].modality, "face");
    assert_int_equal(live.v[0].len, 3);
    assert_memory_equal(live.v[0].data, "ABC", 3);
    assert_string_equal(live.v[1].modality, "finger");
    assert_int_equal(live.v[1].position, 7);
    assert_memory_equal(live.v[1].data, "DEF", 3);
    assert_int_equal(json_object_size(fields), 2); /* fin and type only */
    eyni_application_live_free(&live);
    json_decref(fields);
    json_decref(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_request_is_read_strictly),
        cmocka_unit_test(a_genuine_applicant_is_issued),
        cmocka_unit_test(a_clear_duplicate_is_refused_naming_the_fin),
        cmocka_unit_test(same_person_refuses_the_application_for_good),
        cmocka_unit_test(different_clears_one_resubmission),
        cmocka_unit_test(bad_input_is_refused_and_nothing_stored),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

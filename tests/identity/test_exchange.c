/* ANSI/NIST-ITL exchange: a transaction we export validates and re-imports to the same
 * person; NIST's own tenprint sample imports as an enrolment; broken input is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eyni/exchange.h"
#include "eyni/nist.h"
#include "reg_fixture.h"
#include "id_fixture.h"

static eyni_register *reg_open(void)
{
    return fixture_open_keyed("exchange");
}

static void exported_transaction_reimports_to_the_same_person(void **state)
{
    eyni_register *reg = reg_open();
    eyni_identity *id = NULL;
    eyni_error err;
    assert_int_equal(eyni_identity_open(reg, NULL, &id, &err), 0);
    eyni_actor a;
    eyni_actor_local(&a, "TEST", "exchange test");
    eyni_sample_in s[3] = {
        fixture_sample("face", 0, "lfw-a-gray-dev/images/Tony_Blair/Tony_Blair_0001.jpg"),
        fixture_sample("finger", 2, "fvc2002-b-real/DB1_B/images/105_1.tif"),
        fixture_sample("finger", 7, "fvc2002-b-real/DB2_B/images/106_1.tif")};
    json_error_t je;
    json_t *person = json_loads("{\"surname\":\"Rəhimov\",\"given_name\":\"Elşən\","
                                "\"birth_date\":\"1979-09-19\",\"sex\":\"M\"}",
                                0, &je);
    json_t *out = NULL;
    assert_int_equal(eyni_identity_enrol(id, &a, person, s, 3, &out, &err), 0);
    char fin[16];
    snprintf(fin, sizeof fin, "%s", json_string_value(json_object_get(out, "fin")));
    json_decref(out);
    for (int i = 0; i < 3; i++)
        free((void *)s[i].data);

    unsigned char *buf = NULL;
    size_t len = 0;
    if (eyni_exchange_export(id, &a, fin, "AZMIA0000", &buf, &len, &err))
        fail_msg("%s", err.msg);
    eyni_nist *t = NULL;
    assert_int_equal(eyni_nist_read(buf, len, &t, &err), 0);
    eyni_nist_problem *problems = NULL;
    size_t n = 99;
    assert_int_equal(eyni_nist_validate(t, &problems, &n, &err), 0);
    assert_int_equal(n, 0);
    free(problems);
    assert_int_equal(eyni_nist_record_count(t), 5); /* Type-1, -2, -10, two Type-14 */
    eyni_nist_free(t);

    /* Imported back under no stated name: the Type-2 fields give the person, and the
     * templates match the enrolled ones. */
    assert_int_equal(eyni_exchange_import(id, &a, buf, len, NULL, &out, &err), 0);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "duplicate");
    assert_string_equal(json_string_value(json_object_get(out, "duplicate_of")), fin);
    json_t *scores =
        json_object_get(json_array_get(json_object_get(out, "candidates"), 0), "scores");
    assert_true(json_real_value(json_object_get(scores, "face")) > 0.9);
    assert_non_null(json_object_get(json_object_get(scores, "finger"), "2"));
    assert_non_null(json_object_get(json_object_get(scores, "finger"), "7"));
    json_decref(out);
    free(buf);

    /* Broken input is refused with a reason, and stores nothing. */
    const unsigned char junk[] = "1.001:9\x1d"
                                 "1.002:0400\x1c";
    assert_int_not_equal(eyni_exchange_import(id, &a, junk, sizeof junk - 1, person, &out, &err),
                         0);
    assert_int_not_equal(eyni_exchange_export(id, &a, "0000000", NULL, &buf, &len, &err), 0);
    json_decref(person);
    eyni_identity_close(id);
    eyni_register_close(reg);
}

static void nist_tenprint_sample_imports_as_an_enrolment(void **state)
{
    eyni_register *reg = reg_open();
    eyni_identity *id = NULL;
    eyni_error err;
    assert_int_equal(eyni_identity_open(reg, NULL, &id, &err), 0);
    eyni_actor a;
    eyni_actor_local(&a, "TEST", "exchange test");
    char *p = eyni_test_path("ansi-nist-itl-samples/nist-sample-transaction/sample.an2");
    unsigned char *buf;
    size_t len;
    assert_int_equal(eyni_file_read(p, 1 << 26, &buf, &len, &err), 0);
    free(p);
    json_error_t je;
    /* The sample's Type-2 holds no name: the desk states it. */
    json_t *person = json_loads("{\"surname\":\"Sample\",\"given_name\":\"Tenprint\","
                                "\"birth_date\":\"1970-01-01\",\"sex\":\"X\"}",
                                0, &je);
    json_t *out = NULL;
    if (eyni_exchange_import(id, &a, buf, len, person, &out, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "unique");
    /* Ten rolled fingers (positions 1..10) were taken; the slaps (11-14) were not. */
    assert_int_equal(json_array_size(json_object_get(out, "samples")), 10);
    json_decref(out);
    /* Without a name anywhere the enrolment is refused. */
    assert_int_equal(eyni_exchange_import(id, &a, buf, len, NULL, &out, &err), EYNI_EFORMAT);
    free(buf);
    json_decref(person);
    eyni_identity_close(id);
    eyni_register_close(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exported_transaction_reimports_to_the_same_person),
        cmocka_unit_test(nist_tenprint_sample_imports_as_an_enrolment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

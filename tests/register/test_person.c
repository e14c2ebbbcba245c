#include "reg_fixture.h"

static const char *aliyev =
    "{\"surname\":\"Əliyev\",\"given_name\":\"Şəhriyar\",\"patronymic\":\"Gülağa oğlu\","
    "\"birth_date\":\"1984-03-17\",\"birth_place\":\"Gəncə\",\"sex\":\"M\","
    "\"citizenship\":\"AZE\",\"marital_status\":\"married\",\"blood_group\":\"AB-\","
    "\"eye_colour\":\"brown\",\"height_cm\":181,"
    "\"residence\":{\"address\":\"Bakı, Nizami küç. 5\",\"since\":\"2010-06-01\"}}";

static json_t *create(eyni_register *r, const eyni_actor *a, const char *text, int expect)
{
    json_t *in = fixture_json(text), *out = NULL;
    eyni_error err;
    int rc = eyni_register_person_create(r, a, in, &out, &err);
    if (rc != expect)
        fail_msg("create returned %d (%s), expected %d", rc, err.msg, expect);
    json_decref(in);
    return out;
}

static int search_count(eyni_register *r, const eyni_actor *a, const char *surname,
                        const char *given, const char *bd)
{
    eyni_person_query q = {NULL, surname, given, bd, 0, 0};
    json_t *out = NULL;
    eyni_error err;
    if (eyni_register_person_search(r, a, &q, &out, &err))
        fail_msg("%s", err.msg);
    int n = (int)json_integer_value(json_object_get(out, "count"));
    json_decref(out);
    return n;
}

static void unicode_names_round_trip_and_fin_is_issued(void **state)
{
    eyni_register *r = fixture_open("reg-unicode");
    eyni_actor a = fixture_actor(EYNI_ROLE_REGISTRAR, "registration");
    json_t *p = create(r, &a, aliyev, 0);
    const char *fin = json_string_value(json_object_get(p, "fin"));
    assert_int_equal(strlen(fin), 7);
    for (const char *c = fin; *c; c++)
        assert_true((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z'));
    json_t *back = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_person_get(r, &a, fin, &back, &err), 0);
    assert_string_equal(json_string_value(json_object_get(back, "surname")), "Əliyev");
    assert_string_equal(json_string_value(json_object_get(back, "given_name")), "Şəhriyar");
    assert_string_equal(json_string_value(json_object_get(back, "patronymic")), "Gülağa oğlu");
    assert_int_equal(json_integer_value(json_object_get(back, "version")), 1);
    assert_int_equal(json_array_size(json_object_get(back, "residence_history")), 1);
    json_decref(back);
    json_decref(p);
    eyni_register_close(r);
}

static void names_are_found_without_diacritics_or_case(void **state)
{
    eyni_register *r = fixture_open("reg-search");
    eyni_actor a = fixture_actor(EYNI_ROLE_REGISTRAR, "registration");
    json_decref(create(r, &a, aliyev, 0));
    json_decref(create(r, &a,
                       "{\"surname\":\"İSMAYILOVA\",\"given_name\":\"Çiçək\","
                       "\"birth_date\":\"1990-12-01\",\"sex\":\"F\"}",
                       0));
    assert_int_equal(search_count(r, &a, "eliyev", NULL, NULL), 1);
    assert_int_equal(search_count(r, &a, "ƏLİYEV", "sehriyar", "1984-03-17"), 1);
    assert_int_equal(search_count(r, &a, "Aliyev", NULL, NULL), 0);
    assert_int_equal(search_count(r, &a, "ismayilova", "cicek", NULL), 1);
    assert_int_equal(search_count(r, &a, "ismayilova", NULL, "1990-12-02"), 0);
    eyni_register_close(r);
}

static void updates_keep_every_version(void **state)
{
    eyni_register *r = fixture_open("reg-update");
    eyni_actor a = fixture_actor(EYNI_ROLE_REGISTRAR, "registration");
    json_t *p = create(r, &a, aliyev, 0);
    char fin[16];
    snprintf(fin, sizeof fin, "%s", json_string_value(json_object_get(p, "fin")));
    json_decref(p);
    eyni_error err;
    json_t *chg = fixture_json("{\"surname\":\"Məmmədov\",\"marital_status\":\"divorced\","
                               "\"residence\":{\"address\":\"Sumqayıt\",\"since\":\"2020-01-01\"},"
                               "\"reason\":\"court decision 12/2024\",\"version\":1}");
    json_t *out = NULL;
    assert_int_equal(eyni_register_person_update(r, &a, fin, chg, &out, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "version")), 2);
    json_decref(out);
    /* The same change based on the old version is a conflict, not a silent overwrite. */
    assert_int_equal(eyni_register_person_update(r, &a, fin, chg, &out, &err), EYNI_ECONFLICT);
    json_decref(chg);
    json_t *noreason = fixture_json("{\"surname\":\"X\"}");
    assert_int_equal(eyni_register_person_update(r, &a, fin, noreason, &out, &err),
                     EYNI_EFORMAT);
    json_decref(noreason);
    json_t *h = NULL;
    assert_int_equal(eyni_register_person_history(r, &a, fin, &h, &err), 0);
    json_t *versions = json_object_get(h, "versions");
    assert_int_equal(json_array_size(versions), 2);
    json_t *v1 = json_object_get(json_array_get(versions, 0), "record");
    json_t *v2 = json_array_get(versions, 1);
    assert_string_equal(json_string_value(json_object_get(v1, "surname")), "Əliyev");
    assert_string_equal(json_string_value(json_object_get(v2, "reason")), "court decision 12/2024");
    json_t *rec2 = json_object_get(v2, "record");
    assert_string_equal(json_string_value(json_object_get(rec2, "surname")), "Məmmədov");
    assert_int_equal(json_array_size(json_object_get(rec2, "residence_history")), 2);
    json_decref(h);
    assert_int_equal(search_count(r, &a, "memmedov", NULL, NULL), 1);
    assert_int_equal(search_count(r, &a, "eliyev", NULL, NULL), 0);
    eyni_register_close(r);
}

static void bad_input_is_refused_and_nothing_stored(void **state)
{
    eyni_register *r = fixture_open("reg-bad");
    eyni_actor a = fixture_actor(EYNI_ROLE_REGISTRAR, "registration");
    const char *bad[] = {
        "{\"surname\":\"A\",\"given_name\":\"B\",\"birth_date\":\"2023-02-30\",\"sex\":\"M\"}",
        "{\"surname\":\"A\",\"given_name\":\"B\",\"birth_date\":\"2999-01-01\",\"sex\":\"M\"}",
        "{\"surname\":\"A\",\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"Q\"}",
        "{\"surname\":\"A\",\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"M\","
        "\"citizenship\":\"AZR\"}",
        "{\"surname\":\"A\",\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"M\","
        "\"shoe_size\":44}",
        "{\"surname\":\"\",\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"M\"}",
        "{\"surname\":\"123\",\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"M\"}",
        "{\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"M\"}",
        "{\"surname\":\"A\",\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"M\","
        "\"height_cm\":400}",
        "{\"surname\":\"A\",\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"M\","
        "\"blood_group\":\"C+\"}",
        "{\"surname\":\"A\",\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"M\","
        "\"residence\":{\"address\":\"x\"}}",
        "{\"surname\":5,\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"M\"}",
        "{\"surname\":\"A\\u0007\",\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"M\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(create(r, &a, bad[i], EYNI_EFORMAT));
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    char text[600];
    snprintf(text, sizeof text,
             "{\"surname\":\"%s\",\"given_name\":\"B\",\"birth_date\":\"1990-01-01\",\"sex\":\"M\"}",
             longname);
    assert_null(create(r, &a, text, EYNI_ELIMIT));
    assert_int_equal(search_count(r, &a, "a", NULL, NULL), 0);
    eyni_error err;
    json_t *out = NULL;
    assert_int_equal(eyni_register_person_get(r, &a, "abc", &out, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_register_person_get(r, &a, "0000000", &out, &err), EYNI_ENOTFOUND);
    eyni_register_close(r);
}

static void fins_are_unique_across_many_registrations(void **state)
{
    eyni_register *r = fixture_open("reg-fins");
    eyni_actor a = fixture_actor(EYNI_ROLE_REGISTRAR, "registration");
    char seen[300][8];
    for (int i = 0; i < 300; i++) {
        json_t *p = create(r, &a,
                           "{\"surname\":\"Həsənov\",\"given_name\":\"Orxan\","
                           "\"birth_date\":\"2001-01-01\",\"sex\":\"M\"}",
                           0);
        snprintf(seen[i], 8, "%s", json_string_value(json_object_get(p, "fin")));
        json_decref(p);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }
    assert_int_equal(search_count(r, &a, "hesenov", "orxan", "2001-01-01"), 20);
    eyni_register_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unicode_names_round_trip_and_fin_is_issued),
        cmocka_unit_test(names_are_found_without_diacritics_or_case),
        cmocka_unit_test(updates_keep_every_version),
        cmocka_unit_test(bad_input_is_refused_and_nothing_stored),
        cmocka_unit_test(fins_are_unique_across_many_registrations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

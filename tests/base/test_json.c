#include <stdlib.h>
#include <string.h>

#include "eyni/base.h"
#include "testutil.h"

static void objects_parse_and_keys_are_checked(void **state)
{
    const char *body = "{\"surname\":\"Əliyev\",\"sex\":\"M\"}";
    json_t *o;
    eyni_error err;
    assert_int_equal(eyni_json_parse_object(body, strlen(body), &o, &err), 0);
    const char *allowed[] = {"surname", "sex", NULL};
    assert_int_equal(eyni_json_check_keys(o, allowed, &err), 0);
    const char *only[] = {"surname", NULL};
    assert_int_equal(eyni_json_check_keys(o, only, &err), EYNI_EFORMAT);
    assert_non_null(strstr(err.msg, "'sex'"));
    const char *s;
    assert_int_equal(eyni_json_get_string(o, "surname", 64, &s, &err), 0);
    assert_string_equal(s, "Əliyev");
    assert_int_equal(eyni_json_get_string(o, "surname", 3, &s, &err), EYNI_ELIMIT);
    assert_int_equal(eyni_json_get_string(o, "absent", 3, &s, &err), 0);
    assert_null(s);
    json_decref(o);
}

static void hostile_json_is_refused(void **state)
{
    json_t *o;
    eyni_error err;
    const char *cases[] = {"", "[1,2]", "{\"a\":1", "{\"a\":1,\"a\":2}", "\"x\"", "{\"a\":}",
                           "{\"a\":1}garbage"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_not_equal(eyni_json_parse_object(cases[i], strlen(cases[i]), &o, &err), 0);
        assert_true(strlen(err.msg) > 0);
    }
    char deep[200];
    size_t n = 0;
    n += (size_t)snprintf(deep + n, sizeof deep - n, "{\"a\":");
    for (int i = 0; i < 40; i++)
        deep[n++] = '[';
    for (int i = 0; i < 40; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    assert_int_equal(eyni_json_parse_object(deep, n, &o, &err), EYNI_ELIMIT);
}

static void control_characters_in_strings_are_refused(void **state)
{
    const char *body = "{\"surname\":\"a\\u0001b\"}";
    json_t *o;
    eyni_error err;
    assert_int_equal(eyni_json_parse_object(body, strlen(body), &o, &err), 0);
    const char *s;
    assert_int_equal(eyni_json_get_string(o, "surname", 64, &s, &err), EYNI_EFORMAT);
    json_decref(o);
    const char *num = "{\"surname\":5}";
    assert_int_equal(eyni_json_parse_object(num, strlen(num), &o, &err), 0);
    assert_int_equal(eyni_json_get_string(o, "surname", 64, &s, &err), EYNI_EFORMAT);
    json_decref(o);
}

static void base64_round_trips_and_refuses_garbage(void **state)
{
    const unsigned char bytes[] = {0, 1, 2, 250, 251, 252, 253};
    eyni_error err;
    for (size_t n = 0; n <= sizeof bytes; n++) {
        char *t;
        unsigned char *back;
        size_t m;
        assert_int_equal(eyni_base64_encode(bytes, n, &t, &err), 0);
        assert_int_equal(strlen(t), 4 * ((n + 2) / 3));
        assert_int_equal(eyni_base64_decode(t, strlen(t), &back, &m, &err), 0);
        assert_int_equal(m, n);
        assert_memory_equal(back, bytes, n);
        free(t);
        free(back);
    }
    unsigned char *o;
    size_t m;
    assert_int_equal(eyni_base64_decode("abc", 3, &o, &m, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_base64_decode("ab!d", 4, &o, &m, &err), EYNI_EFORMAT);
}

/* An optional flag: true, false, null or absent; anything else is refused by name. */
static void booleans_are_booleans(void **state)
{
    (void)state;
    eyni_error err;
    json_t *o = json_loads("{\"a\":true,\"b\":false,\"c\":null,\"d\":\"yes\",\"e\":1}", 0, NULL);
    int v = -1;
    assert_int_equal(eyni_json_get_bool(o, "a", &v, &err), 0);
    assert_int_equal(v, 1);
    assert_int_equal(eyni_json_get_bool(o, "b", &v, &err), 0);
    assert_int_equal(v, 0);
    v = -1;
    assert_int_equal(eyni_json_get_bool(o, "c", &v, &err), 0);
    assert_int_equal(v, 0);
    v = -1;
    assert_int_equal(eyni_json_get_bool(o, "absent", &v, &err), 0);
    assert_int_equal(v, 0);
    assert_int_equal(eyni_json_get_bool(o, "d", &v, &err), EYNI_EFORMAT);
    assert_non_null(strstr(err.msg, "'d'"));
    assert_int_equal(eyni_json_get_bool(o, "e", &v, &err), EYNI_EFORMAT);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(objects_parse_and_keys_are_checked),
        cmocka_unit_test(hostile_json_is_refused),
        cmocka_unit_test(control_characters_in_strings_are_refused),
        cmocka_unit_test(base64_round_trips_and_refuses_garbage),
        cmocka_unit_test(booleans_are_booleans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

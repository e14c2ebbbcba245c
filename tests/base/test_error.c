#include <string.h>

#include "eyni/base.h"
#include "testutil.h"

static void set_returns_code_and_formats_message(void **state)
{
    eyni_error err;
    int rc = eyni_error_set(&err, EYNI_EFORMAT, "%s: TIFF has %d bits per sample", "a.tif", 16);
    assert_int_equal(rc, EYNI_EFORMAT);
    assert_int_equal(err.code, EYNI_EFORMAT);
    assert_string_equal(err.msg, "a.tif: TIFF has 16 bits per sample");
}

static void prefix_keeps_code_and_prepends_context(void **state)
{
    eyni_error err;
    eyni_error_set(&err, EYNI_ENOTFOUND, "no such person");
    assert_int_equal(eyni_error_prefix(&err, "FIN %s: ", "ABC1234"), EYNI_ENOTFOUND);
    assert_string_equal(err.msg, "FIN ABC1234: no such person");
}

static void long_messages_are_truncated_not_overflowed(void **state)
{
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    eyni_error err;
    eyni_error_set(&err, EYNI_EINVAL, "%s", big);
    assert_int_equal(strlen(err.msg), sizeof err.msg - 1);
    eyni_error_prefix(&err, "%s", big);
    assert_int_equal(strlen(err.msg), sizeof err.msg - 1);
}

static void null_error_is_allowed(void **state)
{
    assert_int_equal(eyni_error_set(NULL, EYNI_EIO, "x"), EYNI_EIO);
}

static void names_are_stable(void **state)
{
    assert_string_equal(eyni_error_name(EYNI_OK), "OK");
    assert_string_equal(eyni_error_name(EYNI_EPERM), "EPERM");
    assert_string_equal(eyni_error_name(EYNI_EINTERNAL), "EINTERNAL");
    assert_string_equal(eyni_error_name(-999), "EUNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(set_returns_code_and_formats_message),
        cmocka_unit_test(prefix_keeps_code_and_prepends_context),
        cmocka_unit_test(long_messages_are_truncated_not_overflowed),
        cmocka_unit_test(null_error_is_allowed),
        cmocka_unit_test(names_are_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#include <string.h>

#include "eyni/base.h"
#include "testutil.h"

static void azerbaijani_letters_fold_to_ascii(void **state)
{
    char out[128];
    eyni_error err;
    assert_int_equal(eyni_text_fold("Əliyev Şəhriyar Güləli-oğlu", out, sizeof out, &err), 0);
    assert_string_equal(out, "eliyev sehriyar guleli oglu");
    assert_int_equal(eyni_text_fold("İSMAYILOV ÇİNGİZ ÖMƏR", out, sizeof out, &err), 0);
    assert_string_equal(out, "ismayilov cingiz omer");
    assert_int_equal(eyni_text_fold("ıı", out, sizeof out, &err), 0);
    assert_string_equal(out, "ii");
}

static void other_latin_letters_fold(void **state)
{
    char out[128];
    eyni_error err;
    assert_int_equal(eyni_text_fold("Straße Ærø Łódź O'Brien", out, sizeof out, &err), 0);
    assert_string_equal(out, "strasse aero lodz o brien");
}

static void other_scripts_are_kept(void **state)
{
    char out[128];
    eyni_error err;
    assert_int_equal(eyni_text_fold("Иван Petrov", out, sizeof out, &err), 0);
    assert_string_equal(out, "Иван petrov");
}

static void invalid_utf8_is_refused(void **state)
{
    char out[64];
    eyni_error err;
    assert_int_equal(eyni_text_fold("abc\xC3", out, sizeof out, &err), EYNI_EINVAL);
    assert_int_equal(eyni_text_fold("\xC0\xAF", out, sizeof out, &err), EYNI_EINVAL);
    assert_int_equal(eyni_text_fold("\xED\xA0\x80", out, sizeof out, &err), EYNI_EINVAL);
    assert_false(eyni_utf8_valid("a\x01b", 3));
    assert_false(eyni_utf8_valid("\xF4\x90\x80\x80", 4));
    assert_true(eyni_utf8_valid("Ə ə\n", strlen("Ə ə\n")));
}

static void short_buffer_reports_limit(void **state)
{
    char out[4];
    eyni_error err;
    assert_int_equal(eyni_text_fold("abcdef", out, sizeof out, &err), EYNI_ELIMIT);
    assert_true(strlen(out) < sizeof out);
}

static void dates_are_strict_calendar_days(void **state)
{
    eyni_error err;
    int y, m, d;
    assert_int_equal(eyni_date_parse("2000-02-29", &y, &m, &d, &err), 0);
    assert_int_equal(y * 10000 + m * 100 + d, 20000229);
    assert_int_equal(eyni_date_parse("1900-02-29", &y, &m, &d, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_date_parse("2023-13-01", &y, &m, &d, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_date_parse("2023-1-01", &y, &m, &d, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_date_parse("20x3-01-01", &y, &m, &d, &err), EYNI_EFORMAT);
    assert_int_equal(eyni_date_parse("1700-01-01", &y, &m, &d, &err), EYNI_EFORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(azerbaijani_letters_fold_to_ascii),
        cmocka_unit_test(other_latin_letters_fold),
        cmocka_unit_test(other_scripts_are_kept),
        cmocka_unit_test(invalid_utf8_is_refused),
        cmocka_unit_test(short_buffer_reports_limit),
        cmocka_unit_test(dates_are_strict_calendar_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

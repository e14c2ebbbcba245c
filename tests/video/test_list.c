/* Wanted list parsing (good and broken input) and the threshold calibration. */
#include <stdlib.h>
#include <string.h>

#include "eyni/video.h"
#include "testutil.h"

static int parse(const char *text, eyni_video_list_item **items, size_t *n)
{
    eyni_error err = {0};
    int rc = eyni_video_list_parse(text, strlen(text), items, n, &err);
    if (rc)
        assert_true(err.msg[0] != 0);
    return rc;
}

static void test_list_good(void **state)
{
    eyni_video_list_item *it = NULL;
    size_t n = 0;
    assert_int_equal(parse("# wanted\n\n7\tJohn Doe\tphotos/a.jpg\r\n12\tƏli\t/x/b.png", &it, &n),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(it[0].id, 7);
    assert_string_equal(it[0].label, "John Doe");
    assert_string_equal(it[0].photo, "photos/a.jpg");
    assert_int_equal(it[1].id, 12);
    assert_string_equal(it[1].label, "Əli");
    assert_string_equal(it[1].photo, "/x/b.png");
    free(it);
}

static void test_list_broken(void **state)
{
    static const char *bad[] = {
        "7\tJohn\n",         /* two fields */
        "0\tJohn\ta.jpg\n",  /* id not positive */
        "-3\tJohn\ta.jpg\n", /* negative */
        "7x\tJohn\ta.jpg\n", /* not a number */
        "99999999999999999999\tJ\ta.jpg\n",
        "7\t\ta.jpg\n",       /* empty label */
        "7\tJohn\t\n",        /* empty photo */
        "7\tJo\thn\ta.jpg\n", /* tab in the photo field */
        "7\tJ\xff\ta.jpg\n",  /* not UTF-8 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        eyni_video_list_item *it = (eyni_video_list_item *)1;
        size_t n = 5;
        assert_int_equal(parse(bad[i], &it, &n), EYNI_EFORMAT);
        assert_null(it);
        assert_int_equal(n, 0);
    }
}

static void test_threshold(void **state)
{
    int capped = 0;
    /* more comparisons per hour need a higher threshold */
    float few = eyni_video_threshold_for_rate(1, 100, 1, 1, &capped);
    assert_int_equal(capped, 0);
    float many = eyni_video_threshold_for_rate(1, 10000, 3, 10, &capped);
    assert_true(many > few);
    assert_true(few >= (float)EYNI_FACE_THRESHOLD_FMR_1E4);
    /* the chosen threshold meets the target on the engine's own curve */
    assert_true(eyni_face_score_fmr(many) * 10000 * 3 * 10 <= 1.001);
    /* beyond the measured table the answer is capped and says so */
    float top = eyni_video_threshold_for_rate(1, 1e6, 3, 1000, &capped);
    assert_int_equal(capped, 1);
    assert_true(top >= many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_good),
        cmocka_unit_test(test_list_broken),
        cmocka_unit_test(test_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

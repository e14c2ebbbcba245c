/* Who receives a pushed event: everyone for an event without an audience; for one with an
 * audience (an alert raised by a watchlist entry's face) the owner agency, the agencies it is
 * shown to, every agency for "*", and operators; nobody else, not even an agency whose code
 * is part of another's. */
#include <stdlib.h>
#include <string.h>

#include "eyni/events.h"
#include "testutil.h"

static int has(const char *owner, const char *visible, const char *agency, int is_operator)
{
    eyni_events_audience aud = {owner, visible};
    eyni_events_subscriber who = {agency, is_operator};
    return eyni_events_audience_has(&aud, &who);
}

static void test_audience(void **state)
{
    eyni_events_subscriber who = {"SGB", 0};
    assert_true(eyni_events_audience_has(NULL, &who));
    assert_true(has("DIN", ",SGB,POL,", "DIN", 0)); /* the owner */
    assert_true(has("DIN", ",SGB,POL,", "SGB", 0));
    assert_true(has("DIN", ",SGB,POL,", "POL", 0));
    assert_false(has("DIN", ",SGB,POL,", "MIA", 0));
    assert_false(has("DIN", ",SGBX,", "SGB", 0)); /* a code inside another is not it */
    assert_false(has("DIN", ",XSGB,", "SGB", 0));
    assert_false(has("DIN", ",SGB,", "GB", 0));
    assert_true(has("DIN", ",*,", "MIA", 0));
    assert_true(has("", "", "MIA", 1)); /* operators read every list */
    assert_false(has("", "", "MIA", 0));
    assert_false(has("", "", "", 0)); /* no agency is not every agency */
    assert_false(has("DIN", ",SGB,", NULL, 0));
    assert_false(has(NULL, NULL, "SGB", 0));
    /* a subscriber of no agency (the webhook): only what every agency may see */
    assert_true(has("DIN", ",SGB,*,", NULL, 0));
    assert_false(has("DIN", ",DIN,SGB,", NULL, 0));
}

/* An event for an audience is kept like any other (the stream filters it per subscriber). */
static void test_publish(void **state)
{
    eyni_events *ev = NULL;
    eyni_error err;
    assert_int_equal(eyni_events_new(&ev, &err), 0);
    json_t *d = json_pack("{s:i}", "id", 1);
    eyni_events_audience aud = {"DIN", ",SGB,"};
    for (int i = 0; i < 3 * EYNI_EVENTS_KEEP; i++) /* the ring wraps: slots change hands */
        assert_int_equal(eyni_events_publish(ev, "alert", i + 1, d, i % 2 ? &aud : NULL, &err), 0);
    json_decref(d);
    eyni_events_free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audience),
        cmocka_unit_test(test_publish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

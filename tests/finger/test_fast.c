/* The fast 1:N comparison path scores exactly as the portable reference path, on the real
 * FVC2002 records of all three DBs and on synthetic fingers. */
#include <stdlib.h>
#include <string.h>

#include "../../src/finger/mcc_int.h"
#include "eyni/finger.h"
#include "testutil.h"

#define DBS     3
#define FINGERS 10
#define IMPS    8
#define N       (DBS * FINGERS * IMPS)

static eyni_finger_template *record(int db, int finger, int impression)
{
    char rel[128];
    snprintf(rel, sizeof rel, "fvc2002-b-real/DB%d_B/iso19794-2_templates/%d_%d.iso", db, finger,
             impression);
    char *p = eyni_test_path(rel);
    unsigned char *buf = NULL;
    size_t len = 0;
    eyni_error err;
    eyni_finger_template *t = NULL;
    if (eyni_file_read(p, 1 << 20, &buf, &len, &err) ||
        eyni_finger_template_read(buf, len, rel, &t, NULL, &err))
        fail_msg("%s", err.msg);
    free(buf);
    free(p);
    return t;
}

/* Every pair of the 240 records plus 40 synthetic fingers (both orders, and each with
 * itself): the fast path's score equals the reference's bit for bit. */
static void fast_path_equals_reference(void **state)
{
    enum { SYN = 40, ALL = N + SYN };
    eyni_finger_mcc **m = calloc(ALL, sizeof *m);
    eyni_finger_template **t = calloc(ALL, sizeof *t);
    eyni_error err;
    int k = 0;
    for (int db = 1; db <= DBS; db++)
        for (int f = 101; f < 101 + FINGERS; f++)
            for (int i = 1; i <= IMPS; i++)
                t[k++] = record(db, f, i);
    for (int i = 0; i < SYN; i++)
        assert_int_equal(eyni_finger_synthesize((uint64_t)i + 3, t[i * 6], &t[k++], &err), 0);
    int max_nc = 0;
    for (int i = 0; i < ALL; i++) {
        assert_int_equal(eyni_finger_mcc_new(t[i], &m[i], &err), 0);
        max_nc = m[i]->nc > max_nc ? m[i]->nc : max_nc;
    }
    pair *buf = malloc(sizeof(pair) * MCC_SCRATCH(max_nc, max_nc));
    assert_non_null(buf);
    long differ = 0, positive = 0;
    for (int i = 0; i < ALL; i++)
        for (int j = 0; j < ALL; j++) {
            double ref = mcc_score_reference(m[i], m[j], buf);
            double fast = mcc_score(m[i], m[j], buf);
            differ += memcmp(&ref, &fast, sizeof ref) != 0;
            positive += ref > 0;
        }
    assert_int_equal(differ, 0);
    assert_true(positive > (long)ALL * ALL / 2); /* the comparison was not trivially zero */
    if (!mcc_fast_available())
        print_message("note: no AVX-512 on this CPU; the fast path is the reference\n");
    free(buf);
    for (int i = 0; i < ALL; i++) {
        eyni_finger_mcc_free(m[i]);
        eyni_finger_template_free(t[i]);
    }
    free(m);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_path_equals_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

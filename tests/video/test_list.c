/* Wanted list parsing (good and broken input), the threshold calibration and the cohort
 * normalisation on made-up embeddings. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void unit(float *v)
{
    float n = 0;
    for (int i = 0; i < EYNI_FACE_DIM; i++)
        n += v[i] * v[i];
    for (int i = 0; i < EYNI_FACE_DIM; i++)
        v[i] /= sqrtf(n);
}

static void random_unit(unsigned long long *rng, float *v)
{
    for (int i = 0; i < EYNI_FACE_DIM; i++) {
        *rng ^= *rng << 13, *rng ^= *rng >> 7, *rng ^= *rng << 17;
        v[i] = (float)((*rng >> 11) / 9007199254740992.0) - 0.5f;
    }
    unit(v);
}

#define NC 80

/* A cohort of random faces; "magnet" resembles a quarter of them, "plain" none. A probe as
 * close to each in raw terms must score lower against the magnet once normalised, and be
 * matched to the plain one. */
static void test_cohort(void **state)
{
    static float cohort[NC][EYNI_FACE_DIM];
    int ident[NC];
    unsigned long long rng = 88172645463325252ull;
    for (int i = 0; i < NC; i++) {
        random_unit(&rng, cohort[i]);
        ident[i] = i / 2;
    }
    float magnet[EYNI_FACE_DIM] = {0}, plain[EYNI_FACE_DIM], other[EYNI_FACE_DIM],
          probe[EYNI_FACE_DIM];
    for (int i = 0; i < NC / 4; i++)
        for (int k = 0; k < EYNI_FACE_DIM; k++)
            magnet[k] += cohort[i][k];
    unit(magnet);
    random_unit(&rng, plain);
    random_unit(&rng, other);
    for (int k = 0; k < EYNI_FACE_DIM; k++)
        probe[k] = 0.5f * magnet[k] + 0.5f * plain[k] + 0.7f * other[k];
    unit(probe);
    eyni_video_wanted *w = NULL;
    eyni_error err = {0};
    assert_int_equal(eyni_video_wanted_new(&w, &err), 0);
    eyni_video_match m;
    assert_int_equal(eyni_video_wanted_add(w, 1, "magnet", magnet, &err), 0);
    assert_int_equal(eyni_video_wanted_match(w, probe, &m, &err), 0);
    assert_int_equal(m.normalised, 0); /* no cohort yet: raw scores */
    assert_true(m.norm == -1 && m.id == 1);
    float raw_magnet = m.score;
    assert_true(eyni_video_wanted_norm_threshold(w, 1e-5) == 0);
    assert_int_equal(eyni_video_wanted_set_cohort(w, cohort[0], ident, NC, &err), 0);
    assert_int_equal(eyni_video_wanted_match(w, probe, &m, &err), 0);
    assert_int_equal(m.normalised, 1);
    float norm_magnet = m.norm;
    assert_int_equal(eyni_video_wanted_add(w, 2, "plain", plain, &err), 0);
    assert_int_equal(eyni_video_wanted_match(w, probe, &m, &err), 0);
    /* the raw scores are alike, but the magnet's look-alikes make its score worth less */
    assert_true(fabsf(m.score - raw_magnet) < 0.05f);
    assert_int_equal(m.id, 2);
    assert_true(m.norm > norm_magnet + 1);
    eyni_video_entry_info e0, e1;
    assert_int_equal(eyni_video_wanted_entry(w, 0, &e0), 1);
    assert_int_equal(eyni_video_wanted_entry(w, 1, &e1), 1);
    assert_true(e0.cohort_mean > e1.cohort_mean + 0.03f);
    /* a rarer false match needs a higher normalised score */
    float t4 = eyni_video_wanted_norm_threshold(w, 1e-4),
          t6 = eyni_video_wanted_norm_threshold(w, 1e-6);
    assert_true(t6 > t4 && t4 > 0);
    eyni_video_wanted_free(w);
}

/* Removing a person drops its photo and blurred copy while the others keep matching with
 * their own cohort statistics (the moved entry keeps its own). */
static void test_remove(void **state)
{
    static float cohort[NC][EYNI_FACE_DIM];
    int ident[NC];
    unsigned long long rng = 2463534242ull;
    for (int i = 0; i < NC; i++) {
        random_unit(&rng, cohort[i]);
        ident[i] = i;
    }
    float a[EYNI_FACE_DIM], a_copy[EYNI_FACE_DIM], b[EYNI_FACE_DIM], c[EYNI_FACE_DIM];
    random_unit(&rng, a);
    random_unit(&rng, a_copy);
    random_unit(&rng, b);
    random_unit(&rng, c);
    eyni_video_wanted *w = NULL;
    eyni_error err = {0};
    assert_int_equal(eyni_video_wanted_new(&w, &err), 0);
    assert_int_equal(eyni_video_wanted_set_cohort(w, cohort[0], ident, NC, &err), 0);
    assert_int_equal(eyni_video_wanted_add(w, 1, "A", a, &err), 0);
    assert_int_equal(eyni_video_wanted_add(w, 2, "B", b, &err), 0);
    assert_int_equal(eyni_video_wanted_add(w, 1, "A", a_copy, &err), 0);
    assert_int_equal(eyni_video_wanted_add(w, 3, "C", c, &err), 0);
    eyni_video_match before;
    assert_int_equal(eyni_video_wanted_match(w, c, &before, &err), 0);
    assert_int_equal(before.id, 3);
    size_t removed = 9;
    assert_int_equal(eyni_video_wanted_remove(w, 1, &removed, &err), 0);
    assert_int_equal(removed, 2);
    assert_int_equal(eyni_video_wanted_size(w), 2);
    char label[16];
    assert_int_equal(eyni_video_wanted_label(w, 1, label, sizeof label), 0);
    eyni_video_match m;
    for (int k = 0; k < 2; k++) { /* neither the photo nor its copy is found any more */
        assert_int_equal(eyni_video_wanted_match(w, k ? a_copy : a, &m, &err), 0);
        assert_true(m.id != 1 && m.score < 0.5f);
    }
    /* C moved into a freed slot: the same person, the same normalised score */
    assert_int_equal(eyni_video_wanted_match(w, c, &m, &err), 0);
    assert_int_equal(m.id, 3);
    assert_true(fabsf(m.norm - before.norm) < 1e-4f);
    assert_int_equal(eyni_video_wanted_match(w, b, &m, &err), 0);
    assert_int_equal(m.id, 2);
    /* an unknown person: nothing removed, no error */
    assert_int_equal(eyni_video_wanted_remove(w, 42, &removed, &err), 0);
    assert_int_equal(removed, 0);
    assert_int_equal(eyni_video_wanted_remove(w, 2, NULL, &err), 0);
    assert_int_equal(eyni_video_wanted_remove(w, 3, NULL, &err), 0);
    assert_int_equal(eyni_video_wanted_size(w), 0);
    assert_int_equal(eyni_video_wanted_match(w, c, &m, &err), 0);
    assert_int_equal(m.id, -1);
    eyni_video_wanted_free(w);
}

/* x * a + y * b, made unit. */
static void mix(const float *a, float x, const float *b, float y, float *out)
{
    for (int k = 0; k < EYNI_FACE_DIM; k++)
        out[k] = x * a[k] + y * b[k];
    unit(out);
}

/* A passer-by dismissed as not being wanted person 1: his next pass is held back (closer to
 * him than to the photo), the person himself still matches, and other persons are untouched. */
static void test_lookalike(void **state)
{
    unsigned long long rng = 1181783497276652981ull;
    float photo[EYNI_FACE_DIM], other[EYNI_FACE_DIM], noise[EYNI_FACE_DIM], seen[EYNI_FACE_DIM],
        again[EYNI_FACE_DIM], himself[EYNI_FACE_DIM];
    random_unit(&rng, photo);
    random_unit(&rng, other);
    random_unit(&rng, noise);
    mix(photo, 0.75f, other, 0.66f, seen);   /* about 0.75 with the photo: the false alert */
    mix(seen, 0.9f, noise, 0.45f, again);    /* the same passer-by another time */
    mix(photo, 0.9f, noise, 0.45f, himself); /* the wanted person */
    eyni_video_wanted *w = NULL;
    eyni_error err = {0};
    eyni_video_match m;
    assert_int_equal(eyni_video_wanted_new(&w, &err), 0);
    assert_int_equal(eyni_video_wanted_add(w, 1, "A", photo, &err), 0);
    assert_int_equal(eyni_video_wanted_add(w, 2, "B", other, &err), 0);
    assert_int_equal(eyni_video_wanted_match(w, again, &m, &err), 0);
    assert_true(m.id == 1 && m.lookalike == -1);
    assert_int_equal(eyni_video_wanted_add_lookalike(w, 1, 100, seen, &err), 0);
    assert_int_equal(eyni_video_wanted_add_lookalike(w, 1, 100, seen, &err), 0); /* kept once */
    assert_int_equal(eyni_video_wanted_lookalikes(w), 1);
    assert_int_equal(eyni_video_wanted_match(w, again, &m, &err), 0);
    assert_int_equal(m.id, 1);
    assert_true(m.lookalike >= m.score); /* held back */
    assert_int_equal(eyni_video_wanted_match(w, himself, &m, &err), 0);
    assert_int_equal(m.id, 1);
    assert_true(m.lookalike >= 0 && m.lookalike < m.score); /* alerted */
    assert_int_equal(eyni_video_wanted_match(w, other, &m, &err), 0);
    assert_true(m.id == 2 && m.lookalike == -1);
    /* a person keeps the newest EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON */
    for (int i = 0; i < EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON + 5; i++) {
        random_unit(&rng, noise);
        assert_int_equal(eyni_video_wanted_add_lookalike(w, 2, 200 + i, noise, &err), 0);
    }
    assert_int_equal(eyni_video_wanted_lookalikes(w), 1 + EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON);
    /* the desk revokes one of person 2's (keys of those still marked, sorted): only it goes */
    int64_t marked[EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON + 1];
    size_t nm = 0;
    marked[nm++] = 100;
    for (int i = 5; i < EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON + 5; i++)
        if (i != 9)
            marked[nm++] = 200 + i;
    assert_int_equal(eyni_video_wanted_keep_lookalikes(w, marked, nm), 1);
    assert_int_equal(eyni_video_wanted_lookalikes(w), EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON);
    assert_int_equal(eyni_video_wanted_keep_lookalikes(w, marked, nm), 0);
    /* person 1's revoked: his passer-by is alerted again */
    assert_int_equal(eyni_video_wanted_keep_lookalikes(w, marked + 1, nm - 1), 1);
    assert_int_equal(eyni_video_wanted_match(w, again, &m, &err), 0);
    assert_true(m.id == 1 && m.lookalike == -1);
    assert_int_equal(eyni_video_wanted_add_lookalike(w, 1, 100, seen, &err), 0);
    assert_int_equal(eyni_video_wanted_lookalikes(w), 1 + EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON - 1);
    /* removing a person forgets its look-alikes; clearing forgets all */
    assert_int_equal(eyni_video_wanted_remove(w, 1, NULL, &err), 0);
    assert_int_equal(eyni_video_wanted_lookalikes(w), EYNI_VIDEO_MAX_LOOKALIKES_PER_PERSON - 1);
    eyni_video_wanted_clear_lookalikes(w);
    assert_int_equal(eyni_video_wanted_lookalikes(w), 0);
    assert_int_equal(eyni_video_wanted_add(w, 1, "A", photo, &err), 0);
    assert_int_equal(eyni_video_wanted_match(w, again, &m, &err), 0);
    assert_true(m.id == 1 && m.lookalike == -1);
    eyni_video_wanted_free(w);
}

static void test_cohort_broken(void **state)
{
    static float cohort[NC][EYNI_FACE_DIM];
    int ident[NC], same[NC];
    unsigned long long rng = 7;
    for (int i = 0; i < NC; i++) {
        random_unit(&rng, cohort[i]);
        ident[i] = i;
        same[i] = 3;
    }
    eyni_video_wanted *w = NULL;
    eyni_error err = {0};
    assert_int_equal(eyni_video_wanted_new(&w, &err), 0);
    assert_int_equal(eyni_video_wanted_set_cohort(w, cohort[0], ident, 1, &err), EYNI_EINVAL);
    assert_int_equal(eyni_video_wanted_set_cohort(w, cohort[0], same, NC, &err), EYNI_EINVAL);
    assert_int_equal(eyni_video_wanted_set_cohort(w, cohort[0], ident, 5, &err), EYNI_EINVAL);
    ident[4] = -1;
    assert_int_equal(eyni_video_wanted_set_cohort(w, cohort[0], ident, NC, &err), EYNI_EINVAL);
    assert_int_equal(eyni_video_wanted_has_cohort(w), 0);
    /* a cohort list that is not one */
    char path[] = "/tmp/eyni-cohort-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "1\tA\n", 4), 4);
    close(fd);
    size_t skipped = 0;
    assert_int_equal(eyni_video_wanted_load_cohort(w, NULL, path, &skipped, &err), EYNI_EFORMAT);
    assert_non_null(strstr(err.msg, path));
    unlink(path);
    assert_int_equal(eyni_video_wanted_has_cohort(w), 0);
    eyni_video_wanted_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_good),     cmocka_unit_test(test_list_broken),
        cmocka_unit_test(test_threshold),     cmocka_unit_test(test_cohort),
        cmocka_unit_test(test_cohort_broken), cmocka_unit_test(test_remove),
        cmocka_unit_test(test_lookalike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

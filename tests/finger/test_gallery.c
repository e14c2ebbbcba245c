/* 1:N gallery: enrol SecuGen records of FVC2002 DB1, search, remove. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/finger.h"
#include "secugen.h"
#include "testutil.h"

static eyni_finger_template *record(int finger, int impression)
{
    return test_secugen(1, finger, impression);
}

static void search_finds_each_mate_first(void **state)
{
    eyni_finger_gallery *g = NULL;
    eyni_error err;
    assert_int_equal(eyni_finger_gallery_new(&g, &err), 0);
    for (int f = 101; f <= 110; f++) {
        eyni_finger_template *t = record(f, 1);
        assert_int_equal(eyni_finger_gallery_add(g, f, t, &err), 0);
        assert_int_equal(eyni_finger_gallery_add(g, f, t, &err), EYNI_EEXIST);
        eyni_finger_template_free(t);
    }
    assert_int_equal(eyni_finger_gallery_size(g), 10);
    int found = 0;
    for (int f = 101; f <= 110; f++) {
        eyni_finger_template *probe = record(f, 2);
        eyni_finger_hit hits[3];
        int n = 0;
        assert_int_equal(eyni_finger_gallery_search(g, probe, 3, 2, hits, &n, &err), 0);
        assert_int_equal(n, 3);
        assert_true(hits[0].score >= hits[1].score && hits[1].score >= hits[2].score);
        found += hits[0].id == f;
        /* Same score as the 1:1 comparison. */
        eyni_finger_template *mate = record((int)hits[0].id, 1);
        assert_true(fabs(eyni_finger_compare(probe, mate) - hits[0].score) < 1e-9);
        eyni_finger_template_free(mate);
        eyni_finger_template_free(probe);
    }
    assert_true(found >= 9);
    assert_int_equal(eyni_finger_gallery_remove(g, 105, &err), 0);
    assert_int_equal(eyni_finger_gallery_remove(g, 105, &err), EYNI_ENOTFOUND);
    eyni_finger_template *probe = record(105, 2);
    eyni_finger_hit hits[10];
    int n = 0;
    assert_int_equal(eyni_finger_gallery_search(g, probe, 10, 3, hits, &n, &err), 0);
    assert_int_equal(n, 9);
    for (int i = 0; i < n; i++)
        assert_true(hits[i].id != 105);
    assert_int_equal(eyni_finger_gallery_search(g, probe, 0, 1, hits, &n, &err), EYNI_EINVAL);
    eyni_finger_template_free(probe);
    eyni_finger_gallery_free(g);
}

typedef struct searcher {
    eyni_finger_gallery *g;
    eyni_finger_template *probe;
    int64_t top;
    int rc;
} searcher;

static void *search_many(void *arg)
{
    searcher *s = arg;
    eyni_error err;
    for (int i = 0; i < 5 && !s->rc; i++) {
        eyni_finger_hit hit;
        int n = 0;
        s->rc = eyni_finger_gallery_search(s->g, s->probe, 1, 2, &hit, &n, &err);
        s->top = n ? hit.id : -1;
    }
    return NULL;
}

/* Searches from several threads at once agree with a search on one thread. */
static void concurrent_searches_agree(void **state)
{
    eyni_finger_gallery *g = NULL;
    eyni_error err;
    assert_int_equal(eyni_finger_gallery_new(&g, &err), 0);
    for (int f = 101; f <= 110; f++) {
        eyni_finger_template *t = record(f, 3);
        assert_int_equal(eyni_finger_gallery_add(g, f, t, &err), 0);
        eyni_finger_template_free(t);
    }
    searcher s[3];
    pthread_t tid[3];
    for (int i = 0; i < 3; i++) {
        s[i] = (searcher){g, record(102 + 3 * i, 4), -1, 0};
        assert_int_equal(pthread_create(&tid[i], NULL, search_many, &s[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(tid[i], NULL);
        assert_int_equal(s[i].rc, 0);
        eyni_finger_hit hit;
        int n = 0;
        assert_int_equal(eyni_finger_gallery_search(g, s[i].probe, 1, 1, &hit, &n, &err), 0);
        assert_int_equal(s[i].top, hit.id);
        eyni_finger_template_free(s[i].probe);
    }
    eyni_finger_gallery_free(g);
}

/* A gallery of DB1 impression-1 records plus synthetic distractors: every search returns
 * exactly the exhaustive 1:1 ranking (same ids, same scores bit for bit), on one thread and
 * on three, and each impression-2 probe still finds its mate first among the distractors. */
#define DISTRACTORS 100

static int by_score(const void *a, const void *b)
{
    const eyni_finger_hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

static void search_equals_exhaustive_with_distractors(void **state)
{
    eyni_finger_gallery *g = NULL;
    eyni_error err;
    eyni_finger_template *all[10 + DISTRACTORS];
    int64_t ids[10 + DISTRACTORS];
    assert_int_equal(eyni_finger_gallery_new(&g, &err), 0);
    for (int f = 0; f < 10; f++) {
        all[f] = record(101 + f, 1);
        ids[f] = 101 + f;
    }
    for (int i = 0; i < DISTRACTORS; i++) {
        assert_int_equal(eyni_finger_synthesize((uint64_t)i + 7, all[i % 10], &all[10 + i], &err),
                         0);
        ids[10 + i] = 100000 + i;
    }
    for (int i = 0; i < 10 + DISTRACTORS; i++)
        assert_int_equal(eyni_finger_gallery_add(g, ids[i], all[i], &err), 0);
    int first = 0;
    for (int f = 0; f < 10; f++) {
        eyni_finger_template *probe = record(101 + f, 2);
        eyni_finger_hit ex[10 + DISTRACTORS];
        for (int i = 0; i < 10 + DISTRACTORS; i++)
            ex[i] = (eyni_finger_hit){ids[i], eyni_finger_compare(probe, all[i])};
        qsort(ex, 10 + DISTRACTORS, sizeof *ex, by_score);
        for (int th = 1; th <= 3; th += 2) {
            eyni_finger_hit hits[20];
            int n = 0;
            assert_int_equal(eyni_finger_gallery_search(g, probe, 20, th, hits, &n, &err), 0);
            assert_int_equal(n, 20);
            for (int i = 0; i < n; i++) {
                assert_int_equal(hits[i].id, ex[i].id);
                assert_true(hits[i].score == ex[i].score);
            }
        }
        first += ex[0].id == 101 + f;
        eyni_finger_template_free(probe);
    }
    /* the same 9 of 10 as without distractors (search_finds_each_mate_first) */
    assert_true(first >= 9);
    for (int i = 0; i < 10 + DISTRACTORS; i++)
        eyni_finger_template_free(all[i]);
    eyni_finger_gallery_free(g);
}

/* Synthetic fingers: deterministic, inside the model's frame, minutiae apart, and a model
 * without minutiae is refused. */
static void synthetic_fingers_are_plausible(void **state)
{
    eyni_error err;
    eyni_finger_template *like = record(103, 1), *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(eyni_finger_synthesize(42, like, &a, &err), 0);
    assert_int_equal(eyni_finger_synthesize(42, like, &b, &err), 0);
    assert_int_equal(eyni_finger_synthesize(43, like, &c, &err), 0);
    assert_int_equal(a->n_minutiae, b->n_minutiae);
    assert_memory_equal(a->minutiae, b->minutiae, sizeof(a->minutiae[0]) * (size_t)a->n_minutiae);
    assert_true(a->n_minutiae >= like->n_minutiae / 2 && a->n_minutiae <= like->n_minutiae);
    assert_int_equal(a->width, like->width);
    for (int i = 0; i < a->n_minutiae; i++) {
        assert_true(a->minutiae[i].x >= 0 && a->minutiae[i].x < a->width);
        assert_true(a->minutiae[i].y >= 0 && a->minutiae[i].y < a->height);
        for (int j = 0; j < i; j++)
            assert_true(hypot(a->minutiae[i].x - a->minutiae[j].x,
                              a->minutiae[i].y - a->minutiae[j].y) >= 5);
    }
    /* another finger: far below a genuine score, and different from another seed */
    assert_true(eyni_finger_compare(a, like) < EYNI_FINGER_THRESHOLD_FMR_1E2);
    assert_true(eyni_finger_compare(a, c) < EYNI_FINGER_THRESHOLD_FMR_1E2);
    like->n_minutiae = 1;
    eyni_finger_template *d = NULL;
    assert_int_equal(eyni_finger_synthesize(1, like, &d, &err), EYNI_EINVAL);
    assert_null(d);
    eyni_finger_template_free(a);
    eyni_finger_template_free(b);
    eyni_finger_template_free(c);
    eyni_finger_template_free(like);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(search_finds_each_mate_first),
        cmocka_unit_test(concurrent_searches_agree),
        cmocka_unit_test(search_equals_exhaustive_with_distractors),
        cmocka_unit_test(synthetic_fingers_are_plausible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

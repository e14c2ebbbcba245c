/* The fast 1:N comparison path scores exactly as the portable reference path, on the real
 * FVC2002 records of all three DBs and on synthetic fingers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/finger/mcc_int.h"
#include "eyni/finger.h"
#include "secugen.h"
#include "testutil.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define DBS     3
#define FINGERS 10
#define IMPS    8
#define N       (DBS * FINGERS * IMPS)

static eyni_finger_template *record(int db, int finger, int impression)
{
    return test_secugen(db, finger, impression);
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

/* A copy of t rotated by phi about (cx, cy) and shifted by (dx, dy); every third minutia
 * moved a further `stray` pixels along x and every direction turned by `turn`. */
static eyni_finger_template *moved_copy(const eyni_finger_template *t, double phi, double dx,
                                        double dy, int stray, double turn)
{
    eyni_finger_template *c = malloc(sizeof *c);
    *c = *t;
    double cx = t->width / 2.0, cy = t->height / 2.0, co = cos(phi), si = sin(phi);
    for (int i = 0; i < t->n_minutiae; i++) {
        const eyni_finger_minutia *m = &t->minutiae[i];
        double u = m->x - cx, v = m->y - cy; /* ISO angles, y down */
        c->minutiae[i].x = (int)lrint(co * u + si * v + cx + dx + (i % 3 == 0 ? stray : 0));
        c->minutiae[i].y = (int)lrint(-si * u + co * v + cy + dy);
        c->minutiae[i].angle = fmod(m->angle + phi + turn + 4 * M_PI, 2 * M_PI);
    }
    return c;
}

/* g of a against b under the alignment proposed by the first minutia that has a cylinder
 * on both sides and is not a stray one (the copies keep the minutiae in order). */
static float global_of(const eyni_finger_mcc *a, const eyni_finger_mcc *b)
{
    for (int i = 0; i < a->nc; i++)
        for (int j = 0; j < b->nc; j++)
            if (a->cyl[i].minutia == b->cyl[j].minutia && a->cyl[i].minutia % 3 != 0) {
                pair sel[1] = {{1.0f, 1, i, j}};
                int top[1] = {0};
                return mcc_global(a, b, sel, 1, top, 1);
            }
    fail_msg("no minutia has a cylinder on both sides");
    return 0;
}

/* The global score counts the minutiae that agree under the proposed alignment, over
 * those in the common area: a rotated, shifted copy agrees everywhere; with a third of its
 * minutiae moved by 60 px (beyond the tolerance, which grows with the distance
 * from the anchor) about that third is lost (squared: g ~ (2/3)^2); with every
 * direction turned by 90 degrees only the anchor itself agrees (g ~ 1 / MIN_IN^2). */
static void global_score_counts_mated_minutiae(void **state)
{
    eyni_finger_template *t = record(1, 101, 1);
    t->res_x = t->res_y = 197; /* positions at 500 ppi as they are */
    t->width = t->height = 600;
    eyni_finger_template *same = moved_copy(t, 0.7, 25, -15, 0, 0);
    eyni_finger_template *stray = moved_copy(t, 0.7, 25, -15, 60, 0);
    eyni_finger_template *turned = moved_copy(t, 0.7, 25, -15, 0, M_PI / 2);
    eyni_finger_mcc *mt, *ms, *mx, *mr;
    eyni_error err;
    assert_int_equal(eyni_finger_mcc_new(t, &mt, &err), 0);
    assert_int_equal(eyni_finger_mcc_new(same, &ms, &err), 0);
    assert_int_equal(eyni_finger_mcc_new(stray, &mx, &err), 0);
    assert_int_equal(eyni_finger_mcc_new(turned, &mr, &err), 0);
    assert_true(t->n_minutiae >= 20);
    float g_same = global_of(mt, ms), g_stray = global_of(mt, mx), g_turned = global_of(mt, mr);
    assert_true(g_same > 0.95f && g_same <= 1.0f);
    assert_true(g_stray > 0.3f && g_stray < 0.6f);
    assert_true(g_turned < 0.05f);
    /* and the whole score ranks them the same way */
    assert_true(eyni_finger_mcc_compare(mt, ms) > eyni_finger_mcc_compare(mt, mx));
    eyni_finger_mcc_free(mt);
    eyni_finger_mcc_free(ms);
    eyni_finger_mcc_free(mx);
    eyni_finger_mcc_free(mr);
    free(same);
    free(stray);
    free(turned);
    eyni_finger_template_free(t);
    (void)state;
}

/* The first stage on real FVC probes: a gallery of impression 1 of every finger of the
 * three DBs plus synthetic distractors, searched by impressions 2..8. Every hit of a
 * filtered search carries the exact search's score for that id, and every mate the exact
 * search ranks first, the filtered search ranks first too. */
#define KEEP        0.2
#define DISTRACTORS 270

static int64_t finger_id(int db, int f)
{
    return db * 1000 + f;
}

static void first_stage_keeps_real_mates(void **state)
{
    eyni_finger_gallery *g = NULL;
    eyni_error err;
    assert_int_equal(eyni_finger_gallery_new(&g, &err), 0);
    eyni_finger_template *first[DBS * FINGERS];
    int k = 0;
    for (int db = 1; db <= DBS; db++)
        for (int f = 101; f < 101 + FINGERS; f++, k++) {
            first[k] = record(db, f, 1);
            assert_int_equal(eyni_finger_gallery_add(g, finger_id(db, f), first[k], &err), 0);
        }
    for (int i = 0; i < DISTRACTORS; i++) {
        eyni_finger_template *t = NULL;
        assert_int_equal(eyni_finger_synthesize((uint64_t)i + 11, first[i % k], &t, &err), 0);
        assert_int_equal(eyni_finger_gallery_add(g, 100000 + i, t, &err), 0);
        eyni_finger_template_free(t);
    }
    int exact_first = 0, kept_first = 0;
    size_t compared = 0, searched = 0;
    for (int db = 1; db <= DBS; db++)
        for (int f = 101; f < 101 + FINGERS; f++)
            for (int i = 2; i <= IMPS; i++) {
                eyni_finger_template *probe = record(db, f, i);
                eyni_finger_hit ex[10], fi[10];
                int ne = 0, nf = 0;
                eyni_finger_search_opts exact = {1, 0}, filtered = {2, KEEP};
                eyni_finger_search_stats st;
                assert_int_equal(
                    eyni_finger_gallery_query(g, probe, 10, &exact, ex, &ne, NULL, &err), 0);
                assert_int_equal(
                    eyni_finger_gallery_query(g, probe, 10, &filtered, fi, &nf, &st, &err), 0);
                assert_int_equal(nf, 10);
                compared += st.compared, searched += st.gallery;
                for (int h = 0; h < nf; h++) /* a filtered hit has its exact score */
                    for (int e = 0; e < ne; e++)
                        if (ex[e].id == fi[h].id)
                            assert_true(ex[e].score == fi[h].score);
                int mate = ex[0].id == finger_id(db, f);
                exact_first += mate;
                kept_first += mate && fi[0].id == ex[0].id;
                eyni_finger_template_free(probe);
            }
    assert_int_equal(kept_first, exact_first);
    assert_true(exact_first >= 150);      /* of 210: the exact search works on these records */
    assert_true(compared < searched / 4); /* and the first stage did discard most */
    /* keep outside 0..1 is refused */
    eyni_finger_search_opts bad = {1, 1.5};
    eyni_finger_hit h;
    int n = 0;
    assert_int_equal(eyni_finger_gallery_query(g, first[0], 1, &bad, &h, &n, NULL, &err),
                     EYNI_EINVAL);
    /* first-stage scores: one per entry, and too small an output is refused */
    size_t size = eyni_finger_gallery_size(g), got = 0;
    eyni_finger_hit *pre = calloc(size, sizeof *pre);
    assert_int_equal(eyni_finger_gallery_prescore(g, first[0], 2, pre, 1, &got, &err), EYNI_EINVAL);
    assert_int_equal(eyni_finger_gallery_prescore(g, first[0], 2, pre, size, &got, &err), 0);
    assert_int_equal(got, size);
    int self = 0;
    for (size_t i = 0; i < got; i++)
        self += pre[i].id == finger_id(1, 101) && pre[i].score > 0;
    assert_int_equal(self, 1);
    free(pre);
    for (int i = 0; i < k; i++)
        eyni_finger_template_free(first[i]);
    eyni_finger_gallery_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_path_equals_reference),
        cmocka_unit_test(global_score_counts_mated_minutiae),
        cmocka_unit_test(first_stage_keeps_real_mates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

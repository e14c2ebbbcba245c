/* Speaker behaviour on real FSDD recordings: held-out genuine recordings score above
 * impostors, verification decisions at the calibrated threshold, 1:N identification. */
#include "vt.h"

typedef struct fixture {
    eyni_voice_model *m;
    eyni_voice_ref *refs[VT_SPEAKERS];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->m = vt_train(8, 10, 4, 1); /* indices 10..13: never enrolled or scored below */
    for (int s = 0; s < VT_SPEAKERS; s++)
        f->refs[s] = vt_enrol(f->m, vt_speakers[s], 5);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    for (int s = 0; s < VT_SPEAKERS; s++)
        eyni_voice_ref_free(f->refs[s]);
    eyni_voice_model_free(f->m);
    free(f);
    return 0;
}

/* Scores of held-out recordings (indices 0 and 1, every digit) of speaker s against all
 * references, into sc[20][VT_SPEAKERS]. */
static void held_out_scores(const fixture *f, int s, double sc[20][VT_SPEAKERS])
{
    for (int k = 0; k < 20; k++) {
        eyni_voice_probe *p = vt_probe(f->m, vt_speakers[s], k % 10, k / 10);
        for (int r = 0; r < VT_SPEAKERS; r++) {
            eyni_error err = {0};
            assert_int_equal(eyni_voice_score(f->m, f->refs[r], p, &sc[k][r], &err), 0);
        }
        eyni_voice_probe_free(p);
    }
}

static void genuine_scores_above_impostors_for_each_speaker(void **state)
{
    fixture *f = *state;
    int correct = 0;
    for (int s = 0; s < VT_SPEAKERS; s++) {
        double sc[20][VT_SPEAKERS], mean[VT_SPEAKERS] = {0};
        held_out_scores(f, s, sc);
        for (int k = 0; k < 20; k++) {
            int best = 0;
            for (int r = 0; r < VT_SPEAKERS; r++) {
                mean[r] += sc[k][r] / 20;
                if (sc[k][r] > sc[k][best])
                    best = r;
            }
            correct += best == s;
        }
        for (int r = 0; r < VT_SPEAKERS; r++)
            if (r != s && !(mean[s] > mean[r]))
                fail_msg("%s: mean genuine %.3f not above impostor %s %.3f", vt_speakers[s],
                         mean[s], vt_speakers[r], mean[r]);
    }
    /* Closed-set rank-1 over 120 held-out recordings. */
    print_message("rank-1: %d / %d\n", correct, 20 * VT_SPEAKERS);
    assert_true(correct >= 100);
}

static void verify_decides_at_the_calibrated_threshold(void **state)
{
    fixture *f = *state;
    int gen_ok = 0, imp_ok = 0, gen = 0, imp = 0;
    for (int s = 0; s < VT_SPEAKERS; s++) {
        for (int k = 0; k < 10; k++) {
            eyni_voice_probe *p = vt_probe(f->m, vt_speakers[s], k, 2);
            for (int r = 0; r < VT_SPEAKERS; r++) {
                int match = -1;
                double score, again;
                eyni_error err = {0};
                assert_int_equal(eyni_voice_verify(f->m, f->refs[r], p, 0.01, &match, &score, &err),
                                 0);
                assert_int_equal(eyni_voice_score(f->m, f->refs[r], p, &again, &err), 0);
                assert_true(score == again);
                assert_int_equal(match, score >= eyni_voice_model_threshold(f->m, 0.01));
                if (r == s) {
                    gen++;
                    gen_ok += match;
                } else {
                    imp++;
                    imp_ok += !match;
                }
            }
            eyni_voice_probe_free(p);
        }
    }
    print_message("accepted genuine %d/%d, rejected impostor %d/%d\n", gen_ok, gen, imp_ok, imp);
    assert_true(gen_ok >= gen * 3 / 4);
    assert_true(imp_ok >= imp * 9 / 10);
    /* Stricter operating points have higher thresholds. */
    assert_true(eyni_voice_model_threshold(f->m, 0.001) >= eyni_voice_model_threshold(f->m, 0.01));
    assert_true(eyni_voice_model_threshold(f->m, 0.01) >= eyni_voice_model_threshold(f->m, 0.1));
}

static void identify_ranks_the_speaker_first(void **state)
{
    fixture *f = *state;
    eyni_voice_probe *p = vt_probe(f->m, "theo", 8, 3);
    eyni_voice_candidate c[3];
    size_t n = 0;
    eyni_error err = {0};
    assert_int_equal(eyni_voice_identify(f->m, (const eyni_voice_ref *const *)f->refs, VT_SPEAKERS,
                                         p, 0, c, 3, &n, &err),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(vt_speakers[c[0].index], "theo");
    assert_true(c[0].score >= c[1].score && c[1].score >= c[2].score);
    eyni_voice_probe_free(p);
}

static void update_adds_recordings(void **state)
{
    fixture *f = *state;
    eyni_voice_ref *r = vt_enrol(f->m, "george", 6);
    eyni_voice_audio *a = vt_audio("george", 1, 7);
    size_t recs;
    double secs, secs2;
    eyni_voice_ref_get_counts(r, &recs, &secs);
    assert_int_equal(recs, 10);
    eyni_error err = {0};
    assert_int_equal(eyni_voice_ref_update(f->m, r, (const eyni_voice_audio *const *)&a, 1, &err),
                     0);
    eyni_voice_ref_get_counts(r, &recs, &secs2);
    assert_int_equal(recs, 11);
    assert_true(secs2 > secs);
    eyni_voice_audio_free(a);
    eyni_voice_ref_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(genuine_scores_above_impostors_for_each_speaker),
        cmocka_unit_test(verify_decides_at_the_calibrated_threshold),
        cmocka_unit_test(identify_ranks_the_speaker_first),
        cmocka_unit_test(update_adds_recordings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Voice in the identity service on real speech (FSDD): enrolment with voice samples,
 * verification of genuine and impostor speakers, identification, refusals of bad audio
 * with nothing stored, roles and audit, a missing speaker model, and a restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/identity.h"
#include "reg_fixture.h"
#include "vt.h"
#include "id_fixture.h"

typedef struct fx {
    eyni_register *reg;
    eyni_identity *id;
    char model[4200];
    char george[EYNI_FIN_MAX + 1], jackson[EYNI_FIN_MAX + 1];
} fx;

static eyni_identity *open_vad(eyni_register *r, const char *model, const char *vad)
{
    eyni_identity_opts o;
    memset(&o, 0, sizeof o);
    o.voice_model = model;
    o.voice_vad = vad;
    eyni_identity *id = NULL;
    eyni_error err;
    if (eyni_identity_open(r, &o, &id, &err))
        fail_msg("%s", err.msg);
    return id;
}

static eyni_identity *open_with(eyni_register *r, const char *model)
{
    return open_vad(r, model, NULL);
}

static unsigned char *file_bytes(const char *path, size_t *len)
{
    unsigned char *buf;
    eyni_error err;
    if (eyni_file_read(path, 1 << 24, &buf, len, &err))
        fail_msg("%s: %s", path, err.msg);
    return buf;
}

/* Voice samples: recording index of every digit 0..9 of a speaker, for each index given. */
static int voice_samples(const char *spk, const int *index, int n_index, eyni_sample_in *s)
{
    int n = 0;
    for (int k = 0; k < n_index; k++)
        for (int d = 0; d < 10; d++) {
            char *p = vt_fsdd(spk, d, index[k]);
            size_t len;
            unsigned char *buf = file_bytes(p, &len);
            free(p);
            s[n++] = (eyni_sample_in){"voice", 0, buf, len};
        }
    return n;
}

static eyni_sample_in one_voice(const char *spk, int digit, int index)
{
    char *p = vt_fsdd(spk, digit, index);
    size_t len;
    unsigned char *buf = file_bytes(p, &len);
    free(p);
    return (eyni_sample_in){"voice", 0, buf, len};
}

static json_t *person(const char *surname)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"surname\":\"%s\",\"given_name\":\"Voice\",\"birth_date\":\"1980-02-03\","
             "\"sex\":\"M\",\"citizenship\":\"AZE\"}",
             surname);
    return fixture_json(body);
}

static int enrol_rc(fx *f, const char *surname, eyni_sample_in *s, int n, json_t **out,
                    eyni_error *err)
{
    json_t *p = person(surname);
    eyni_actor a = fixture_actor(EYNI_ROLE_REGISTRAR, "voice enrolment test");
    int rc = eyni_identity_enrol(f->id, &a, p, s, n, out, err);
    json_decref(p);
    return rc;
}

/* Enrols speaker spk on recordings 5 and 6 of every digit (20 recordings); returns FIN. */
static void enrol_speaker(fx *f, const char *spk, const char *surname, char *fin)
{
    eyni_sample_in s[EYNI_IDENTITY_MAX_SAMPLES];
    const int idx[] = {5, 6};
    int n = voice_samples(spk, idx, 2, s);
    json_t *out = NULL;
    eyni_error err;
    if (enrol_rc(f, surname, s, n, &out, &err))
        fail_msg("enrol %s: %s", spk, err.msg);
    fixture_free_samples(s, n);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "unique");
    json_t *q = json_object_get(out, "quality");
    assert_int_equal(json_array_size(q), 20);
    assert_string_equal(json_string_value(json_object_get(json_array_get(q, 0), "modality")),
                        "voice");
    snprintf(fin, EYNI_FIN_MAX + 1, "%s", json_string_value(json_object_get(out, "fin")));
    json_decref(out);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    /* A speaker model on recordings 10..24 of every speaker: none of the enrolled (5, 6) or
     * probed (0..4) recordings is in its training data. */
    eyni_voice_train_opts o;
    eyni_voice_train_opts_default(&o);
    eyni_voice_model *m = vt_train_with(&o, 10, 15);
    char *dir = eyni_test_tmpdir("identity-voice-model");
    snprintf(f->model, sizeof f->model, "%s/model.bin", dir);
    free(dir);
    eyni_error err;
    assert_int_equal(eyni_voice_model_write(m, f->model, &err), 0);
    eyni_voice_model_free(m);
    f->reg = fixture_open_keyed("identity-voice");
    f->id = open_with(f->reg, f->model);
    enrol_speaker(f, "george", "Georgevoice", f->george);
    enrol_speaker(f, "jackson", "Jacksonvoice", f->jackson);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    eyni_identity_close(f->id);
    eyni_register_close(f->reg);
    free(f);
    return 0;
}

static int verify_one(fx *f, const char *fin, const char *spk, int digit, int index, double *ev)
{
    eyni_sample_in s = one_voice(spk, digit, index);
    eyni_actor a = fixture_actor(EYNI_ROLE_POLICE, "voice verification test");
    json_t *out = NULL;
    eyni_error err;
    int rc = eyni_identity_verify(f->id, &a, fin, &s, 1, &out, &err);
    fixture_free_samples(&s, 1);
    if (rc)
        fail_msg("verify %s against %s: %s", spk, fin, err.msg);
    assert_non_null(json_object_get(json_object_get(out, "scores"), "voice"));
    int match = json_is_true(json_object_get(out, "match"));
    *ev = json_real_value(json_object_get(out, "score"));
    json_decref(out);
    return match;
}

static void genuine_speakers_verify_and_impostors_do_not(void **state)
{
    fx *f = *state;
    int genuine = 0, impostor = 0;
    double ev, low = 99, high = 0;
    /* test recordings (index 0 and 1), never enrolled and never trained on */
    for (int d = 0; d < 10; d++)
        for (int i = 0; i < 2; i++) {
            genuine += verify_one(f, f->george, "george", d, i, &ev);
            low = ev < low ? ev : low;
            impostor += verify_one(f, f->george, "jackson", d, i, &ev);
            high = ev > high ? ev : high;
            impostor += verify_one(f, f->george, "lucas", d, i, &ev);
            high = ev > high ? ev : high;
            genuine += verify_one(f, f->jackson, "jackson", d, i, &ev);
            low = ev < low ? ev : low;
        }
    print_message("voice verify at FMR 1e-4, one word: %d/40 genuine accepted (lowest "
                  "evidence %.2f), %d/80 impostors accepted (highest %.2f)\n",
                  genuine, low, impostor, high);
    /* One spoken digit (0.3-0.6 s of speech) is a weak probe at FMR 1e-4: about one in six
     * genuine words falls short (docs/voice.md); no impostor may pass. */
    assert_true(genuine >= 30);
    assert_int_equal(impostor, 0);
}

/* Verification with three words at once: the recordings are pooled into one probe. */
static int verify_three(fx *f, const char *fin, const char *spk, int first, int index)
{
    eyni_sample_in s[3];
    for (int i = 0; i < 3; i++)
        s[i] = one_voice(spk, (first + i) % 10, index);
    eyni_actor a = fixture_actor(EYNI_ROLE_BORDER, "voice verification test");
    json_t *out = NULL;
    eyni_error err;
    int rc = eyni_identity_verify(f->id, &a, fin, s, 3, &out, &err);
    fixture_free_samples(s, 3);
    if (rc)
        fail_msg("verify: %s", err.msg);
    int match = json_is_true(json_object_get(out, "match"));
    json_decref(out);
    return match;
}

static void three_words_verify_the_speaker(void **state)
{
    fx *f = *state;
    int genuine = 0, impostor = 0;
    for (int d = 0; d < 10; d += 2)
        for (int i = 3; i < 5; i++) {
            genuine += verify_three(f, f->george, "george", d, i);
            genuine += verify_three(f, f->jackson, "jackson", d, i);
            impostor += verify_three(f, f->george, "theo", d, i);
            impostor += verify_three(f, f->jackson, "nicolas", d, i);
        }
    print_message("voice verify at FMR 1e-4, three words: %d/20 genuine, %d/20 impostors "
                  "accepted\n",
                  genuine, impostor);
    assert_true(genuine >= 19);
    assert_int_equal(impostor, 0);
}

static void identification_names_the_speaker(void **state)
{
    fx *f = *state;
    eyni_actor a = fixture_actor(EYNI_ROLE_POLICE, "voice identification test");
    int right = 0;
    for (int d = 0; d < 10; d++) {
        eyni_sample_in s = one_voice(d % 2 ? "george" : "jackson", d, 2);
        json_t *out = NULL;
        eyni_error err;
        if (eyni_identity_identify(f->id, &a, &s, 1, 5, 0, &out, &err))
            fail_msg("identify: %s", err.msg);
        fixture_free_samples(&s, 1);
        json_t *top = json_array_get(json_object_get(out, "candidates"), 0);
        const char *want = d % 2 ? f->george : f->jackson;
        right += top && !strcmp(json_string_value(json_object_get(top, "fin")), want);
        json_decref(out);
    }
    assert_true(right >= 9);
}

static size_t stored_samples(fx *f)
{
    json_t *s = eyni_identity_stats(f->id);
    size_t n = (size_t)json_integer_value(json_object_get(s, "samples"));
    json_decref(s);
    return n;
}

static int persons_named(fx *f, const char *surname)
{
    eyni_actor a = fixture_actor(EYNI_ROLE_POLICE, "voice test");
    eyni_person_query q = {NULL, surname, NULL, NULL, 0, 0};
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_register_person_search(f->reg, &a, &q, &out, &err), 0);
    int n = (int)json_integer_value(json_object_get(out, "count"));
    json_decref(out);
    return n;
}

/* Enrols three good recordings and the bad one; the whole enrolment must be refused with
 * the reason named and nothing stored. */
static void expect_refused(fx *f, unsigned char *bad, size_t len, int code, const char *reason)
{
    eyni_sample_in s[4];
    for (int i = 0; i < 3; i++)
        s[i] = one_voice("theo", i, 5);
    s[3] = (eyni_sample_in){"voice", 0, bad, len};
    size_t before = stored_samples(f);
    json_t *out = NULL;
    eyni_error err;
    int rc = enrol_rc(f, "Badvoice", s, 4, &out, &err);
    fixture_free_samples(s, 3);
    if (rc != code || !strstr(err.msg, reason) || !strstr(err.msg, "voice sample 4"))
        fail_msg("expected %d naming %s and the sample, got %d: %s", code, reason, rc, err.msg);
    assert_null(out);
    assert_int_equal(stored_samples(f), before);
    assert_int_equal(persons_named(f, "Badvoice"), 0);
}

static void bad_audio_is_refused_by_name_and_nothing_stored(void **state)
{
    fx *f = *state;
    size_t n, len;
    int rate;
    /* silence only */
    short *z = calloc(EYNI_VOICE_RATE, sizeof *z);
    assert_non_null(z);
    unsigned char *wav = vt_wav(z, EYNI_VOICE_RATE, EYNI_VOICE_RATE, 1, &len);
    expect_refused(f, wav, len, EYNI_EQUALITY, "silence");
    free(wav);
    free(z);
    /* clipped: a real recording at 12 times the gain */
    short *x = vt_pcm("nicolas", 4, 2, &n, &rate);
    for (size_t i = 0; i < n; i++) {
        int v = x[i] * 12;
        x[i] = (short)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    }
    wav = vt_wav(x, n, rate, 1, &len);
    expect_refused(f, wav, len, EYNI_EQUALITY, "clipped");
    free(wav);
    free(x);
    /* 0.1 s of speech */
    x = vt_pcm("jackson", 0, 3, &n, &rate);
    wav = vt_wav(x + n / 3, (size_t)rate / 10, rate, 1, &len);
    expect_refused(f, wav, len, EYNI_EQUALITY, "too_short");
    free(wav);
    free(x);
    /* not audio at all */
    char *p = eyni_test_path("fsdd-spoken-digits/SOURCE.md");
    unsigned char *text = file_bytes(p, &len);
    free(p);
    expect_refused(f, text, len, EYNI_EFORMAT, "not_audio");
    free(text);
    /* truncated: half of a real WAV file */
    p = vt_fsdd("theo", 9, 4);
    unsigned char *full = file_bytes(p, &len);
    free(p);
    expect_refused(f, full, len / 2, EYNI_EFORMAT, "truncated");
    free(full);
}

static void voice_needs_the_match_power_and_is_audited(void **state)
{
    fx *f = *state;
    eyni_sample_in s = one_voice("george", 3, 0);
    eyni_actor clerk = fixture_actor(EYNI_ROLE_ADJUDICATOR, "voice test");
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(eyni_identity_verify(f->id, &clerk, f->george, &s, 1, &out, &err), EYNI_EPERM);
    assert_int_equal(eyni_identity_identify(f->id, &clerk, &s, 1, 5, 0, &out, &err), EYNI_EPERM);
    fixture_free_samples(&s, 1);
    eyni_actor auditor = fixture_actor(EYNI_ROLE_AUDITOR, "voice test");
    eyni_audit_query q = {NULL, f->george, "match.verify", 0, 1000};
    assert_int_equal(eyni_register_audit_list(f->reg, &auditor, &q, &out, &err), 0);
    json_t *entries = json_object_get(out, "entries");
    assert_true(json_array_size(entries) >= 40); /* one per verification above */
    assert_string_equal(json_string_value(json_object_get(json_array_get(entries, 0), "action")),
                        "match.verify");
    json_decref(out);
}

static void without_a_model_voice_is_refused_by_name(void **state)
{
    fx *f = *state;
    eyni_identity_close(f->id);
    f->id = open_with(f->reg, "/nonexistent/voice-model.bin");
    json_t *st = eyni_identity_stats(f->id);
    assert_true(json_is_false(json_object_get(st, "voice_model")));
    assert_int_equal(json_integer_value(json_object_get(st, "voice_unusable")), 40);
    json_decref(st);
    eyni_sample_in s = one_voice("george", 3, 0);
    size_t before = stored_samples(f);
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(enrol_rc(f, "Nomodel", &s, 1, &out, &err), EYNI_EMODEL);
    assert_non_null(strstr(err.msg, "speaker model"));
    eyni_actor a = fixture_actor(EYNI_ROLE_POLICE, "voice test");
    assert_int_equal(eyni_identity_verify(f->id, &a, f->george, &s, 1, &out, &err), EYNI_EMODEL);
    fixture_free_samples(&s, 1);
    assert_int_equal(stored_samples(f), before);
    assert_int_equal(persons_named(f, "Nomodel"), 0);
}

static void the_voice_gallery_is_rebuilt_after_restart(void **state)
{
    fx *f = *state;
    eyni_identity_close(f->id);
    f->id = open_with(f->reg, f->model);
    json_t *st = eyni_identity_stats(f->id);
    assert_int_equal(json_integer_value(json_object_get(st, "voice")), 2);
    assert_int_equal(json_integer_value(json_object_get(st, "voice_unusable")), 0);
    json_decref(st);
    double ev;
    assert_true(verify_one(f, f->george, "george", 7, 1, &ev));
    assert_false(verify_one(f, f->jackson, "george", 7, 1, &ev));
}

/* voice.vad = silero: the service decodes with silero-vad (the model above was trained
 * with the energy detector; pooled words still verify) and refuses silence by name. */
static void silero_vad_in_the_service(void **state)
{
    fx *f = *state;
    eyni_identity_close(f->id);
    f->id = open_vad(f->reg, f->model, "silero");
    assert_int_equal(verify_three(f, f->george, "george", 4, 3), 1);
    assert_int_equal(verify_three(f, f->george, "nicolas", 4, 3), 0);
    size_t len;
    short *z = calloc(EYNI_VOICE_RATE, sizeof *z);
    assert_non_null(z);
    unsigned char *wav = vt_wav(z, EYNI_VOICE_RATE, EYNI_VOICE_RATE, 1, &len);
    expect_refused(f, wav, len, EYNI_EQUALITY, "silence");
    free(wav);
    free(z);
}

/* Re-capture and erasure of voice samples: a person's pooled reference is pooled again
 * from the samples in force, here and after a restart. */
static void voice_recapture_and_erasure_rebuild_the_reference(void **state)
{
    fx *f = *state;
    eyni_identity_close(f->id);
    f->id = open_with(f->reg, f->model);
    eyni_sample_in s[EYNI_IDENTITY_MAX_SAMPLES];
    const int idx[] = {5, 6};
    int n = voice_samples("theo", idx, 2, s);
    eyni_actor clerk = fixture_actor(EYNI_ROLE_REGISTRAR, "voice re-capture test");
    eyni_actor admin = fixture_actor(EYNI_ROLE_ADMIN, "court order");
    json_t *out = NULL;
    eyni_error err;
    if (eyni_identity_biometrics_update(f->id, &clerk, f->jackson, s, n, "wrong speaker", &out,
                                        &err))
        fail_msg("update: %s", err.msg);
    fixture_free_samples(s, n);
    assert_int_equal(json_integer_value(json_object_get(out, "replaced")), 20);
    json_decref(out);
    assert_int_equal(verify_three(f, f->jackson, "theo", 1, 3), 1);
    assert_int_equal(verify_three(f, f->jackson, "jackson", 1, 3), 0);
    json_t *st = eyni_identity_stats(f->id);
    assert_int_equal(json_integer_value(json_object_get(st, "voice")), 2);
    json_decref(st);
    if (eyni_identity_biometrics_erase(f->id, &admin, f->george, "voice", 0, "court order", &out,
                                       &err))
        fail_msg("erase: %s", err.msg);
    assert_int_equal(json_integer_value(json_object_get(out, "erased")), 20);
    json_decref(out);
    st = eyni_identity_stats(f->id);
    assert_int_equal(json_integer_value(json_object_get(st, "voice")), 1);
    json_decref(st);
    eyni_sample_in g = one_voice("george", 4, 2);
    eyni_actor police = fixture_actor(EYNI_ROLE_POLICE, "voice identification test");
    assert_int_equal(eyni_identity_identify(f->id, &police, &g, 1, 5, 0, &out, &err), 0);
    fixture_free_samples(&g, 1);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(out, "candidates"), i, c)
        assert_string_not_equal(json_string_value(json_object_get(c, "fin")), f->george);
    json_decref(out);
    eyni_identity_close(f->id);
    f->id = open_with(f->reg, f->model);
    st = eyni_identity_stats(f->id);
    assert_int_equal(json_integer_value(json_object_get(st, "voice")), 1);
    json_decref(st);
    assert_int_equal(verify_three(f, f->jackson, "theo", 5, 4), 1);
    assert_int_equal(verify_three(f, f->jackson, "jackson", 5, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(genuine_speakers_verify_and_impostors_do_not),
        cmocka_unit_test(three_words_verify_the_speaker),
        cmocka_unit_test(identification_names_the_speaker),
        cmocka_unit_test(bad_audio_is_refused_by_name_and_nothing_stored),
        cmocka_unit_test(voice_needs_the_match_power_and_is_audited),
        cmocka_unit_test(without_a_model_voice_is_refused_by_name),
        cmocka_unit_test(the_voice_gallery_is_rebuilt_after_restart),
        cmocka_unit_test(silero_vad_in_the_service),
        cmocka_unit_test(voice_recapture_and_erasure_rebuild_the_reference),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

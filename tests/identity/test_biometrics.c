/* Re-capture and legal erasure of biometric samples on real faces (LFW) and fingerprints
 * (FVC2002), with the galleries of this service, of a second service following the same
 * database, and of a service rebuilt from the store all matching the store afterwards.
 * Runs on SQLite and (as identity/biometrics@pg) on PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eyni/identity.h"
#include "eyni/image.h"
#include "reg_fixture.h"
#include "id_fixture.h"

#define LFW "lfw-a-gray-dev/images/"
#define FVC "fvc2002-b-real/DB1_B/images/"

typedef struct fx {
    eyni_register *reg, *reg2; /* two registers (two nodes) on one database */
    eyni_identity *id, *id2;
    eyni_identity_follower *follow;
    char blair[EYNI_FIN_MAX + 1], chavez[EYNI_FIN_MAX + 1];
} fx;

static eyni_actor clerk(void)
{
    return fixture_actor(EYNI_ROLE_REGISTRAR, "re-capture test");
}

static eyni_actor admin(void)
{
    return fixture_actor(EYNI_ROLE_ADMIN, "court order 2026/117");
}

static eyni_register *open_register(const char *uri, const char *keys)
{
    eyni_register_opts o = {uri, 4, 0, NULL, NULL, keys, 1, NULL, NULL, NULL, NULL, NULL};
    eyni_register *r = NULL;
    eyni_error err;
    if (eyni_register_open(&o, &r, &err))
        fail_msg("%s", err.msg);
    return r;
}

static void enrol(fx *f, const char *surname, eyni_sample_in *s, int n, char *fin)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"surname\":\"%s\",\"given_name\":\"Test\",\"birth_date\":\"1970-01-01\","
             "\"sex\":\"M\"}",
             surname);
    json_t *person = fixture_json(body), *out = NULL;
    eyni_actor a = clerk();
    eyni_error err;
    if (eyni_identity_enrol(f->id, &a, person, s, n, &out, &err))
        fail_msg("enrol %s: %s", surname, err.msg);
    assert_string_equal(json_string_value(json_object_get(out, "status")), "unique");
    snprintf(fin, EYNI_FIN_MAX + 1, "%s", json_string_value(json_object_get(out, "fin")));
    json_decref(out);
    json_decref(person);
    fixture_free_samples(s, n);
}

/* The fused score of fin among the candidates for the samples (0 when not a candidate). */
static double score_of(eyni_identity *id, const char *fin, eyni_sample_in *s, int n)
{
    eyni_actor a = clerk();
    json_t *out = NULL;
    eyni_error err;
    if (eyni_identity_identify(id, &a, s, n, 10, 0, &out, &err))
        fail_msg("identify: %s", err.msg);
    fixture_free_samples(s, n);
    double score = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(out, "candidates"), i, c)
    {
        if (!strcmp(json_string_value(json_object_get(c, "fin")), fin))
            score = json_real_value(json_object_get(c, "score"));
    }
    json_decref(out);
    return score;
}

static long long stat_of(eyni_identity *id, const char *key)
{
    json_t *s = eyni_identity_stats(id);
    long long v = json_integer_value(json_object_get(s, key));
    json_decref(s);
    return v;
}

/* Waits (bounded) until the follower of the second service has applied every change. */
static void await_follower(fx *f)
{
    long long want = stat_of(f->id, "last_change");
    for (int i = 0; i < 400 && stat_of(f->id2, "last_change") < want; i++) {
        struct timespec ts = {0, 25 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(stat_of(f->id2, "last_change"), want);
}

static long long count_of(eyni_register *reg, const char *sql, const char *arg)
{
    return fixture_count(eyni_register_store(reg), sql, arg);
}

static long long audit_count(fx *f, const char *action, const char *outcome)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM audit WHERE action = ? AND outcome = '%s'",
             outcome);
    return count_of(f->reg, sql, action);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char *dir = eyni_test_tmpdir("biometrics");
    char keys[4200];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    free(dir);
    fixture_data_key(keys);
    eyni_error err;
    char *uri = fixture_store_uri("biometrics");
    f->reg = open_register(uri, keys);
    f->id = fixture_identity(f->reg);
    f->reg2 = open_register(uri, keys);
    f->id2 = fixture_identity(f->reg2);
    free(uri);
    if (eyni_identity_follow(f->id2, 50, &f->follow, &err))
        fail_msg("%s", err.msg);
    eyni_sample_in s[2] = {fixture_sample("face", 0, LFW "Tony_Blair/Tony_Blair_0001.jpg"),
                           fixture_sample("finger", 2, FVC "101_1.tif")};
    enrol(f, "Blair", s, 2, f->blair);
    eyni_sample_in t[2] = {fixture_sample("face", 0, LFW "Hugo_Chavez/Hugo_Chavez_0001.jpg"),
                           fixture_sample("finger", 2, FVC "102_1.tif")};
    enrol(f, "Chavez", t, 2, f->chavez);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    eyni_identity_follow_stop(f->follow);
    eyni_identity_close(f->id2);
    eyni_register_close(f->reg2);
    eyni_identity_close(f->id);
    eyni_register_close(f->reg);
    free(f);
    return 0;
}

#define FACE(name, k)  fixture_sample("face", 0, LFW name "/" name "_000" #k ".jpg")
#define FINGER(pos, f) fixture_sample("finger", pos, FVC f ".tif")

/* Who Blair is found as, by face and by finger, on service id. */
static void expect_blair_is_agassi(fx *f, eyni_identity *id)
{
    eyni_sample_in old_face[1] = {FACE("Tony_Blair", 2)};
    assert_true(score_of(id, f->blair, old_face, 1) < 3.0);
    eyni_sample_in old_finger[1] = {FINGER(2, "101_2")};
    assert_true(score_of(id, f->blair, old_finger, 1) < 3.0);
    eyni_sample_in both[2] = {FACE("Ana_Palacio", 2), FINGER(2, "103_2")};
    assert_true(score_of(id, f->blair, both, 2) >= 9.0);
    eyni_sample_in finger[1] = {FINGER(2, "103_3")};
    assert_true(score_of(id, f->blair, finger, 1) >= 4.0);
}

/* The photo and the finger on record turn out to be someone else's: re-captured, the old
 * samples stop matching and the new ones match, here and on the following service. */
static void recapture_replaces_the_old_samples(void **state)
{
    fx *f = *state;
    eyni_sample_in before[2] = {FACE("Tony_Blair", 2), FINGER(2, "101_2")};
    assert_true(score_of(f->id, f->blair, before, 2) >= 9.0);
    long long faces = stat_of(f->id, "face"), samples = stat_of(f->id, "samples");
    eyni_sample_in s[2] = {FACE("Ana_Palacio", 1), FINGER(2, "103_1")};
    eyni_actor a = clerk();
    json_t *out = NULL;
    eyni_error err;
    if (eyni_identity_biometrics_update(f->id, &a, f->blair, s, 2, "wrong person photographed",
                                        &out, &err))
        fail_msg("update: %s", err.msg);
    fixture_free_samples(s, 2);
    assert_int_equal(json_integer_value(json_object_get(out, "replaced")), 2);
    assert_int_equal(json_integer_value(json_object_get(out, "added")), 2);
    /* the new samples are not the old person's: continuity records it */
    assert_true(json_real_value(json_object_get(json_object_get(out, "continuity"), "score")) <
                3.0);
    assert_int_equal(json_array_size(json_object_get(out, "quality")), 2);
    json_decref(out);
    assert_int_equal(stat_of(f->id, "face"), faces);
    assert_int_equal(stat_of(f->id, "samples"), samples);
    expect_blair_is_agassi(f, f->id);
    await_follower(f);
    assert_int_equal(stat_of(f->id2, "face"), faces);
    assert_int_equal(stat_of(f->id2, "finger"), stat_of(f->id, "finger"));
    expect_blair_is_agassi(f, f->id2);
    /* verification uses the samples in force only */
    eyni_sample_in v[1] = {FACE("Tony_Blair", 3)};
    assert_int_equal(eyni_identity_verify(f->id, &a, f->blair, v, 1, &out, &err), 0);
    fixture_free_samples(v, 1);
    assert_true(json_is_false(json_object_get(out, "match")));
    json_decref(out);
    /* the old rows are tombstones with who and why, their data kept as history */
    assert_int_equal(count_of(f->reg,
                              "SELECT COUNT(*) FROM biometrics b JOIN persons p ON"
                              " p.id = b.person_id WHERE p.fin = ? AND b.replaced_at IS NOT NULL"
                              " AND b.removed_by = 'test-registrar' AND b.removed_reason ="
                              " 'wrong person photographed' AND length(b.template) > 0",
                              f->blair),
                     2);
    assert_int_equal(audit_count(f, "biometric.update", "ok"), 1);
}

/* A re-capture matching another enrolled person is refused, naming that person, and
 * changes nothing. */
static void recapture_cannot_take_over_another_identity(void **state)
{
    fx *f = *state;
    long long rows = count_of(f->reg, "SELECT COUNT(*) FROM biometrics", NULL);
    long long changes = count_of(f->reg, "SELECT COUNT(*) FROM gallery_changes", NULL);
    eyni_sample_in s[2] = {FACE("Ana_Palacio", 3), FINGER(2, "103_4")};
    eyni_actor a = clerk();
    json_t *out = NULL;
    eyni_error err;
    assert_int_equal(
        eyni_identity_biometrics_update(f->id, &a, f->chavez, s, 2, "new photo", &out, &err),
        EYNI_ECONFLICT);
    fixture_free_samples(s, 2);
    assert_non_null(strstr(err.msg, f->blair));
    assert_int_equal(count_of(f->reg, "SELECT COUNT(*) FROM biometrics", NULL), rows);
    assert_int_equal(count_of(f->reg, "SELECT COUNT(*) FROM gallery_changes", NULL), changes);
    assert_int_equal(audit_count(f, "biometric.update", "refused"), 1);
    eyni_sample_in c[2] = {FACE("Hugo_Chavez", 2), FINGER(2, "102_2")};
    assert_true(score_of(f->id, f->chavez, c, 2) >= 9.0);
}

/* A white square is no finger; position 11 is no finger position; a reason is required;
 * an unknown FIN is unknown - each refused with nothing stored. */
static void bad_requests_change_nothing(void **state)
{
    fx *f = *state;
    long long rows = count_of(f->reg, "SELECT COUNT(*) FROM biometrics", NULL);
    long long changes = count_of(f->reg, "SELECT COUNT(*) FROM gallery_changes", NULL);
    eyni_actor a = clerk(), ad = admin();
    json_t *out = NULL;
    eyni_error err;
    eyni_image *white = eyni_image_new(300, 300, 1, NULL);
    memset(white->data, 255, 300 * 300);
    unsigned char *png;
    size_t len;
    assert_int_equal(eyni_image_encode_png(white, &png, &len, &err), 0);
    eyni_image_free(white);
    eyni_sample_in blank[1] = {{"finger", 3, png, len}};
    int rc =
        eyni_identity_biometrics_update(f->id, &a, f->chavez, blank, 1, "re-capture", &out, &err);
    assert_true(rc == EYNI_EQUALITY || rc == EYNI_EFORMAT);
    free(png);
    eyni_sample_in s[1] = {FINGER(11, "104_1")};
    assert_int_equal(
        eyni_identity_biometrics_update(f->id, &a, f->chavez, s, 1, "re-capture", &out, &err),
        EYNI_EFORMAT);
    assert_int_equal(eyni_identity_biometrics_update(f->id, &a, f->chavez, s, 1, NULL, &out, &err),
                     EYNI_EINVAL);
    assert_int_equal(eyni_identity_biometrics_update(f->id, &a, f->chavez, s, 1, "  ", &out, &err),
                     EYNI_EINVAL);
    fixture_free_samples(s, 1);
    eyni_sample_in g[1] = {FINGER(3, "104_1")};
    assert_int_equal(
        eyni_identity_biometrics_update(f->id, &a, "0000000", g, 1, "re-capture", &out, &err),
        EYNI_ENOTFOUND);
    assert_int_equal(eyni_identity_biometrics_update(f->id, &a, "no fin", g, 1, "x", &out, &err),
                     EYNI_EFORMAT);
    fixture_free_samples(g, 1);
    assert_int_equal(
        eyni_identity_biometrics_erase(f->id, &ad, "0000000", NULL, 0, "order", &out, &err),
        EYNI_ENOTFOUND);
    assert_int_equal(
        eyni_identity_biometrics_erase(f->id, &ad, f->chavez, "face", 2, "order", &out, &err),
        EYNI_EFORMAT);
    assert_int_equal(
        eyni_identity_biometrics_erase(f->id, &ad, f->chavez, "dna", 0, "order", &out, &err),
        EYNI_EFORMAT);
    assert_int_equal(
        eyni_identity_biometrics_erase(f->id, &ad, f->chavez, "finger", 7, "order", &out, &err),
        EYNI_ENOTFOUND);
    assert_int_equal(
        eyni_identity_biometrics_erase(f->id, &ad, f->chavez, "face", 0, "", &out, &err),
        EYNI_EINVAL);
    assert_int_equal(count_of(f->reg, "SELECT COUNT(*) FROM biometrics", NULL), rows);
    assert_int_equal(count_of(f->reg, "SELECT COUNT(*) FROM gallery_changes", NULL), changes);
    assert_int_equal(
        count_of(f->reg, "SELECT COUNT(*) FROM biometrics WHERE erased_at IS NOT NULL", NULL), 0);
}

/* Re-capture is the registrar's, erasure the administrator's; both need a purpose. */
static void roles_and_purpose_are_enforced(void **state)
{
    fx *f = *state;
    eyni_actor reg = clerk(), border = fixture_actor(EYNI_ROLE_BORDER, "check"),
               mute = fixture_actor(EYNI_ROLE_ADMIN, "");
    json_t *out = NULL;
    eyni_error err;
    long long denied = audit_count(f, "biometric.erase", "denied");
    assert_int_equal(
        eyni_identity_biometrics_erase(f->id, &reg, f->chavez, NULL, 0, "order", &out, &err),
        EYNI_EPERM);
    assert_int_equal(
        eyni_identity_biometrics_erase(f->id, &mute, f->chavez, NULL, 0, "order", &out, &err),
        EYNI_EINVAL);
    assert_int_equal(audit_count(f, "biometric.erase", "denied"), denied + 2);
    eyni_sample_in s[1] = {FINGER(3, "104_1")};
    assert_int_equal(
        eyni_identity_biometrics_update(f->id, &border, f->chavez, s, 1, "x", &out, &err),
        EYNI_EPERM);
    fixture_free_samples(s, 1);
    assert_int_equal(audit_count(f, "biometric.update", "denied"), 1);
    assert_int_equal(
        count_of(f->reg, "SELECT COUNT(*) FROM biometrics WHERE erased_at IS NOT NULL", NULL), 0);
}

static void expect_blair_erased(fx *f, eyni_identity *id)
{
    eyni_sample_in face[1] = {FACE("Ana_Palacio", 2)};
    assert_true(score_of(id, f->blair, face, 1) < 3.0);
    eyni_sample_in finger[1] = {FINGER(2, "103_2")};
    assert_true(score_of(id, f->blair, finger, 1) < 3.0);
    eyni_sample_in c[2] = {FACE("Hugo_Chavez", 2), FINGER(2, "102_2")};
    assert_true(score_of(id, f->chavez, c, 2) >= 9.0);
}

/* A court orders Blair's fingerprints erased, then everything: templates and images are
 * gone from the store (old samples too), the galleries here and on the following node
 * drop them, and the tombstones say who, when and why. */
static void erasure_removes_templates_images_and_gallery_entries(void **state)
{
    fx *f = *state;
    eyni_actor a = admin();
    json_t *out = NULL;
    eyni_error err;
    long long fingers = stat_of(f->id, "finger"), faces = stat_of(f->id, "face");
    if (eyni_identity_biometrics_erase(f->id, &a, f->blair, "finger", 2, "court order 117", &out,
                                       &err))
        fail_msg("erase: %s", err.msg);
    assert_int_equal(json_integer_value(json_object_get(out, "erased")), 2);
    assert_int_equal(json_integer_value(json_object_get(out, "removed_from_galleries")), 1);
    json_decref(out);
    assert_int_equal(stat_of(f->id, "finger"), fingers - 1);
    eyni_sample_in finger[1] = {FINGER(2, "103_2")};
    assert_true(score_of(f->id, f->blair, finger, 1) < 3.0);
    if (eyni_identity_biometrics_erase(f->id, &a, f->blair, NULL, 0, "court order 118", &out, &err))
        fail_msg("erase: %s", err.msg);
    assert_int_equal(json_integer_value(json_object_get(out, "erased")), 2);
    assert_int_equal(json_integer_value(json_object_get(out, "removed_from_galleries")), 1);
    json_decref(out);
    assert_int_equal(stat_of(f->id, "face"), faces - 1);
    assert_int_equal(
        eyni_identity_biometrics_erase(f->id, &a, f->blair, NULL, 0, "again", &out, &err),
        EYNI_ENOTFOUND);
    expect_blair_erased(f, f->id);
    await_follower(f);
    assert_int_equal(stat_of(f->id2, "face"), faces - 1);
    assert_int_equal(stat_of(f->id2, "finger"), fingers - 1);
    expect_blair_erased(f, f->id2);
    /* nothing of Blair's biometrics is left but tombstones */
    const char *blair_rows = "SELECT COUNT(*) FROM biometrics b JOIN persons p ON"
                             " p.id = b.person_id WHERE p.fin = ?";
    char sql[400];
    snprintf(sql, sizeof sql,
             "%s AND length(b.template) = 0 AND b.image IS NULL AND b.erased_at IS NOT NULL"
             " AND b.removed_by = 'test-admin' AND b.removed_reason LIKE 'court order 11%%'",
             blair_rows);
    assert_int_equal(count_of(f->reg, sql, f->blair), 4);
    assert_int_equal(count_of(f->reg, blair_rows, f->blair), 4);
    assert_int_equal(audit_count(f, "biometric.erase", "ok"), 2);
    eyni_actor reg = clerk();
    assert_int_equal(eyni_identity_biometrics_list(f->id, &reg, f->blair, &out, &err), 0);
    json_t *rows = json_object_get(out, "samples"), *row;
    size_t i;
    assert_int_equal(json_array_size(rows), 4);
    json_array_foreach(rows, i, row)
    {
        assert_string_equal(json_string_value(json_object_get(row, "status")), "erased");
        assert_string_equal(json_string_value(json_object_get(row, "removed_by")), "test-admin");
        assert_null(json_object_get(row, "template"));
    }
    json_decref(out);
    assert_int_equal(eyni_identity_biometrics_list(f->id, &a, f->blair, &out, &err), EYNI_EPERM);
    assert_int_equal(eyni_identity_biometrics_list(f->id, &reg, "0000000", &out, &err),
                     EYNI_ENOTFOUND);
    /* the store refuses to bring data back or to drop a tombstone */
    eyni_store *store = eyni_register_store(f->reg);
    eyni_db *db = NULL;
    assert_int_equal(eyni_store_acquire(store, &db, &err), 0);
    assert_int_equal(eyni_db_exec(db, "UPDATE biometrics SET image = template", &err),
                     EYNI_ECONFLICT);
    assert_int_equal(eyni_db_exec(db, "DELETE FROM biometrics", &err), EYNI_ECONFLICT);
    eyni_store_release(store, db);
}

/* Rebuilt from the store, the galleries hold what they held: the erased and replaced
 * samples stay out, the re-captured ones in. */
static void galleries_rebuilt_after_restart_match(void **state)
{
    fx *f = *state;
    json_t *before = eyni_identity_stats(f->id);
    eyni_identity_close(f->id);
    f->id = fixture_identity(f->reg);
    json_t *after = eyni_identity_stats(f->id);
    const char *keys[] = {"face", "finger", "samples", "last_change"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(json_integer_value(json_object_get(before, keys[i])),
                         json_integer_value(json_object_get(after, keys[i])));
    json_decref(before);
    json_decref(after);
    expect_blair_erased(f, f->id);
    /* a later re-capture of the erased person works like a first capture */
    eyni_sample_in s[1] = {FINGER(2, "105_1")};
    eyni_actor a = clerk();
    json_t *out = NULL;
    eyni_error err;
    if (eyni_identity_biometrics_update(f->id, &a, f->blair, s, 1, "new capture", &out, &err))
        fail_msg("update: %s", err.msg);
    fixture_free_samples(s, 1);
    assert_int_equal(json_integer_value(json_object_get(out, "replaced")), 0);
    json_decref(out);
    eyni_sample_in p[1] = {FINGER(2, "105_2")};
    assert_true(score_of(f->id, f->blair, p, 1) >= 4.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recapture_replaces_the_old_samples),
        cmocka_unit_test(recapture_cannot_take_over_another_identity),
        cmocka_unit_test(bad_requests_change_nothing),
        cmocka_unit_test(roles_and_purpose_are_enforced),
        cmocka_unit_test(erasure_removes_templates_images_and_gallery_entries),
        cmocka_unit_test(galleries_rebuilt_after_restart_match),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Border control through the command-line contract, on real faces: a clear traveller, a
 * listed person with another person's passport, a stolen passport, a banned person, a
 * corrupt chip, and a retried check recorded once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "testutil.h"

#define LFW "lfw-a-gray-dev/images/"
#define FVC "fvc2002-b-real/DB1_B/images/"

typedef struct fx {
    char data[4096];
    char fin_a[16], fin_b[16];
    char mrz_b[100], chip_b[4200];
} fx;

static json_t *cli_json(const char *const *args, int expect)
{
    char *out = NULL;
    int rc = test_cli(&out, args);
    if (rc != expect)
        fail_msg("eyni %s %s: exit %d, expected %d: %s", args[0], args[1], rc, expect, out);
    json_error_t je;
    json_t *v = json_loads(out, 0, &je);
    free(out);
    return v;
}

static void enrol(fx *f, const char *surname, const char *face, const char *finger, char *fin)
{
    char *fp = eyni_test_path(face), *gp = eyni_test_path(finger), farg[4300];
    snprintf(farg, sizeof farg, "2=%s", gp);
    const char *args[] = {"enrol", "--data", f->data, "--surname", surname, "--given-name", "Test",
                          "--birth-date", "1965-06-06", "--sex", "M", "--citizenship", "AZE",
                          "--face", fp, "--finger", farg, "--json", NULL};
    json_t *r = cli_json(args, 0);
    snprintf(fin, 16, "%s", json_string_value(json_object_get(r, "fin")));
    json_decref(r);
    free(fp);
    free(gp);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char *dir = eyni_test_tmpdir("border");
    snprintf(f->data, sizeof f->data, "%s/data", dir);
    free(dir);
    const char *init[] = {"init", "--data", f->data, "--opening-stock", "10", NULL};
    assert_int_equal(test_cli(NULL, init), 0);
    enrol(f, "Wanted", LFW "Tony_Blair/Tony_Blair_0001.jpg", FVC "101_1.tif", f->fin_a);
    enrol(f, "Innocent", LFW "Hugo_Chavez/Hugo_Chavez_0001.jpg", FVC "102_1.tif", f->fin_b);
    const char *issue[] = {"document", "issue", "--data", f->data, "--fin", f->fin_b, "--type",
                           "passport", "--json", NULL};
    json_t *doc = cli_json(issue, 0);
    snprintf(f->mrz_b, sizeof f->mrz_b, "%s", json_string_value(json_object_get(doc, "mrz")));
    snprintf(f->chip_b, sizeof f->chip_b, "%s", json_string_value(json_object_get(doc, "chip_dir")));
    json_decref(doc);
    const char *list[] = {"watchlist", "create", "--data", f->data, "--code", "WANTED", "--name",
                          "Wanted persons", "--kind", "person", "--legal-basis", "CPC art. 157",
                          "--valid-from", "2020-01-01", "--visible-to", "*", "--json", NULL};
    json_decref(cli_json(list, 0));
    const char *add[] = {"watchlist", "add", "WANTED", "--data", f->data, "--surname", "Wanted",
                         "--given-name", "Test", "--fin", f->fin_a, "--reason", "warrant 1/2026",
                         "--json", NULL};
    json_decref(cli_json(add, 0));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static json_t *check(fx *f, const char *face, const char *chip, const char *request_id,
                     int expect)
{
    char *fp = face ? eyni_test_path(face) : NULL;
    const char *args[24] = {"border", "check", "--data", f->data, "--mrz", f->mrz_b,
                            "--checkpoint", "BAKU-PORT", "--direction", "entry", "--json"};
    int n = 11;
    if (fp)
        args[n++] = "--face", args[n++] = fp;
    if (chip)
        args[n++] = "--chip", args[n++] = chip;
    if (request_id)
        args[n++] = "--request-id", args[n++] = request_id;
    args[n] = NULL;
    json_t *r = cli_json(args, expect);
    free(fp);
    return r;
}

static int has_reason(const json_t *r, const char *code)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(r, "reasons"), i, x)
    {
        if (!strcmp(json_string_value(json_object_get(x, "code")), code))
            return 1;
    }
    return 0;
}

static void clear_traveller_passes_and_retries_are_recorded_once(void **state)
{
    fx *f = *state;
    json_t *r = check(f, LFW "Hugo_Chavez/Hugo_Chavez_0002.jpg", f->chip_b, "req-77", 0);
    assert_string_equal(json_string_value(json_object_get(r, "decision")), "clear");
    long long crossing = json_integer_value(json_object_get(r, "crossing"));
    json_decref(r);
    r = check(f, LFW "Hugo_Chavez/Hugo_Chavez_0002.jpg", f->chip_b, "req-77", 0);
    assert_int_equal(json_integer_value(json_object_get(r, "crossing")), crossing);
    assert_true(json_is_true(json_object_get(r, "repeated")));
    json_decref(r);
    const char *q[] = {"border", "crossings", "--data", f->data, "--fin", f->fin_b, "--json", NULL};
    r = cli_json(q, 0);
    assert_int_equal(json_integer_value(json_object_get(r, "count")), 1);
    json_decref(r);
}

static void listed_person_with_another_persons_passport_is_caught_by_face(void **state)
{
    fx *f = *state;
    json_t *r = check(f, LFW "Tony_Blair/Tony_Blair_0002.jpg", NULL, NULL, 1);
    assert_string_equal(json_string_value(json_object_get(r, "decision")), "deny");
    assert_true(has_reason(r, "face_register_mismatch"));
    assert_true(has_reason(r, "face_matches_other_person"));
    assert_true(has_reason(r, "watchlist_person"));
    json_decref(r);
}

static void corrupt_chip_is_a_refer_never_a_clear(void **state)
{
    fx *f = *state;
    char *dir = eyni_test_tmpdir("border-chip"), cmd[9000];
    snprintf(cmd, sizeof cmd, "cp %s/* %s/ && printf 'garbage' > %s/Datagroup2.bin", f->chip_b,
             dir, dir);
    assert_int_equal(system(cmd), 0);
    json_t *r = check(f, LFW "Hugo_Chavez/Hugo_Chavez_0002.jpg", dir, NULL, 1);
    assert_string_equal(json_string_value(json_object_get(r, "decision")), "refer");
    assert_true(has_reason(r, "chip_not_authentic") || has_reason(r, "chip_unreadable"));
    json_decref(r);
    free(dir);
}

static void banned_person_is_denied_with_the_ban_named(void **state)
{
    fx *f = *state;
    const char *ban[] = {"ban", "add", "--data", f->data, "--fin", f->fin_b, "--surname",
                         "Innocent", "--given-name", "Test", "--direction", "both", "--starts",
                         "2025-01-01", "--legal-basis", "court order 5/2026", "--authority",
                         "Baku court", "--json", NULL};
    json_decref(cli_json(ban, 0));
    json_t *r = check(f, LFW "Hugo_Chavez/Hugo_Chavez_0002.jpg", NULL, NULL, 1);
    assert_string_equal(json_string_value(json_object_get(r, "decision")), "deny");
    assert_true(has_reason(r, "ban"));
    char *s = json_dumps(r, 0);
    assert_non_null(strstr(s, "court order 5/2026"));
    free(s);
    json_decref(r);
}

static void stolen_passport_is_denied(void **state)
{
    fx *f = *state;
    json_t *r = check(f, NULL, NULL, NULL, 1);
    const char *number = json_string_value(json_object_get(json_object_get(r, "document"), "number"));
    const char *stolen[] = {"document", "set-status", "--data", f->data, number, "stolen",
                            "--reason", "police report", "--json", NULL};
    json_decref(cli_json(stolen, 0));
    json_decref(r);
    r = check(f, NULL, NULL, NULL, 1);
    assert_string_equal(json_string_value(json_object_get(r, "decision")), "deny");
    assert_true(has_reason(r, "document_invalid"));
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clear_traveller_passes_and_retries_are_recorded_once),
        cmocka_unit_test(listed_person_with_another_persons_passport_is_caught_by_face),
        cmocka_unit_test(corrupt_chip_is_a_refer_never_a_clear),
        cmocka_unit_test(banned_person_is_denied_with_the_ban_named),
        cmocka_unit_test(stolen_passport_is_denied),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

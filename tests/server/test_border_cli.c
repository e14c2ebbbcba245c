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
    const char *args[] = {"enrol",      "--data",       f->data, "--surname",
                          surname,      "--given-name", "Test",  "--birth-date",
                          "1965-06-06", "--sex",        "M",     "--citizenship",
                          "AZE",        "--face",       fp,      "--finger",
                          farg,         "--json",       NULL};
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
    const char *issue[] = {"document", "issue",  "--data",   f->data,  "--fin",
                           f->fin_b,   "--type", "passport", "--json", NULL};
    json_t *doc = cli_json(issue, 0);
    snprintf(f->mrz_b, sizeof f->mrz_b, "%s", json_string_value(json_object_get(doc, "mrz")));
    snprintf(f->chip_b, sizeof f->chip_b, "%s",
             json_string_value(json_object_get(doc, "chip_dir")));
    json_decref(doc);
    const char *list[] = {
        "watchlist",    "create",         "--data",       f->data,  "--code",        "WANTED",
        "--name",       "Wanted persons", "--kind",       "person", "--legal-basis", "CPC art. 157",
        "--valid-from", "2020-01-01",     "--visible-to", "*",      "--json",        NULL};
    json_decref(cli_json(list, 0));
    const char *add[] = {"watchlist", "add",      "WANTED",         "--data", f->data,
                         "--surname", "Wanted",   "--given-name",   "Test",   "--fin",
                         f->fin_a,    "--reason", "warrant 1/2026", "--json", NULL};
    json_decref(cli_json(add, 0));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static json_t *check(fx *f, const char *face, const char *chip, const char *request_id, int expect)
{
    char *fp = face ? eyni_test_path(face) : NULL;
    const char *args[24] = {"border",       "check",     "--data",      f->data, "--mrz", f->mrz_b,
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
    snprintf(cmd, sizeof cmd, "cp %s/* %s/ && printf 'garbage' > %s/Datagroup2.bin", f->chip_b, dir,
             dir);
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
    const char *ban[] = {"ban",          "add",        "--data",        f->data,
                         "--fin",        f->fin_b,     "--surname",     "Innocent",
                         "--given-name", "Test",       "--direction",   "both",
                         "--starts",     "2025-01-01", "--legal-basis", "court order 5/2026",
                         "--authority",  "Baku court", "--json",        NULL};
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
    const char *number =
        json_string_value(json_object_get(json_object_get(r, "document"), "number"));
    const char *stolen[] = {"document", "set-status", "--data",        f->data,  number,
                            "stolen",   "--reason",   "police report", "--json", NULL};
    json_decref(cli_json(stolen, 0));
    json_decref(r);
    r = check(f, NULL, NULL, NULL, 1);
    assert_string_equal(json_string_value(json_object_get(r, "decision")), "deny");
    assert_true(has_reason(r, "document_invalid"));
    json_decref(r);
}

/* A foreign passport (not ours, so not in the register) built with `eyni mrz build`. */
static void foreign_mrz(const char *surname, const char *number, char *out, size_t cap)
{
    const char *args[] = {"mrz",      "build", "--format",      "TD3",    "--code",  "P",
                          "--issuer", "GBR",   "--surname",     surname,  "--given", "Visitor",
                          "--number", number,  "--nationality", "GBR",    "--birth", "800101",
                          "--sex",    "M",     "--expiry",      "351231", "--json",  NULL};
    json_t *r = cli_json(args, 0);
    snprintf(out, cap, "%s", json_string_value(json_object_get(r, "mrz")));
    json_decref(r);
}

static void visa(fx *f, const char *number, const char *passport, const char *from,
                 const char *until, const char *entries)
{
    const char *args[] = {
        "border",     "visa",      "issue",   "--data",       f->data,   "--number",
        number,       "--type",    "C",       "--passport",   passport,  "--nationality",
        "GBR",        "--surname", "Visitor", "--given-name", "Visitor", "--birth-date",
        "1980-01-01", "--sex",     "M",       "--valid-from", from,      "--valid-until",
        until,        "--entries", entries,   "--stay-days",  "30",      "--json",
        NULL};
    json_t *r = cli_json(args, 0);
    /* The visa's own MRZ is an MRV-A that parses back to the visa's fields. */
    const char *mrz = json_string_value(json_object_get(r, "mrz"));
    assert_non_null(mrz);
    assert_int_equal(mrz[0], 'V');
    assert_non_null(strstr(mrz, number));
    json_decref(r);
}

static json_t *foreign_check(fx *f, const char *mrz, const char *face, const char *direction,
                             int expect)
{
    char *fp = face ? eyni_test_path(face) : NULL;
    const char *args[16] = {"border",       "check",        "--data",      f->data,   "--mrz", mrz,
                            "--checkpoint", "BAKU-AIRPORT", "--direction", direction, "--json"};
    int n = 11;
    if (fp)
        args[n++] = "--face", args[n++] = fp;
    args[n] = NULL;
    json_t *r = cli_json(args, expect);
    free(fp);
    return r;
}

static const char *decision(const json_t *r)
{
    return json_string_value(json_object_get(r, "decision"));
}

static void foreigner_with_a_valid_visa_is_clear_and_entries_are_counted(void **state)
{
    fx *f = *state;
    char mrz[100];
    foreign_mrz("Visitor", "GB1000001", mrz, sizeof mrz);
    visa(f, "V0000001", "GB1000001", "2026-01-01", "2099-12-31", "1");
    json_t *r = foreign_check(f, mrz, LFW "Abdullah_Gul/Abdullah_Gul_0002.jpg", "entry", 0);
    assert_string_equal(decision(r), "clear");
    json_t *stay = json_object_get(r, "stay");
    assert_string_equal(json_string_value(json_object_get(stay, "basis")), "visa");
    assert_int_equal(json_integer_value(json_object_get(stay, "entries_used")), 0);
    json_decref(r);
    /* A single-entry visa is used up by that entry. */
    r = foreign_check(f, mrz, LFW "Abdullah_Gul/Abdullah_Gul_0003.jpg", "entry", 1);
    assert_string_equal(decision(r), "deny");
    assert_true(has_reason(r, "visa_entries_used"));
    json_decref(r);
    /* Leaving the same day is within the 30 days of stay. */
    r = foreign_check(f, mrz, NULL, "exit", 0);
    assert_string_equal(decision(r), "clear");
    stay = json_object_get(r, "stay");
    assert_int_equal(json_integer_value(json_object_get(stay, "days_in_country")), 1);
    assert_int_equal(json_integer_value(json_object_get(stay, "overstay_days")), 0);
    json_decref(r);
}

static void foreigner_without_a_visa_is_referred_and_with_an_expired_one_denied(void **state)
{
    fx *f = *state;
    char mrz[100];
    foreign_mrz("Novisa", "GB2000002", mrz, sizeof mrz);
    json_t *r = foreign_check(f, mrz, LFW "Ana_Palacio/Ana_Palacio_0001.jpg", "entry", 1);
    assert_string_equal(decision(r), "refer");
    assert_true(has_reason(r, "visa_missing"));
    json_decref(r);
    visa(f, "V0000002", "GB2000002", "2025-01-01", "2025-03-31", "0");
    r = foreign_check(f, mrz, LFW "Ana_Palacio/Ana_Palacio_0001.jpg", "entry", 1);
    assert_string_equal(decision(r), "deny");
    assert_true(has_reason(r, "visa_not_valid"));
    assert_false(has_reason(r, "visa_missing"));
    json_decref(r);
}

static void overstay_is_reported_on_exit(void **state)
{
    fx *f = *state;
    char mrz[100];
    foreign_mrz("Overstayer", "GB3000003", mrz, sizeof mrz);
    /* The visa ended on 2025-06-30: every day since is beyond the permitted stay. */
    visa(f, "V0000003", "GB3000003", "2025-06-01", "2025-06-30", "0");
    json_t *r = foreign_check(f, mrz, NULL, "exit", 1);
    assert_string_equal(decision(r), "refer");
    assert_true(has_reason(r, "overstay"));
    json_t *stay = json_object_get(r, "stay");
    assert_string_equal(json_string_value(json_object_get(stay, "allowed_until")), "2025-06-30");
    assert_true(json_integer_value(json_object_get(stay, "overstay_days")) >= 156);
    json_decref(r);
}

static void residence_permit_lets_a_foreigner_in_and_a_citizens_feeds_the_register(void **state)
{
    fx *f = *state;
    char mrz[100];
    foreign_mrz("Resident", "GB4000004", mrz, sizeof mrz);
    const char *permit[] = {"border",
                            "residence",
                            "add",
                            "--data",
                            f->data,
                            "--passport",
                            "GB4000004",
                            "--nationality",
                            "GBR",
                            "--surname",
                            "Resident",
                            "--address",
                            "Baku, Nizami 5",
                            "--since",
                            "2025-01-01",
                            "--until",
                            "2099-01-01",
                            "--json",
                            NULL};
    json_t *r = cli_json(permit, 0);
    assert_string_equal(json_string_value(json_object_get(r, "kind")), "permit");
    json_decref(r);
    r = foreign_check(f, mrz, NULL, "entry", 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "stay"), "basis")),
                        "residence_permit");
    json_decref(r);
    /* The resident is in the country now, within the permit, so no overstayer. */
    const char *in[] = {"border", "crossings", "--data", f->data, "--in-country", "--json", NULL};
    r = cli_json(in, 0);
    char *list = json_dumps(r, 0);
    assert_non_null(strstr(list, "GB4000004"));
    free(list);
    json_decref(r);
    const char *over[] = {"border", "crossings", "--data", f->data, "--overstays", "--json", NULL};
    r = cli_json(over, 0);
    list = json_dumps(r, 0);
    assert_null(strstr(list, "GB4000004"));
    free(list);
    json_decref(r);
    const char *counts[] = {"border",       "crossings",    "--data", f->data, "--counts",
                            "--checkpoint", "BAKU-AIRPORT", "--json", NULL};
    r = cli_json(counts, 0);
    json_int_t total = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r, "crossings"), i, c)
    {
        assert_string_equal(json_string_value(json_object_get(c, "checkpoint")), "BAKU-AIRPORT");
        total += json_integer_value(json_object_get(c, "count"));
    }
    assert_true(total >= 7); /* the checks of the tests before this one at the airport */
    json_decref(r);
    /* A permit that has ended, with no visa, keeps its holder out. */
    char old_mrz[100];
    foreign_mrz("Formerresident", "GB6000006", old_mrz, sizeof old_mrz);
    const char *ended[] = {"border",
                           "residence",
                           "add",
                           "--data",
                           f->data,
                           "--passport",
                           "GB6000006",
                           "--nationality",
                           "GBR",
                           "--surname",
                           "Formerresident",
                           "--address",
                           "Baku, Nizami 7",
                           "--since",
                           "2024-01-01",
                           "--until",
                           "2025-12-31",
                           "--json",
                           NULL};
    json_decref(cli_json(ended, 0));
    r = foreign_check(f, old_mrz, NULL, "entry", 1);
    assert_string_equal(decision(r), "deny");
    assert_true(has_reason(r, "permit_expired"));
    json_decref(r);
    /* A permit without an end, or for nobody, stores nothing. */
    const char *bad[] = {"border",     "residence", "add",           "--data",  f->data,
                         "--passport", "GB4000005", "--nationality", "GBR",     "--surname",
                         "X",          "--address", "Baku",          "--since", "2025-01-01",
                         "--json",     NULL};
    char *out = NULL;
    assert_int_equal(test_cli(&out, bad), 2);
    free(out);
    const char *citizen[] = {
        "border",    "residence",         "add",     "--data",     f->data,  "--fin", f->fin_a,
        "--address", "Ganja, Ataturk 12", "--since", "2024-05-01", "--json", NULL};
    json_decref(cli_json(citizen, 0));
    const char *person[] = {"person",    "show", f->fin_a, "--data", f->data,
                            "--purpose", "test", "--json", NULL};
    r = cli_json(person, 0);
    char *s = json_dumps(json_object_get(r, "residence_history"), 0);
    assert_non_null(strstr(s, "Ganja, Ataturk 12"));
    free(s);
    json_decref(r);
}

static void watchlisted_face_of_a_person_not_in_the_register_is_caught(void **state)
{
    fx *f = *state;
    const char *list[] = {"watchlist",     "create",
                          "--data",        f->data,
                          "--code",        "INTERPOL",
                          "--name",        "Red notices",
                          "--kind",        "person",
                          "--legal-basis", "Interpol red notice",
                          "--handling",    "detain and call duty officer",
                          "--valid-from",  "2020-01-01",
                          "--visible-to",  "*",
                          "--json",        NULL};
    json_decref(cli_json(list, 0));
    const char *add[] = {"watchlist", "add",       "INTERPOL",          "--data",
                         f->data,     "--surname", "Fugitive",          "--given-name",
                         "Unknown",   "--reason",  "red notice 7/2026", "--json",
                         NULL};
    json_t *r = cli_json(add, 0);
    char entry[24];
    snprintf(entry, sizeof entry, "%lld",
             (long long)json_integer_value(json_object_get(r, "entry")));
    json_decref(r);
    char *face = eyni_test_path(LFW "Angela_Bassett/Angela_Bassett_0001.jpg");
    const char *bio[] = {
        "border", "watch-biometrics", "--data", f->data,  "--list", "INTERPOL", "--entry",
        entry,    "--face",           face,     "--json", NULL};
    r = cli_json(bio, 0);
    assert_int_equal(json_integer_value(json_object_get(r, "added")), 1);
    json_decref(r);
    free(face);
    /* Identification against that list by name finds the entry with another photo of her;
     * a stranger is nobody on it (exit 1), and a list nobody has is refused. */
    face = eyni_test_path(LFW "Angela_Bassett/Angela_Bassett_0002.jpg");
    const char *ident[] = {"identify", "--data", f->data,  "--gallery", "INTERPOL",
                           "--face",   face,     "--json", NULL};
    r = cli_json(ident, 0);
    json_t *top = json_array_get(json_object_get(r, "candidates"), 0);
    assert_string_equal(json_string_value(json_object_get(top, "list")), "INTERPOL");
    assert_int_equal(json_integer_value(json_object_get(top, "entry")), atoll(entry));
    assert_true(json_real_value(json_object_get(top, "score")) > 0);
    json_decref(r);
    free(face);
    face = eyni_test_path(LFW "Ana_Palacio/Ana_Palacio_0002.jpg");
    const char *stranger[] = {"identify", "--data", f->data,  "--gallery", "INTERPOL",
                              "--face",   face,     "--json", NULL};
    r = cli_json(stranger, 1);
    assert_int_equal(json_integer_value(json_object_get(r, "count")), 0);
    json_decref(r);
    const char *nolist[] = {"identify", "--data", f->data,  "--gallery", "NOSUCH",
                            "--face",   face,     "--json", NULL};
    char *nout = NULL;
    assert_int_not_equal(test_cli(&nout, nolist), 0);
    free(nout);
    free(face);
    /* An entry that does not exist gets nothing. */
    face = eyni_test_path(LFW "Angela_Bassett/Angela_Bassett_0001.jpg");
    const char *none[] = {"border",  "watch-biometrics", "--data", f->data, "--list", "INTERPOL",
                          "--entry", "999999",           "--face", face,    "--json", NULL};
    char *out = NULL;
    assert_int_not_equal(test_cli(&out, none), 0);
    free(out);
    free(face);
    /* She travels on a visa in another name: the name finds nothing, her face does. */
    char mrz[100];
    foreign_mrz("Visitor", "GB5000005", mrz, sizeof mrz);
    visa(f, "V0000005", "GB5000005", "2026-01-01", "2099-12-31", "0");
    r = foreign_check(f, mrz, LFW "Angela_Bassett/Angela_Bassett_0002.jpg", "entry", 1);
    assert_string_equal(decision(r), "deny");
    assert_true(has_reason(r, "watchlist_biometric"));
    char *text = json_dumps(r, 0);
    assert_non_null(strstr(text, "INTERPOL"));
    assert_non_null(strstr(text, "detain and call duty officer"));
    free(text);
    json_decref(r);
    /* Someone else on the same visa is not taken for her. */
    r = foreign_check(f, mrz, LFW "Ana_Palacio/Ana_Palacio_0002.jpg", "entry", 0);
    assert_false(has_reason(r, "watchlist_biometric"));
    json_decref(r);
}

static json_t *field_check(fx *f, const char *mrz, const char *face, int expect)
{
    char *fp = eyni_test_path(face);
    const char *args[] = {"border", "field", "--data",       f->data,    "--mrz",  mrz,
                          "--face", fp,      "--checkpoint", "PATROL-7", "--json", NULL};
    json_t *r = cli_json(args, expect);
    free(fp);
    return r;
}

static void field_check_answers_compactly_with_a_thumbnail(void **state)
{
    fx *f = *state;
    /* The wanted man with the (by now stolen) passport of another. */
    json_t *r = field_check(f, f->mrz_b, LFW "Tony_Blair/Tony_Blair_0002.jpg", 1);
    assert_string_equal(decision(r), "deny");
    assert_true(json_is_true(json_object_get(r, "person_found")));
    assert_string_equal(json_string_value(json_object_get(r, "fin")), f->fin_a);
    assert_true(json_is_true(json_object_get(r, "wanted")));
    assert_true(json_is_true(json_object_get(r, "document_invalid")));
    assert_string_equal(json_string_value(json_object_get(r, "thumbnail_of")), "register");
    /* The thumbnail is a JPEG. */
    const char *b64 = json_string_value(json_object_get(r, "thumbnail"));
    assert_non_null(b64);
    assert_int_equal(strncmp(b64, "/9j/", 4), 0);
    assert_null(json_object_get(r, "crossing"));
    json_decref(r);
    /* A listed person who is not in the register: her watchlist photo is shown. */
    char mrz[100];
    foreign_mrz("Visitor", "GB5000005", mrz, sizeof mrz);
    r = field_check(f, mrz, LFW "Angela_Bassett/Angela_Bassett_0002.jpg", 1);
    assert_true(json_is_true(json_object_get(r, "wanted")));
    assert_false(json_is_true(json_object_get(r, "person_found")));
    assert_string_equal(json_string_value(json_object_get(r, "thumbnail_of")), "watchlist");
    json_decref(r);
    /* Field checks are audited, and no crossing is recorded for them. */
    const char *audit[] = {"audit",    "list",        "--data", f->data,
                           "--action", "field.check", "--json", NULL};
    r = cli_json(audit, 0);
    char *text = json_dumps(r, 0);
    assert_non_null(strstr(text, "PATROL-7"));
    free(text);
    json_decref(r);
    const char *cp[] = {"border",       "crossings", "--data", f->data,
                        "--checkpoint", "PATROL-7",  "--json", NULL};
    r = cli_json(cp, 0);
    assert_int_equal(json_integer_value(json_object_get(r, "count")), 0);
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
        cmocka_unit_test(foreigner_with_a_valid_visa_is_clear_and_entries_are_counted),
        cmocka_unit_test(foreigner_without_a_visa_is_referred_and_with_an_expired_one_denied),
        cmocka_unit_test(overstay_is_reported_on_exit),
        cmocka_unit_test(residence_permit_lets_a_foreigner_in_and_a_citizens_feeds_the_register),
        cmocka_unit_test(watchlisted_face_of_a_person_not_in_the_register_is_caught),
        cmocka_unit_test(field_check_answers_compactly_with_a_thumbnail),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

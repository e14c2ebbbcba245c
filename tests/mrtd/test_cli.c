/* The `eyni mrz`, `eyni mrtd` and `eyni pki` commands: JSON output and exit codes, and the
 * whole national PKI -> chip -> verification workflow through the command line. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "eyni/base.h"
#include "testutil.h"

/* Runs a command line; returns its exit code and its stdout (caller frees). */
static int run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t r;
    while ((r = fread(buf + n, 1, cap - 1 - n, p)) > 0)
        n += r;
    buf[n] = '\0';
    int st = pclose(p);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static json_t *parse(const char *s)
{
    json_error_t e;
    json_t *o = json_loads(s, 0, &e);
    if (!o)
        fail_msg("not JSON: %s (%s)", s, e.text);
    return o;
}

static void test_mrz_check_exit_codes(void **state)
{
    char *eyni = eyni_test_program("eyni"), cmd[1024], *out;
    snprintf(cmd, sizeof cmd,
             "%s mrz check 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
             "L898902C36UTO7408122F1204159ZE184226B<<<<<10' --json",
             eyni);
    assert_int_equal(run(cmd, &out), 0);
    json_t *o = parse(out);
    assert_true(json_is_true(json_object_get(o, "valid")));
    assert_string_equal(json_string_value(json_object_get(o, "format")), "TD3");
    json_decref(o);
    free(out);
    snprintf(cmd, sizeof cmd,
             "%s mrz check 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
             "L898902C36UTO7408122F1204159ZE184226B<<<<<12' --json",
             eyni);
    assert_int_equal(run(cmd, &out), 1);
    o = parse(out);
    assert_true(json_is_false(json_object_get(json_object_get(o, "checks"), "composite")));
    json_decref(o);
    free(out);
    snprintf(cmd, sizeof cmd, "%s mrz check 'P<UTO' --json 2>/dev/null", eyni);
    assert_int_equal(run(cmd, &out), 2);
    assert_string_equal(out, "");
    free(out);
    free(eyni);
}

static void test_face_command_reports_invalid_image(void **state)
{
    char *eyni = eyni_test_program("eyni"), cmd[1024], *out;
    char *bad = eyni_test_path("icao9303-test/iso19794-5-face-records/"
                               "ISO19794_Test2_Data_InvalidImage.bin");
    snprintf(cmd, sizeof cmd, "%s mrtd face '%s' --json", eyni, bad);
    assert_int_equal(run(cmd, &out), 1);
    json_t *o = parse(out);
    assert_true(json_is_false(json_object_get(o, "image_ok")));
    json_decref(o);
    free(out);
    free(bad);
    free(eyni);
}

static void test_pki_to_chip_workflow(void **state)
{
    char *eyni = eyni_test_program("eyni"), *dir = eyni_test_tmpdir("cli"), *out;
    char *jpg = eyni_test_path("icao9303-test/iso19794-5-face-records/ISO19794_Test1_Face.jpg");
    char cmd[4096];
    setenv("EYNI_PKI_PASSPHRASE", "cli test passphrase", 1);
    const char *steps[] = {
        "pki key --out %1$s/csca.key --pub %1$s/csca.pub --alg ec-brainpoolP256r1",
        "pki csca --key %1$s/csca.key --out %1$s/csca.pem --country AZ --cn 'CSCA Test'",
        "pki key --out %1$s/ds.key --pub %1$s/ds.pub",
        "pki issue --profile ds --ca %1$s/csca.pem --ca-key %1$s/csca.key --pub %1$s/ds.pub "
        "--out %1$s/ds.pem --cn 'DS 1' --doc-types P,ID --days 365",
        "pki key --out %1$s/mls.key --pub %1$s/mls.pub",
        "pki issue --profile mls --ca %1$s/csca.pem --ca-key %1$s/csca.key --pub %1$s/mls.pub "
        "--out %1$s/mls.pem --cn 'MLS' --days 365",
        "pki masterlist --signer %1$s/mls.pem --signer-key %1$s/mls.key --out %1$s/ml.bin "
        "%1$s/csca.pem",
        "pki masterlist-check %1$s/ml.bin --root %1$s/csca.pem",
        "mrtd build %1$s/chip --mrz 'P<AZEMAMMADOV<<SUEKUER<<<<<<<<<<<<<<<<<<<<<<"
        "C012345672AZE8501019M3601017<<<<<<<<<<<<<<<8' --face %2$s --ds-cert %1$s/ds.pem "
        "--ds-key %1$s/ds.key",
        "mrtd verify %1$s/chip --masterlist %1$s/ml.bin --masterlist-root %1$s/csca.pem",
        "pki crl --ca %1$s/csca.pem --ca-key %1$s/csca.key --out %1$s/empty.crl",
        "mrtd verify %1$s/chip --csca %1$s/csca.pem --crl %1$s/empty.crl",
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        int n = snprintf(cmd, sizeof cmd, "%s ", eyni);
        snprintf(cmd + n, sizeof cmd - (size_t)n, steps[i], dir, jpg);
        strcat(cmd, " --json");
        int rc = run(cmd, &out);
        if (rc != 0)
            fail_msg("step %zu exited %d: %s\n%s", i, rc, cmd, out);
        json_t *o = parse(out);
        json_decref(o);
        free(out);
    }
    /* without trust anchors: hashes and signature fine, chain unknown, exit 1 */
    snprintf(cmd, sizeof cmd, "%s mrtd verify %s/chip --json", eyni, dir);
    assert_int_equal(run(cmd, &out), 1);
    json_t *o = parse(out);
    assert_true(json_is_true(json_object_get(o, "hashes_ok")));
    assert_true(json_is_true(json_object_get(o, "signature_ok")));
    assert_true(json_is_null(json_object_get(o, "chain_ok")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(o, "dg1_mrz"), "fields"),
                                          "primary_identifier")),
        "MAMMADOV");
    json_decref(o);
    free(out);
    /* a wrong passphrase is refused */
    setenv("EYNI_PKI_PASSPHRASE", "not the passphrase", 1);
    snprintf(cmd, sizeof cmd,
             "%s pki csca --key %s/csca.key --out %s/x.pem --country AZ --cn X 2>/dev/null", eyni,
             dir, dir);
    assert_int_not_equal(run(cmd, NULL), 0);
    unsetenv("EYNI_PKI_PASSPHRASE");
    free(jpg);
    free(dir);
    free(eyni);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mrz_check_exit_codes),
        cmocka_unit_test(test_face_command_reports_invalid_image),
        cmocka_unit_test(test_pki_to_chip_workflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

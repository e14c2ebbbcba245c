/* `eyni dna ...` end to end: the DESIGN.md rmp contract, exit codes and named refusals. */
#include <stdio.h>
#include <sys/wait.h>

#include "dna_test.h"

/* Runs a command line; returns the exit code and the first stdout line in out. */
static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    out[0] = '\0';
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(path);
    sprintf(path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void rmp_prints_the_contract_keys(void **state)
{
    char *eyni = eyni_test_program("eyni"), *freq = eyni_test_path(NIST_FREQ);
    char *dir = eyni_test_tmpdir("dna-cli");
    /* GT37019's first four CODIS loci. */
    char *prof = write_tmp(dir, "p.csv",
                           "locus,allele1,allele2\nCSF1PO,11,12\nD3S1358,16,16\n"
                           "TH01,6,7\nFGA,23,24\n");
    char cmd[4096], out[65536];
    snprintf(cmd, sizeof cmd, "%s dna rmp --freq %s --profile %s --population AA --json", eyni,
             freq, prof);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    json_error_t je;
    json_t *o = json_loads(out, 0, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "formula")), "4.10");
    assert_true(json_real_value(json_object_get(o, "theta")) == 0.01);
    /* Product of the first four 4.10 terms of GT37019 in hand_values.inc. */
    double want = 0.150305413172595 * 0.112534331333 * 0.112683299403068 * 0.0489412117297672;
    assert_rel(json_real_value(json_object_get(o, "rmp")), want, 1e-12);
    assert_non_null(json_object_get(json_object_get(o, "loci"), "TH01"));
    json_decref(o);
    snprintf(cmd, sizeof cmd, "%s dna rmp --freq %s --profile %s --formula 4.1 --json", eyni, freq,
             prof);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"formula\":\"4.1\""));
    /* One file per population, side by side: populations named after the files. */
    char *aa = write_tmp(dir, "AA.csv",
                         "locus,allele,frequency,alleles_typed_2N\n"
                         "TH01,6,0.131579,684\nTH01,7,0.407895,684\n");
    char *hi = write_tmp(dir, "Hisp.csv",
                         "locus,allele,frequency,alleles_typed_2N\n"
                         "TH01,6,0.211864,472\nTH01,7,0.305085,472\n");
    char *th = write_tmp(dir, "th.csv", "locus,allele1,allele2\nTH01,6,7\n");
    snprintf(cmd, sizeof cmd,
             "%s dna rmp --freq %s --freq %s --profile %s --population Hisp --formula 4.1 "
             "--json",
             eyni, aa, hi, th);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    o = json_loads(out, 0, &je);
    assert_non_null(o);
    /* 2pq = 2 * 0.211864 * 0.305085; AA beside it: 2 * 0.131579 * 0.407895. */
    assert_rel(json_real_value(json_object_get(o, "rmp")), 2 * 0.211864 * 0.305085, 1e-12);
    assert_rel(json_real_value(json_object_get(json_object_get(o, "populations"), "AA")),
               2 * 0.131579 * 0.407895, 1e-12);
    json_decref(o);
    snprintf(cmd, sizeof cmd, "%s dna rmp --freq %s --freq %s --profile %s 2>&1", eyni, aa, aa, th);
    assert_int_equal(run(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "given twice"));
    free(aa);
    free(hi);
    free(th);
    free(prof);
    free(dir);
    free(freq);
    free(eyni);
}

static void bad_input_exits_2_with_a_reason(void **state)
{
    char *eyni = eyni_test_program("eyni"), *freq = eyni_test_path(NIST_FREQ);
    char *dir = eyni_test_tmpdir("dna-cli-bad");
    static const struct {
        const char *text, *reason;
    } cases[] = {
        {"locus,allele1,allele2\nD99,11,12\n", "unknown locus"},
        {"locus,allele1,allele2\nTH01,6,7,8\n", "three alleles"},
        {"locus,allele1,allele2\nTH01,abc,7\n", "impossible allele"},
        {"", "empty file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *prof = write_tmp(dir, "bad.csv", cases[i].text), cmd[4096], out[4096];
        snprintf(cmd, sizeof cmd, "%s dna rmp --freq %s --profile %s --json 2>&1", eyni, freq,
                 prof);
        assert_int_equal(run(cmd, out, sizeof out), 2);
        if (!strstr(out, cases[i].reason))
            fail_msg("'%s' does not name '%s'", out, cases[i].reason);
        free(prof);
    }
    char cmd[4096], out[4096];
    snprintf(cmd, sizeof cmd, "%s dna rmp --freq %s --profile x --formula 4.2 2>&1", eyni, freq);
    assert_int_equal(run(cmd, out, sizeof out), 2);
    free(dir);
    free(freq);
    free(eyni);
}

static void simulate_then_search_finds_the_family(void **state)
{
    char *eyni = eyni_test_program("eyni"), *freq = eyni_test_path(NIST_FREQ);
    char *dir = eyni_test_tmpdir("dna-cli-sim");
    char cmd[4096], out[65536];
    snprintf(cmd, sizeof cmd,
             "%s dna simulate --freq %s --population Cauc --count 3000 --families 2 --seed 9 "
             "--out %s/db.csv --json",
             eyni, freq, dir);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"profiles\":3000"));
    /* The probe: sim0000007 itself, as a single-profile JSON file. */
    snprintf(cmd, sizeof cmd, "grep '^sim0000007,' %s/db.csv", dir);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    char *row = strdup(out);
    char *probe = malloc(8192);
    assert_non_null(probe);
    snprintf(probe, 8192, "id,kind,population");
    for (int l = 0; l < EYNI_DNA_NLOCI; l++)
        snprintf(probe + strlen(probe), 8192 - strlen(probe), ",%s,", eyni_dna_locus_name(l));
    snprintf(probe + strlen(probe), 8192 - strlen(probe), "\n%s", row);
    char *pf = write_tmp(dir, "probe.csv", probe);
    snprintf(cmd, sizeof cmd, "%s dna search --db %s/db.csv --probe %s --freq %s --json", eyni, dir,
             pf, freq);
    assert_int_equal(run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"id\":\"sim0000007\""));
    assert_non_null(strstr(out, "\"candidates\":1"));
    free(pf);
    free(probe);
    free(row);
    free(dir);
    free(freq);
    free(eyni);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rmp_prints_the_contract_keys),
        cmocka_unit_test(bad_input_exits_2_with_a_reason),
        cmocka_unit_test(simulate_then_search_finds_the_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

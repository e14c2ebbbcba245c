/* `eyni nist dump --json` and `eyni nist validate` keep the DESIGN.md §4 contract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "eyni/nist.h"
#include "testutil.h"

#define REF "ansi-nist-itl-samples/nist-ansi-nist-itl-2011-reference-files/"

/* Runs the eyni program with args; returns its exit code and stdout (caller frees). */
static int run(const char *args, char **out)
{
    char *prog = eyni_test_program("eyni");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", prog, args);
    free(prog);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (len + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = 0;
    int status = pclose(p);
    *out = buf;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static json_t *parse(const char *s)
{
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    if (!j)
        fail_msg("not one JSON object: %s (%s)", je.text, s);
    return j;
}

static void dump_json_lists_records_with_type_idc_and_fields(void **state)
{
    char *path = eyni_test_path(REF "type-9-10-14.an2"), args[4096], *out;
    snprintf(args, sizeof args, "nist dump '%s' --json", path);
    assert_int_equal(run(args, &out), 0);
    json_t *j = parse(out);
    json_t *recs = json_object_get(j, "records");
    assert_int_equal(json_array_size(recs), 5);
    static const int types[] = {1, 2, 9, 10, 14}, idcs[] = {-1, 0, 1, 2, 1};
    for (size_t i = 0; i < 5; i++) {
        json_t *r = json_array_get(recs, i);
        assert_int_equal(json_integer_value(json_object_get(r, "type")), types[i]);
        json_t *idc = json_object_get(r, "idc");
        if (idcs[i] < 0)
            assert_true(json_is_null(idc));
        else
            assert_int_equal(json_integer_value(idc), idcs[i]);
        assert_true(json_array_size(json_object_get(r, "fields")) >= 2);
    }
    /* 1.003 with its subfields split; the Type-10 image described, not dumped */
    json_t *cnt = json_array_get(json_object_get(json_array_get(recs, 0), "fields"), 2);
    assert_string_equal(json_string_value(json_object_get(cnt, "tag")), "1.003");
    assert_int_equal(json_array_size(json_object_get(cnt, "subfields")), 5);
    json_t *img = json_object_get(json_array_get(recs, 3), "image");
    assert_string_equal(json_string_value(json_object_get(img, "compression")), "JPEGB");
    assert_int_equal(json_integer_value(json_object_get(img, "width")), 1181);
    assert_int_equal(json_array_size(json_object_get(j, "problems")), 0);
    json_decref(j);
    free(out);
    free(path);
}

static void validate_exits_one_on_a_damaged_file_and_two_on_garbage(void **state)
{
    char *path = eyni_test_path(REF "type-17-iris.an2"), args[4096], *out;
    snprintf(args, sizeof args, "nist validate '%s' --json", path);
    assert_int_equal(run(args, &out), 0);
    json_t *j = parse(out);
    assert_true(json_is_true(json_object_get(j, "valid")));
    json_decref(j);
    free(out);

    /* plant a bad date and write the damaged copy */
    unsigned char *buf;
    size_t len;
    eyni_error err;
    assert_int_equal(eyni_file_read(path, EYNI_NIST_MAX_BYTES, &buf, &len, &err), 0);
    unsigned char *d = memmem(buf, len, "1.005:2009", 10);
    assert_non_null(d);
    memcpy(d + 6, "2009", 4);
    d[10] = '1';
    d[11] = '3'; /* month 13 */
    char *dir = eyni_test_tmpdir("nist-cli"), bad[4096];
    snprintf(bad, sizeof bad, "%s/bad.an2", dir);
    assert_int_equal(eyni_file_write_atomic(bad, buf, len, 0600, &err), 0);
    snprintf(args, sizeof args, "nist validate '%s' --json", bad);
    assert_int_equal(run(args, &out), 1);
    j = parse(out);
    assert_true(json_is_false(json_object_get(j, "valid")));
    json_t *p0 = json_array_get(json_object_get(j, "problems"), 0);
    assert_string_equal(json_string_value(json_object_get(p0, "kind")), "bad-date");
    json_decref(j);
    free(out);

    snprintf(bad, sizeof bad, "%s/garbage.an2", dir);
    assert_int_equal(eyni_file_write_atomic(bad, "garbage", 7, 0600, &err), 0);
    snprintf(args, sizeof args, "nist dump '%s' --json", bad);
    assert_int_equal(run(args, &out), 2);
    assert_string_equal(out, "");
    free(out);
    free(buf);
    free(dir);
    free(path);
}

static void wsq_encode_then_decode_from_the_command_line(void **state)
{
    char *path = eyni_test_path("fvc2002-b-real/DB3_B/images/110_8.tif"), args[4096], *out;
    char *dir = eyni_test_tmpdir("nist-wsq");
    snprintf(args, sizeof args, "nist wsq encode '%s' '%s/f.wsq' --bitrate 0.75 --json", path, dir);
    assert_int_equal(run(args, &out), 0);
    json_t *j = parse(out);
    double ratio = json_number_value(json_object_get(j, "ratio"));
    assert_true(ratio > 8 && ratio < 30);
    json_decref(j);
    free(out);
    snprintf(args, sizeof args, "nist wsq decode '%s/f.wsq' '%s/f.png' --json", dir, dir);
    assert_int_equal(run(args, &out), 0);
    j = parse(out);
    assert_int_equal(json_integer_value(json_object_get(j, "width")), 300);
    json_decref(j);
    free(out);
    free(dir);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dump_json_lists_records_with_type_idc_and_fields),
        cmocka_unit_test(validate_exits_one_on_a_damaged_file_and_two_on_garbage),
        cmocka_unit_test(wsq_encode_then_decode_from_the_command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

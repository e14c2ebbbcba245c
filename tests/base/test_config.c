#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/base.h"
#include "testutil.h"

static char *write_tmp(const char *text)
{
    char *dir = eyni_test_tmpdir("config");
    size_t n = strlen(dir) + 16;
    char *path = malloc(n);
    snprintf(path, n, "%s/eyni.conf", dir);
    free(dir);
    eyni_error err;
    assert_int_equal(eyni_file_write_atomic(path, text, strlen(text), 0600, &err), 0);
    return path;
}

static void flags_override_env_override_file(void **state)
{
    char *path = write_tmp("# comment\nserver.listen = 127.0.0.1:9000\nlog.level=debug\n"
                           "fin.length = 7 # trailing comment\n");
    eyni_config *cfg = eyni_config_new();
    eyni_error err;
    assert_int_equal(eyni_config_load_file(cfg, path, &err), 0);
    char *env[] = {"EYNI_SERVER_LISTEN=127.0.0.1:9100", "HOME=/root", "EYNI_=x", NULL};
    assert_int_equal(eyni_config_load_env(cfg, env, &err), 0);
    assert_string_equal(eyni_config_get(cfg, "server.listen", NULL), "127.0.0.1:9100");
    assert_int_equal(eyni_config_set(cfg, "server.listen", "127.0.0.1:9200", &err), 0);
    assert_string_equal(eyni_config_get(cfg, "server.listen", NULL), "127.0.0.1:9200");
    assert_string_equal(eyni_config_get(cfg, "log.level", NULL), "debug");
    long long v;
    assert_int_equal(eyni_config_get_int(cfg, "fin.length", 5, 5, 12, &v, &err), 0);
    assert_int_equal(v, 7);
    assert_null(eyni_config_get(cfg, "home", NULL));
    eyni_config_free(cfg);
    free(path);
}

static void bad_lines_name_file_and_line(void **state)
{
    char *path = write_tmp("a = 1\nthis line has no equals sign\n");
    eyni_config *cfg = eyni_config_new();
    eyni_error err;
    assert_int_equal(eyni_config_load_file(cfg, path, &err), EYNI_EFORMAT);
    assert_non_null(strstr(err.msg, ":2: expected"));
    eyni_config_free(cfg);
    free(path);
}

static void integers_are_range_checked(void **state)
{
    eyni_config *cfg = eyni_config_new();
    eyni_error err;
    long long v = 0;
    assert_int_equal(eyni_config_set(cfg, "fin.length", "99", &err), 0);
    assert_int_equal(eyni_config_get_int(cfg, "fin.length", 7, 5, 12, &v, &err), EYNI_EINVAL);
    assert_int_equal(eyni_config_set(cfg, "fin.length", "7x", &err), 0);
    assert_int_equal(eyni_config_get_int(cfg, "fin.length", 7, 5, 12, &v, &err), EYNI_EINVAL);
    assert_int_equal(eyni_config_get_int(cfg, "unset.key", 42, 0, 100, &v, &err), 0);
    assert_int_equal(v, 42);
    assert_int_equal(eyni_config_set(cfg, "Bad Key", "1", &err), EYNI_EINVAL);
    eyni_config_free(cfg);
}

static void written_file_reads_back(void **state)
{
    eyni_config *cfg = eyni_config_new();
    eyni_error err;
    assert_int_equal(eyni_config_set(cfg, "store.path", "/tmp/x.db", &err), 0);
    assert_int_equal(eyni_config_set(cfg, "server.listen", "127.0.0.1:8080", &err), 0);
    char *dir = eyni_test_tmpdir("config-w");
    char path[4200];
    snprintf(path, sizeof path, "%s/out.conf", dir);
    assert_int_equal(eyni_config_write_file(cfg, path, &err), 0);
    eyni_config *back = eyni_config_new();
    assert_int_equal(eyni_config_load_file(back, path, &err), 0);
    assert_string_equal(eyni_config_get(back, "store.path", NULL), "/tmp/x.db");
    assert_string_equal(eyni_config_get(back, "server.listen", NULL), "127.0.0.1:8080");
    eyni_config_free(back);
    eyni_config_free(cfg);
    free(dir);
}

static void missing_file_is_not_found(void **state)
{
    eyni_config *cfg = eyni_config_new();
    eyni_error err;
    assert_int_equal(eyni_config_load_file(cfg, "/nonexistent/eyni.conf", &err), EYNI_ENOTFOUND);
    eyni_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flags_override_env_override_file),
        cmocka_unit_test(bad_lines_name_file_and_line),
        cmocka_unit_test(integers_are_range_checked),
        cmocka_unit_test(written_file_reads_back),
        cmocka_unit_test(missing_file_is_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

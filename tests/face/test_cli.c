/* `eyni face ...` exit codes and JSON on real images (the contract outside checks use). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

/* Runs eyni with args; returns the exit code and the first line of stdout in out. */
static int run(const char *args, char *out, size_t cap)
{
    char *prog = eyni_test_program("eyni");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>/dev/null", prog, args);
    free(prog);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    out[0] = 0;
    if (!fgets(out, (int)cap, p))
        out[0] = 0;
    while (fgetc(p) != EOF) {
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *two(const char *a, const char *b)
{
    char *pa = eyni_test_path(a), *pb = eyni_test_path(b);
    size_t n = strlen(pa) + strlen(pb) + 64;
    char *s = malloc(n);
    snprintf(s, n, "face compare '%s' '%s' --json", pa, pb);
    free(pa);
    free(pb);
    return s;
}

static void compare_says_match_and_no_match(void **state)
{
    char out[65536];
    char *g = two("lfw-a-gray-dev/images/Akhmed_Zakayev/Akhmed_Zakayev_0001.jpg",
                  "lfw-a-gray-dev/images/Akhmed_Zakayev/Akhmed_Zakayev_0003.jpg");
    assert_int_equal(run(g, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"match\":true"));
    free(g);
    char *i = two("lfw-a-gray-dev/images/Akhmed_Zakayev/Akhmed_Zakayev_0001.jpg",
                  "lfw-a-gray-dev/images/Abel_Pacheco/Abel_Pacheco_0001.jpg");
    assert_int_equal(run(i, out, sizeof out), 1);
    assert_non_null(strstr(out, "\"match\":false"));
    free(i);
}

static void bad_inputs_exit_2(void **state)
{
    char out[4096];
    char *txt = two("lfw-a-gray-dev/pairs.txt", "lfw-a-gray-dev/pairs.txt");
    assert_int_equal(run(txt, out, sizeof out), 2);
    free(txt);
    assert_int_equal(run("face compare /nonexistent.jpg /nonexistent.jpg --json", out, sizeof out),
                     2);
    assert_int_equal(run("face detect", out, sizeof out), 2);
    assert_int_equal(run("face frobnicate x --json", out, sizeof out), 2);
}

static void detect_and_quality_print_one_json_object(void **state)
{
    char out[65536], args[4096];
    char *p = eyni_test_path("orl-att-faces/s1/1.pgm");
    snprintf(args, sizeof args, "face detect '%s' --json", p);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"count\":1"));
    assert_non_null(strstr(out, "\"liveness\""));
    snprintf(args, sizeof args, "face quality '%s' --json", p);
    /* a 92x112 ORL face is too small for a passport: a negative result, not an error */
    assert_int_equal(run(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "face_too_small"));
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compare_says_match_and_no_match),
        cmocka_unit_test(bad_inputs_exit_2),
        cmocka_unit_test(detect_and_quality_print_one_json_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

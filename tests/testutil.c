#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eyni/base.h"
#include "testutil.h"

const char *eyni_test_data(void)
{
    const char *d = getenv("EYNI_TESTDATA");
    return d && *d ? d : EYNI_TESTDATA_DEFAULT;
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

char *eyni_test_path(const char *rel)
{
    char *p = join(eyni_test_data(), rel);
    struct stat st;
    if (stat(p, &st) != 0) {
        fail_msg("test data missing: %s (set EYNI_TESTDATA to the shared data folder)", p);
    }
    return p;
}

static const char *build_dir(void)
{
    const char *d = getenv("EYNI_BUILD_DIR");
    return d && *d ? d : EYNI_BUILD_DIR_DEFAULT;
}

char *eyni_test_tmpdir(const char *tag)
{
    char *base = join(build_dir(), "test-tmp");
    eyni_error err;
    assert_int_equal(eyni_dir_make(base, &err), 0);
    size_t n = strlen(base) + strlen(tag) + 16;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s-XXXXXX", base, tag);
    free(base);
    assert_non_null(mkdtemp(p));
    return p;
}

char *eyni_test_program(const char *name)
{
    char *p = join(build_dir(), name);
    if (access(p, X_OK) != 0)
        fail_msg("program not built: %s", p);
    return p;
}

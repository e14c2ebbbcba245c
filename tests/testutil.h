/* Test helpers: the shared data folder, temporary folders, and cmocka includes. */
#ifndef EYNI_TESTUTIL_H
#define EYNI_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* The shared data folder: $EYNI_TESTDATA, else ../shared/data beside the checkout. */
const char *eyni_test_data(void);
/* Path of a file under the data folder; fails the test loudly when it is missing.
 * Returns a static-per-call buffer owned by the caller (free it). */
char *eyni_test_path(const char *rel);
/* A fresh empty directory under the build folder; caller frees the string. */
char *eyni_test_tmpdir(const char *tag);
/* Path of a built program (eyni, eynid) in the build folder; caller frees. */
char *eyni_test_program(const char *name);

#endif

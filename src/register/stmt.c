/* Small helpers for running statements with text parameters. */
#include "register_int.h"

int reg_bind_texts(eyni_stmt *st, int first, const char *const *vals, int n, eyni_error *err)
{
    for (int i = 0; i < n; i++) {
        int rc = eyni_stmt_bind_text(st, first + i, vals[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

int reg_exec1(eyni_db *db, const char *sql, const char *const *vals, int n, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    rc = reg_bind_texts(st, 1, vals, n, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

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

int reg_exec_row(eyni_db *db, const char *sql, const char *const *vals, int n, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    rc = reg_bind_texts(st, 1, vals, n, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    return rc;
}

int reg_exec1(eyni_db *db, const char *sql, const char *const *vals, int n, eyni_error *err)
{
    int rc = reg_exec_row(db, sql, vals, n, err);
    return rc < 0 ? rc : 0;
}

json_t *reg_row_int(eyni_stmt *st, void *ctx)
{
    return json_integer((json_int_t)eyni_stmt_int64(st, 0));
}

int reg_collect(eyni_stmt *st, reg_row_fn row, void *ctx, json_t *list, eyni_error *err)
{
    int rc;
    while ((rc = eyni_stmt_step(st, err)) == 1) {
        json_t *v = row(st, ctx);
        if (v)
            json_array_append_new(list, v);
    }
    return rc;
}

int reg_read_rows(eyni_register *reg, const char *sql, const char *const *vals, int n,
                  reg_row_fn row, void *ctx, json_t **out, eyni_error *err)
{
    eyni_db *db;
    eyni_stmt *st = NULL;
    int rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    json_t *list = json_array();
    rc = eyni_db_prepare(db, sql, &st, err);
    if (rc == 0)
        rc = reg_bind_texts(st, 1, vals, n, err);
    if (rc == 0)
        rc = reg_collect(st, row, ctx, list, err);
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return 0;
}

int reg_step_id(eyni_stmt *st, long long *id, eyni_error *err)
{
    int rc = eyni_stmt_step(st, err);
    if (rc == 1) {
        *id = eyni_stmt_int64(st, 0);
        return 0;
    }
    return rc == 0 ? eyni_error_set(err, EYNI_ESTORE, "insert returned no id") : rc;
}

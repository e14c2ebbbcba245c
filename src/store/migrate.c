/* Versioned schema migrations: each step runs in its own transaction and is recorded in
 * eyni_schema, so a crash mid-way leaves the database at the last complete version. */
#include <string.h>

#include "store_int.h"

static const char schema_table[] =
    "CREATE TABLE IF NOT EXISTS eyni_schema ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

static int read_version(eyni_db *db, int *version, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, "SELECT COALESCE(MAX(version), 0) FROM eyni_schema", &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_step(st, err);
    if (rc == 1) {
        *version = (int)eyni_stmt_int64(st, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = eyni_error_set(err, EYNI_ESTORE, "store: schema version unreadable");
    }
    eyni_stmt_free(st);
    return rc;
}

int eyni_store_version(eyni_store *s, int *version, eyni_error *err)
{
    eyni_db *db;
    int rc = eyni_store_acquire(s, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_exec(db, schema_table, err);
    if (rc == 0)
        rc = read_version(db, version, err);
    eyni_store_release(s, db);
    return rc;
}

static int apply_one(eyni_db *db, const eyni_migration *m, eyni_error *err)
{
    const char *sql = db->ops->dialect_sql(m);
    if (!sql)
        return eyni_error_set(err, EYNI_EINTERNAL, "migration %d (%s): nothing for this engine",
                              m->version, m->name);
    int rc = eyni_db_begin(db, 1, err);
    if (rc)
        return rc;
    int current = 0;
    rc = read_version(db, &current, err);
    if (rc == 0 && current >= m->version) { /* another process got here first */
        eyni_db_rollback(db);
        return 0;
    }
    if (rc == 0)
        rc = eyni_db_exec(db, sql, err);
    eyni_stmt *st = NULL;
    if (rc == 0)
        rc = eyni_db_prepare(
            db, "INSERT INTO eyni_schema (version, name, applied_at) VALUES (?, ?, ?)", &st, err);
    char now[32];
    eyni_time_now_iso(now);
    if (rc == 0 && (rc = eyni_stmt_bind_int64(st, 1, m->version, err)) == 0 &&
        (rc = eyni_stmt_bind_text(st, 2, m->name, err)) == 0 &&
        (rc = eyni_stmt_bind_text(st, 3, now, err)) == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    if (rc < 0) {
        eyni_db_rollback(db);
        return eyni_error_prefix(err, "migration %d (%s): ", m->version, m->name);
    }
    return eyni_db_commit(db, err);
}

int eyni_store_migrate(eyni_store *s, const eyni_migration *list, int n, eyni_error *err)
{
    /* numbers rise but may leave gaps: branches reserve their numbers ahead of merging */
    for (int i = 0; i < n; i++)
        if (list[i].version <= (i ? list[i - 1].version : 0))
            return eyni_error_set(err, EYNI_EINTERNAL, "migration list out of order at %d", i);
    eyni_db *db;
    int rc = eyni_store_acquire(s, &db, err);
    if (rc)
        return rc;
    int current = 0, newest = n ? list[n - 1].version : 0;
    rc = eyni_db_exec(db, schema_table, err);
    if (rc == 0)
        rc = read_version(db, &current, err);
    if (rc == 0 && current > newest)
        rc = eyni_error_set(err, EYNI_ECONFLICT,
                            "database schema version %d is newer than this program knows (%d)",
                            current, newest);
    for (int i = 0; rc == 0 && i < n; i++)
        if (list[i].version > current)
            rc = apply_one(db, &list[i], err);
    eyni_store_release(s, db);
    return rc;
}

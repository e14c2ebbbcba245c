/* SQLite engine of the store: one sqlite3 handle per pooled connection, WAL journal,
 * synchronous=FULL, foreign keys on, immediate write transactions. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "store_int.h"

typedef struct sqlite_db {
    eyni_db base; /* must be first */
    sqlite3 *h;
    int section_fd; /* lock file held while in a section; -1 outside */
} sqlite_db;

typedef struct sqlite_stmt {
    eyni_stmt base; /* must be first */
    sqlite3_stmt *st;
    sqlite3 *h;
} sqlite_stmt;

static int fail(sqlite3 *h, int rc, const char *what, eyni_error *err)
{
    int ext = h ? sqlite3_extended_errcode(h) : rc;
    const char *msg = h ? sqlite3_errmsg(h) : sqlite3_errstr(rc);
    int code = EYNI_ESTORE;
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        code = EYNI_EEXIST;
    else if ((ext & 0xff) == SQLITE_CONSTRAINT)
        code = EYNI_ECONFLICT;
    return eyni_error_set(err, code, "sqlite %s: %s", what, msg);
}

static int db_exec(eyni_db *db, const char *sql, eyni_error *err)
{
    sqlite3 *h = ((sqlite_db *)db)->h;
    int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail(h, rc, "exec", err);
}

static int db_begin(eyni_db *db, int write, eyni_error *err)
{
    return db_exec(db, write ? "BEGIN IMMEDIATE" : "BEGIN", err);
}

static int db_commit(eyni_db *db, eyni_error *err)
{
    return db_exec(db, "COMMIT", err);
}

static void db_rollback(eyni_db *db)
{
    sqlite3_exec(((sqlite_db *)db)->h, "ROLLBACK", NULL, NULL, NULL);
}

static const stmt_ops sqlite_stmt_ops;

static int db_prepare(eyni_db *db, const char *sql, eyni_stmt **out, eyni_error *err)
{
    sqlite3 *h = ((sqlite_db *)db)->h;
    sqlite_stmt *s = calloc(1, sizeof *s);
    if (!s)
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    int rc = sqlite3_prepare_v2(h, sql, -1, &s->st, NULL);
    if (rc != SQLITE_OK) {
        free(s);
        return fail(h, rc, "prepare", err);
    }
    s->base.ops = &sqlite_stmt_ops;
    s->h = h;
    *out = &s->base;
    return 0;
}

static int check_pragma(sqlite3 *h, const char *sql, int expect_ok, eyni_error *err)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return fail(h, rc, "check", err);
    rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (!expect_ok || !v || strcmp(v, "ok") != 0)
            result = eyni_error_set(err, EYNI_EINTERNAL, "database check %s: %s", sql,
                                    v ? v : "row reported");
    } else if (rc != SQLITE_DONE) {
        result = fail(h, rc, "check", err);
    } else if (expect_ok) {
        result = eyni_error_set(err, EYNI_EINTERNAL, "database check %s: no answer", sql);
    }
    sqlite3_finalize(st);
    return result;
}

static int db_check(eyni_db *db, eyni_error *err)
{
    sqlite3 *h = ((sqlite_db *)db)->h;
    int rc = check_pragma(h, "PRAGMA integrity_check", 1, err);
    return rc ? rc : check_pragma(h, "PRAGMA foreign_key_check", 0, err);
}

static const char *dialect(const eyni_migration *m)
{
    return m->sqlite;
}

static const db_ops sqlite_db_ops = {db_begin,   db_commit, db_rollback, db_exec,
                                     db_prepare, db_check,  dialect};

/* ---- statements ------------------------------------------------------------------- */

#define ST(x) (((sqlite_stmt *)(x))->st)

static void st_free(eyni_stmt *st)
{
    sqlite3_finalize(ST(st));
    free(st);
}

static int bound(eyni_stmt *st, int rc, eyni_error *err)
{
    return rc == SQLITE_OK ? 0 : fail(((sqlite_stmt *)st)->h, rc, "bind", err);
}

static int st_bind_text(eyni_stmt *st, int i, const char *s, eyni_error *err)
{
    return bound(st, sqlite3_bind_text(ST(st), i, s, -1, SQLITE_TRANSIENT), err);
}

static int st_bind_int64(eyni_stmt *st, int i, int64_t v, eyni_error *err)
{
    return bound(st, sqlite3_bind_int64(ST(st), i, v), err);
}

static int st_bind_double(eyni_stmt *st, int i, double v, eyni_error *err)
{
    return bound(st, sqlite3_bind_double(ST(st), i, v), err);
}

static int st_bind_blob(eyni_stmt *st, int i, const void *p, size_t n, eyni_error *err)
{
    return bound(st, sqlite3_bind_blob64(ST(st), i, p ? p : "", n, SQLITE_TRANSIENT), err);
}

static int st_bind_null(eyni_stmt *st, int i, eyni_error *err)
{
    return bound(st, sqlite3_bind_null(ST(st), i), err);
}

static int st_step(eyni_stmt *st, eyni_error *err)
{
    int rc = sqlite3_step(ST(st));
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return fail(((sqlite_stmt *)st)->h, rc, "step", err);
}

static void st_reset(eyni_stmt *st)
{
    sqlite3_reset(ST(st));
    sqlite3_clear_bindings(ST(st));
}

static int st_is_null(eyni_stmt *st, int c)
{
    return sqlite3_column_type(ST(st), c) == SQLITE_NULL;
}

static const char *st_text(eyni_stmt *st, int c)
{
    return (const char *)sqlite3_column_text(ST(st), c);
}

static int64_t st_int64(eyni_stmt *st, int c)
{
    return sqlite3_column_int64(ST(st), c);
}

static double st_double(eyni_stmt *st, int c)
{
    return sqlite3_column_double(ST(st), c);
}

static const void *st_blob(eyni_stmt *st, int c, size_t *len)
{
    const void *p = sqlite3_column_blob(ST(st), c);
    *len = (size_t)sqlite3_column_bytes(ST(st), c);
    return p;
}

static const stmt_ops sqlite_stmt_ops = {
    st_free,  st_bind_text, st_bind_int64, st_bind_double, st_bind_blob, st_bind_null, st_step,
    st_reset, st_is_null,   st_text,       st_int64,       st_double,    st_blob};

/* ---- engine ----------------------------------------------------------------------- */

static int connect_one(eyni_store *store, eyni_db **out, eyni_error *err)
{
    const char *path = store->engine_data;
    sqlite_db *d = calloc(1, sizeof *d);
    if (!d)
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    int rc = sqlite3_open_v2(
        path, &d->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        eyni_error_set(err, EYNI_ESTORE, "%s: cannot open database: %s", path,
                       d->h ? sqlite3_errmsg(d->h) : sqlite3_errstr(rc));
        sqlite3_close(d->h);
        free(d);
        return EYNI_ESTORE;
    }
    sqlite3_busy_timeout(d->h, store->busy_timeout_ms);
    d->section_fd = -1;
    d->base.ops = &sqlite_db_ops;
    *out = &d->base;
    /* WAL lets readers run beside one writer; FULL makes every commit durable;
     * secure_delete zeroes what an erasure overwrites (docs/identity.md). */
    rc = db_exec(&d->base,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                 " PRAGMA secure_delete=ON;",
                 err);
    if (rc) {
        eyni_error_prefix(err, "%s: ", path);
        sqlite3_close(d->h);
        free(d);
        *out = NULL;
    }
    return rc;
}

static void disconnect_one(eyni_db *db)
{
    sqlite_db *d = (sqlite_db *)db;
    if (d->section_fd >= 0)
        close(d->section_fd);
    sqlite3_close(d->h);
    free(d);
}

static void close_engine(eyni_store *store)
{
    free(store->engine_data);
}

/* ---- sections ---------------------------------------------------------------------- */

/*
 * Several processes may open one database file (eynid and the eyni commands, or two eynid),
 * so a section is an exclusive flock() on a lock file beside the database, one per key:
 * "<db>-section-<key in hex>". Not a write transaction: a section can last a whole
 * biometric search, and holding SQLite's write lock that long would make every other writer
 * (audit lines of other requests) wait and fail at the busy timeout. flock() locks belong to
 * the open file, so two stores in one process exclude each other too, and the kernel drops
 * the lock when its holder dies (kill -9). Waiting is not bounded, as on PostgreSQL.
 * The database file itself is never opened here: closing any descriptor of it would drop
 * SQLite's own POSIX locks in this process.
 */
static int section(eyni_db *db, int64_t key, int enter, eyni_error *err)
{
    sqlite_db *d = (sqlite_db *)db;
    if (!enter) {
        if (d->section_fd >= 0)
            close(d->section_fd); /* releases the lock */
        d->section_fd = -1;
        return 0;
    }
    const char *path = db->store->engine_data;
    if (strcmp(path, ":memory:") == 0)
        return 0; /* a private database: nobody else can enter */
    size_t cap = strlen(path) + 32;
    char *lock = malloc(cap);
    if (!lock)
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    snprintf(lock, cap, "%s-section-%llx", path, (unsigned long long)key);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int rc = fd < 0 ? eyni_error_set(err, EYNI_EIO, "%s: cannot open lock file: %s", lock,
                                     strerror(errno))
                    : 0;
    while (rc == 0 && flock(fd, LOCK_EX) != 0)
        if (errno != EINTR)
            rc = eyni_error_set(err, EYNI_EIO, "%s: cannot lock: %s", lock, strerror(errno));
    if (rc && fd >= 0)
        close(fd);
    free(lock);
    if (rc == 0)
        d->section_fd = fd;
    return rc;
}

const store_engine store_sqlite_engine = {"sqlite", connect_one, disconnect_one, close_engine,
                                          NULL,     NULL,        NULL,           section};

int store_sqlite_open(eyni_store *store, const char *path, eyni_error *err)
{
    if (!*path)
        return eyni_error_set(err, EYNI_EINVAL, "store: empty SQLite path");
    store->engine = &store_sqlite_engine;
    store->engine_data = strdup(path);
    if (!store->engine_data)
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    return 0;
}

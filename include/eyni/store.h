/*
 * eyni/store.h - the narrow storage interface.
 *
 * A store is a pool of connections to one database. A caller acquires a connection for a
 * unit of work, runs parameterised SQL on it (placeholders are '?'; the engine translates
 * them), and releases it. Multi-row changes run between eyni_db_begin and eyni_db_commit.
 * SQL written by callers sticks to the portable subset shared by SQLite and PostgreSQL
 * (RETURNING instead of last-insert-id, no engine-specific functions), so a PostgreSQL
 * engine can implement this interface without touching callers.
 */
#ifndef EYNI_STORE_H
#define EYNI_STORE_H

#include <stdint.h>

#include "eyni/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EYNI_STORE_MAX_POOL 64

typedef struct eyni_store eyni_store;
typedef struct eyni_db eyni_db;
typedef struct eyni_stmt eyni_stmt;

/* One schema step. Engines run the text for their dialect inside one transaction. */
typedef struct eyni_migration {
    int version;        /* strictly increasing from 1 */
    const char *name;   /* short description kept in the schema table */
    const char *sqlite; /* statements for SQLite */
    const char *postgresql;
} eyni_migration;

typedef struct eyni_store_opts {
    int pool_size;      /* connections; 0 = 8 */
    int busy_timeout_ms; /* how long a writer waits for another; 0 = 10000 */
} eyni_store_opts;

/* Opens "sqlite:PATH" or a plain PATH (SQLite, created if missing, WAL, foreign keys,
 * synchronous=FULL so that an acknowledged commit survives a crash). */
int eyni_store_open(const char *uri, const eyni_store_opts *opts, eyni_store **out,
                    eyni_error *err);
void eyni_store_close(eyni_store *store);
/* "sqlite" or "postgresql". */
const char *eyni_store_engine(const eyni_store *store);
/* Applies every migration newer than the database's schema version, each in its own
 * transaction; refuses a database whose version is newer than the list knows. */
int eyni_store_migrate(eyni_store *store, const eyni_migration *list, int n, eyni_error *err);
/* Schema version of the database (0 when new). */
int eyni_store_version(eyni_store *store, int *version, eyni_error *err);

/* Takes a connection from the pool, waiting while all are in use. */
int eyni_store_acquire(eyni_store *store, eyni_db **out, eyni_error *err);
/* Returns a connection; an open transaction is rolled back first. */
void eyni_store_release(eyni_store *store, eyni_db *db);

/* A read transaction, or a write transaction that takes the write lock at once (so two
 * writers never deadlock on an upgrade). */
int eyni_db_begin(eyni_db *db, int write, eyni_error *err);
int eyni_db_commit(eyni_db *db, eyni_error *err);
void eyni_db_rollback(eyni_db *db);
/* Runs statements without parameters or results. */
int eyni_db_exec(eyni_db *db, const char *sql, eyni_error *err);

int eyni_db_prepare(eyni_db *db, const char *sql, eyni_stmt **out, eyni_error *err);
void eyni_stmt_free(eyni_stmt *st);
/* Parameters are numbered from 1. Text and blobs are copied. */
int eyni_stmt_bind_text(eyni_stmt *st, int idx, const char *s, eyni_error *err);
int eyni_stmt_bind_int64(eyni_stmt *st, int idx, int64_t v, eyni_error *err);
int eyni_stmt_bind_double(eyni_stmt *st, int idx, double v, eyni_error *err);
int eyni_stmt_bind_blob(eyni_stmt *st, int idx, const void *p, size_t n, eyni_error *err);
int eyni_stmt_bind_null(eyni_stmt *st, int idx, eyni_error *err);
/* 1 when a row is ready, 0 when done, or a negative code: EEXIST for a uniqueness
 * violation, ECONFLICT for another constraint, ESTORE otherwise. */
int eyni_stmt_step(eyni_stmt *st, eyni_error *err);
/* Makes the statement ready to run again with new bindings. */
void eyni_stmt_reset(eyni_stmt *st);
/* Columns are numbered from 0 and valid until the next step, reset or free. */
int eyni_stmt_is_null(eyni_stmt *st, int col);
const char *eyni_stmt_text(eyni_stmt *st, int col); /* NULL for SQL NULL */
int64_t eyni_stmt_int64(eyni_stmt *st, int col);
double eyni_stmt_double(eyni_stmt *st, int col);
const void *eyni_stmt_blob(eyni_stmt *st, int col, size_t *len);

/* ---- several processes on one database ------------------------------------------------ */

typedef struct eyni_store_listener eyni_store_listener;

/* Listens for notifications on channel (PostgreSQL LISTEN on a connection of its own,
 * outside the pool). SQLite has no notifications: its listener only waits for timeouts,
 * so followers fall back to polling. */
int eyni_store_listen(eyni_store *store, const char *channel, eyni_store_listener **out,
                      eyni_error *err);
/* Waits up to timeout_ms: 1 when notified (all pending notifications are consumed), 0 on
 * timeout, ESTORE when the connection broke (the next call reconnects and listens again,
 * so the caller should catch up from its log after an error). */
int eyni_store_listener_wait(eyni_store_listener *l, int timeout_ms, eyni_error *err);
void eyni_store_listener_close(eyni_store_listener *l);

/* A section that one process at a time may be in, across every process on the database
 * (PostgreSQL: a session advisory lock on a connection held until leave; SQLite: an
 * exclusive flock() on the file "<db>-section-<key>" beside the database). A process that
 * dies releases it. The section holds one pooled connection until leave, so callers that
 * use the store inside it need a pool of at least two. */
int eyni_store_section_enter(eyni_store *store, int64_t key, eyni_db **held, eyni_error *err);
void eyni_store_section_leave(eyni_store *store, eyni_db *held);

/* Runs a check of the database's own consistency (SQLite integrity_check and
 * foreign_key_check); EINTERNAL naming the first problem found. */
int eyni_store_check(eyni_store *store, eyni_error *err);

#ifdef __cplusplus
}
#endif
#endif

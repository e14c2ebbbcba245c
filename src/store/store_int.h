/* Module-private: the engine table behind the store interface. */
#ifndef EYNI_STORE_INT_H
#define EYNI_STORE_INT_H

#include <pthread.h>

#include "eyni/store.h"

/* What an engine implements; the generic pool and migration code call only these. */
typedef struct store_engine {
    const char *name;
    int (*connect)(eyni_store *store, eyni_db **out, eyni_error *err);
    void (*disconnect)(eyni_db *db);
    void (*close)(eyni_store *store);
    /* Dedicated listening connection; NULL for engines without notifications. */
    int (*listen)(eyni_store *store, const char *channel, void **conn, eyni_error *err);
    int (*wait)(eyni_store *store, void *conn, const char *channel, int timeout_ms,
                eyni_error *err);
    void (*unlisten)(void *conn);
    /* Session-wide exclusive section on a pooled connection; NULL: nothing to do. */
    int (*section)(eyni_db *db, int64_t key, int enter, eyni_error *err);
} store_engine;

struct eyni_store {
    const store_engine *engine;
    void *engine_data; /* engine-owned (SQLite: the database path) */
    eyni_db *pool[EYNI_STORE_MAX_POOL];
    int pool_size;
    int free_count;
    int busy_timeout_ms;
    pthread_mutex_t lock;
    pthread_cond_t available;
};

/* Every connection starts with this header; engines embed it first. */
typedef struct db_ops {
    int (*begin)(eyni_db *db, int write, eyni_error *err);
    int (*commit)(eyni_db *db, eyni_error *err);
    void (*rollback)(eyni_db *db);
    int (*exec)(eyni_db *db, const char *sql, eyni_error *err);
    int (*prepare)(eyni_db *db, const char *sql, eyni_stmt **out, eyni_error *err);
    int (*check)(eyni_db *db, eyni_error *err);
    const char *(*dialect_sql)(const eyni_migration *m);
} db_ops;

struct eyni_db {
    const db_ops *ops;
    eyni_store *store;
    int in_tx;
};

typedef struct stmt_ops {
    void (*free)(eyni_stmt *st);
    int (*bind_text)(eyni_stmt *st, int idx, const char *s, eyni_error *err);
    int (*bind_int64)(eyni_stmt *st, int idx, int64_t v, eyni_error *err);
    int (*bind_double)(eyni_stmt *st, int idx, double v, eyni_error *err);
    int (*bind_blob)(eyni_stmt *st, int idx, const void *p, size_t n, eyni_error *err);
    int (*bind_null)(eyni_stmt *st, int idx, eyni_error *err);
    int (*step)(eyni_stmt *st, eyni_error *err);
    void (*reset)(eyni_stmt *st);
    int (*is_null)(eyni_stmt *st, int col);
    const char *(*text)(eyni_stmt *st, int col);
    int64_t (*int64)(eyni_stmt *st, int col);
    double (*dbl)(eyni_stmt *st, int col);
    const void *(*blob)(eyni_stmt *st, int col, size_t *len);
} stmt_ops;

struct eyni_stmt {
    const stmt_ops *ops;
};

extern const store_engine store_sqlite_engine;
int store_sqlite_open(eyni_store *store, const char *path, eyni_error *err);
extern const store_engine store_postgresql_engine;
int store_postgresql_open(eyni_store *store, const char *uri, eyni_error *err);

#endif

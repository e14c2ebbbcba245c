/* Which engine a store or register test runs on: SQLite in a temporary folder, or (when
 * EYNI_TEST_STORE=postgresql) a fresh database on the server named by EYNI_TEST_PG, which
 * the pg_server CTest fixture starts. The same test program then checks both engines. */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eyni/base.h"
#include "eyni/store.h"
#include "testutil.h"

static inline int fixture_on_pg(void)
{
    const char *e = getenv("EYNI_TEST_STORE");
    return e && strcmp(e, "postgresql") == 0;
}

/* Replaces the database part of a server URI ("postgresql://u@/postgres?host=...") */
static inline void fixture_pg_uri(const char *server, const char *dbname, char *out, size_t n)
{
    const char *q = strchr(server, '?');
    const char *slash = strstr(server, "://");
    slash = slash ? strchr(slash + 3, '/') : NULL;
    if (!slash || (q && slash > q))
        fail_msg("EYNI_TEST_PG needs a database part: %s", server);
    snprintf(out, n, "%.*s/%s%s", (int)(slash - server), server, dbname, q ? q : "");
}

/* A URI for an empty store of its own; tag names the test (and the PostgreSQL database,
 * with the process id so parallel tests never share one). */
static inline char *fixture_store_uri(const char *tag)
{
    char *uri = malloc(4300);
    assert_non_null(uri);
    if (!fixture_on_pg()) {
        char *dir = eyni_test_tmpdir(tag);
        snprintf(uri, 4300, "sqlite:%s/eyni.db", dir);
        free(dir);
        return uri;
    }
    const char *server = getenv("EYNI_TEST_PG");
    if (!server || !*server)
        fail_msg("EYNI_TEST_STORE=postgresql needs EYNI_TEST_PG");
    static unsigned serial; /* tests are single-threaded when they call this */
    char name[64];
    int k = snprintf(name, sizeof name, "t_%ld_%u_", (long)getpid(), serial++);
    for (const char *p = tag; *p && k < (int)sizeof name - 1; p++)
        name[k++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
    name[k] = '\0';
    eyni_store_opts o = {1, 0};
    eyni_store *s = NULL;
    eyni_db *db = NULL;
    eyni_error err;
    char sql[160];
    if (eyni_store_open(server, &o, &s, &err) || eyni_store_acquire(s, &db, &err))
        fail_msg("%s", err.msg);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
    if (eyni_db_exec(db, sql, &err))
        fail_msg("%s", err.msg);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    if (eyni_db_exec(db, sql, &err))
        fail_msg("%s", err.msg);
    eyni_store_release(s, db);
    eyni_store_close(s);
    fixture_pg_uri(server, name, uri, 4300);
    return uri;
}

/* The first column of the one row sql returns, with arg bound to its ? when not NULL:
 * a test's way to count rows. */
static inline long long fixture_count(eyni_store *s, const char *sql, const char *arg)
{
    eyni_db *db = NULL;
    eyni_stmt *st = NULL;
    eyni_error err;
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    if (eyni_db_prepare(db, sql, &st, &err))
        fail_msg("%s: %s", sql, err.msg);
    if (arg)
        assert_int_equal(eyni_stmt_bind_text(st, 1, arg, &err), 0);
    assert_int_equal(eyni_stmt_step(st, &err), 1);
    long long n = eyni_stmt_int64(st, 0);
    eyni_stmt_free(st);
    eyni_store_release(s, db);
    return n;
}

/* Makes the folder keys and writes a fresh random data key keys/data-1.key into it, as an
 * operator would before the register's first start (samples are sealed with it). */
static inline void fixture_data_key(const char *keys)
{
    char key[4400];
    unsigned char k[32];
    eyni_error err;
    snprintf(key, sizeof key, "%s/data-1.key", keys);
    assert_int_equal(eyni_dir_make(keys, &err), 0);
    assert_int_equal(eyni_random_bytes(k, sizeof k, &err), 0);
    assert_int_equal(eyni_file_write_atomic(key, k, sizeof k, 0600, &err), 0);
}

#endif

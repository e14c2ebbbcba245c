#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/store.h"
#include "testutil.h"

static const eyni_migration migrations[] = {
    {1, "items", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB);",
     NULL},
    {2, "tags",
     "CREATE TABLE tags (item_id INTEGER NOT NULL REFERENCES items(id), tag TEXT NOT NULL);",
     NULL},
};

static eyni_store *open_fresh(const char *tag, int pool)
{
    char *dir = eyni_test_tmpdir(tag);
    char path[4200];
    snprintf(path, sizeof path, "%s/t.db", dir);
    free(dir);
    eyni_store_opts o = {pool, 0};
    eyni_store *s = NULL;
    eyni_error err;
    if (eyni_store_open(path, &o, &s, &err))
        fail_msg("%s", err.msg);
    if (eyni_store_migrate(s, migrations, 2, &err))
        fail_msg("%s", err.msg);
    return s;
}

static int insert(eyni_db *db, const char *name, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, "INSERT INTO items (name, data) VALUES (?, ?) RETURNING id", &st,
                             err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_text(st, 1, name, err);
    if (!rc)
        rc = eyni_stmt_bind_blob(st, 2, "\0\1\2", 3, err);
    if (!rc)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

static long long count(eyni_store *s, const char *sql)
{
    eyni_db *db;
    eyni_error err;
    eyni_stmt *st;
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    assert_int_equal(eyni_db_prepare(db, sql, &st, &err), 0);
    assert_int_equal(eyni_stmt_step(st, &err), 1);
    long long n = eyni_stmt_int64(st, 0);
    eyni_stmt_free(st);
    eyni_store_release(s, db);
    return n;
}

static void migrations_apply_once_and_record_version(void **state)
{
    eyni_store *s = open_fresh("store-mig", 2);
    eyni_error err;
    int v = 0;
    assert_int_equal(eyni_store_version(s, &v, &err), 0);
    assert_int_equal(v, 2);
    assert_int_equal(eyni_store_migrate(s, migrations, 2, &err), 0);
    /* A program that knows fewer migrations refuses a newer database. */
    assert_int_equal(eyni_store_migrate(s, migrations, 1, &err), EYNI_ECONFLICT);
    assert_string_equal(eyni_store_engine(s), "sqlite");
    eyni_store_close(s);
}

static void rollback_discards_and_commit_keeps(void **state)
{
    eyni_store *s = open_fresh("store-tx", 2);
    eyni_db *db;
    eyni_error err;
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    assert_int_equal(eyni_db_begin(db, 1, &err), 0);
    assert_int_equal(insert(db, "a", &err), 0);
    eyni_db_rollback(db);
    assert_int_equal(eyni_db_begin(db, 1, &err), 0);
    assert_int_equal(insert(db, "b", &err), 0);
    assert_int_equal(eyni_db_commit(db, &err), 0);
    /* Releasing with an open transaction rolls it back. */
    assert_int_equal(eyni_db_begin(db, 1, &err), 0);
    assert_int_equal(insert(db, "c", &err), 0);
    eyni_store_release(s, db);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM items"), 1);
    eyni_store_close(s);
}

static void constraint_violations_have_their_own_codes(void **state)
{
    eyni_store *s = open_fresh("store-cons", 1);
    eyni_db *db;
    eyni_error err;
    assert_int_equal(eyni_store_acquire(s, &db, &err), 0);
    assert_int_equal(insert(db, "x", &err), 0);
    assert_int_equal(insert(db, "x", &err), EYNI_EEXIST);
    assert_int_equal(eyni_db_exec(db, "INSERT INTO tags (item_id, tag) VALUES (999, 't')", &err),
                     EYNI_ECONFLICT);
    assert_int_equal(eyni_db_exec(db, "SELECT * FROM nowhere", &err), EYNI_ESTORE);
    eyni_stmt *st;
    assert_int_equal(eyni_db_prepare(db, "SELECT data, name FROM items", &st, &err), 0);
    assert_int_equal(eyni_stmt_step(st, &err), 1);
    size_t n;
    const unsigned char *p = eyni_stmt_blob(st, 0, &n);
    assert_int_equal(n, 3);
    assert_int_equal(p[2], 2);
    assert_string_equal(eyni_stmt_text(st, 1), "x");
    assert_int_equal(eyni_stmt_step(st, &err), 0);
    eyni_stmt_free(st);
    eyni_store_release(s, db);
    assert_int_equal(eyni_store_check(s, &err), 0);
    eyni_store_close(s);
}

typedef struct worker {
    eyni_store *s;
    int id;
    int failures;
} worker;

static void *write_many(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 100; i++) {
        eyni_db *db;
        eyni_error err;
        char name[32];
        snprintf(name, sizeof name, "w%d-%d", w->id, i);
        if (eyni_store_acquire(w->s, &db, &err) || eyni_db_begin(db, 1, &err) ||
            insert(db, name, &err) || eyni_db_commit(db, &err))
            w->failures++;
        eyni_store_release(w->s, db);
    }
    return NULL;
}

static void concurrent_writers_lose_nothing(void **state)
{
    eyni_store *s = open_fresh("store-conc", 3);
    pthread_t t[6];
    worker w[6];
    for (int i = 0; i < 6; i++) {
        w[i] = (worker){s, i, 0};
        pthread_create(&t[i], NULL, write_many, &w[i]);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(count(s, "SELECT COUNT(*) FROM items"), 600);
    eyni_error err;
    assert_int_equal(eyni_store_check(s, &err), 0);
    eyni_store_close(s);
}

static void unopenable_path_is_a_clear_error(void **state)
{
    eyni_store *s = NULL;
    eyni_error err;
    assert_int_equal(eyni_store_open("/nonexistent/dir/x.db", NULL, &s, &err), EYNI_ESTORE);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.db"));
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrations_apply_once_and_record_version),
        cmocka_unit_test(rollback_discards_and_commit_keeps),
        cmocka_unit_test(constraint_violations_have_their_own_codes),
        cmocka_unit_test(concurrent_writers_lose_nothing),
        cmocka_unit_test(unopenable_path_is_a_clear_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

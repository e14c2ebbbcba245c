/* Engine-independent part of the store: URI dispatch, the connection pool, migrations and
 * the thin forwarding layer callers use. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static int pool_fill(eyni_store *s, eyni_error *err)
{
    for (int i = 0; i < s->pool_size; i++) {
        int rc = s->engine->connect(s, &s->pool[i], err);
        if (rc)
            return rc;
        s->pool[i]->store = s;
        s->free_count++;
    }
    return 0;
}

int eyni_store_open(const char *uri, const eyni_store_opts *opts, eyni_store **out, eyni_error *err)
{
    eyni_store *s = calloc(1, sizeof *s);
    if (!s)
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    s->pool_size = opts && opts->pool_size > 0 ? opts->pool_size : 8;
    if (s->pool_size > EYNI_STORE_MAX_POOL)
        s->pool_size = EYNI_STORE_MAX_POOL;
    s->busy_timeout_ms = opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 10000;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->available, NULL);
    int rc;
    if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0) {
        rc = store_postgresql_open(s, uri, err);
    } else {
        const char *path = strncmp(uri, "sqlite:", 7) == 0 ? uri + 7 : uri;
        rc = store_sqlite_open(s, path, err);
    }
    if (rc == 0)
        rc = pool_fill(s, err);
    if (rc) {
        eyni_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void eyni_store_close(eyni_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->pool_size; i++)
        if (s->pool[i])
            s->engine->disconnect(s->pool[i]);
    if (s->engine)
        s->engine->close(s);
    pthread_cond_destroy(&s->available);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

const char *eyni_store_engine(const eyni_store *s)
{
    return s->engine->name;
}

int eyni_store_acquire(eyni_store *s, eyni_db **out, eyni_error *err)
{
    pthread_mutex_lock(&s->lock);
    while (s->free_count == 0)
        pthread_cond_wait(&s->available, &s->lock);
    /* Free connections are kept at the front of the array. */
    eyni_db *db = s->pool[--s->free_count];
    pthread_mutex_unlock(&s->lock);
    *out = db;
    return 0;
}

void eyni_store_release(eyni_store *s, eyni_db *db)
{
    if (!db)
        return;
    if (db->in_tx)
        eyni_db_rollback(db);
    pthread_mutex_lock(&s->lock);
    for (int i = s->free_count; i < s->pool_size; i++) {
        if (s->pool[i] == db) {
            s->pool[i] = s->pool[s->free_count];
            s->pool[s->free_count++] = db;
            break;
        }
    }
    pthread_cond_signal(&s->available);
    pthread_mutex_unlock(&s->lock);
}

int eyni_db_begin(eyni_db *db, int write, eyni_error *err)
{
    if (db->in_tx)
        return eyni_error_set(err, EYNI_EINTERNAL, "store: transaction already open");
    int rc = db->ops->begin(db, write, err);
    if (rc == 0)
        db->in_tx = 1;
    return rc;
}

int eyni_db_commit(eyni_db *db, eyni_error *err)
{
    if (!db->in_tx)
        return eyni_error_set(err, EYNI_EINTERNAL, "store: commit without a transaction");
    int rc = db->ops->commit(db, err);
    if (rc)
        db->ops->rollback(db);
    db->in_tx = 0;
    return rc;
}

void eyni_db_rollback(eyni_db *db)
{
    if (!db->in_tx)
        return;
    db->ops->rollback(db);
    db->in_tx = 0;
}

int eyni_db_exec(eyni_db *db, const char *sql, eyni_error *err)
{
    return db->ops->exec(db, sql, err);
}

int eyni_db_prepare(eyni_db *db, const char *sql, eyni_stmt **out, eyni_error *err)
{
    return db->ops->prepare(db, sql, out, err);
}

void eyni_stmt_free(eyni_stmt *st)
{
    if (st)
        st->ops->free(st);
}

int eyni_stmt_bind_text(eyni_stmt *st, int idx, const char *s, eyni_error *err)
{
    return s ? st->ops->bind_text(st, idx, s, err) : st->ops->bind_null(st, idx, err);
}

int eyni_stmt_bind_int64(eyni_stmt *st, int idx, int64_t v, eyni_error *err)
{
    return st->ops->bind_int64(st, idx, v, err);
}

int eyni_stmt_bind_double(eyni_stmt *st, int idx, double v, eyni_error *err)
{
    return st->ops->bind_double(st, idx, v, err);
}

int eyni_stmt_bind_blob(eyni_stmt *st, int idx, const void *p, size_t n, eyni_error *err)
{
    return st->ops->bind_blob(st, idx, p, n, err);
}

int eyni_stmt_bind_null(eyni_stmt *st, int idx, eyni_error *err)
{
    return st->ops->bind_null(st, idx, err);
}

int eyni_stmt_step(eyni_stmt *st, eyni_error *err)
{
    return st->ops->step(st, err);
}

void eyni_stmt_reset(eyni_stmt *st)
{
    st->ops->reset(st);
}

int eyni_stmt_is_null(eyni_stmt *st, int col)
{
    return st->ops->is_null(st, col);
}

const char *eyni_stmt_text(eyni_stmt *st, int col)
{
    return st->ops->text(st, col);
}

int64_t eyni_stmt_int64(eyni_stmt *st, int col)
{
    return st->ops->int64(st, col);
}

double eyni_stmt_double(eyni_stmt *st, int col)
{
    return st->ops->dbl(st, col);
}

const void *eyni_stmt_blob(eyni_stmt *st, int col, size_t *len)
{
    return st->ops->blob(st, col, len);
}

int eyni_store_check(eyni_store *s, eyni_error *err)
{
    eyni_db *db;
    int rc = eyni_store_acquire(s, &db, err);
    if (rc)
        return rc;
    rc = db->ops->check(db, err);
    eyni_store_release(s, db);
    return rc;
}

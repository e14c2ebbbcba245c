/* PostgreSQL engine of the store (libpq): one connection per pooled eyni_db, '?' placeholders
 * rewritten to $n, SQLite's statement-level error semantics kept inside transactions by a
 * savepoint around each statement, and write transactions serialised by one advisory lock
 * so that every writer sees everything committed before it (as BEGIN IMMEDIATE does). */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* Key of the advisory lock every write transaction holds until it ends. One writer at a
 * time across all nodes: FIN and serial issuance, blank moves and the audit hash chain
 * (which needs a total order) then behave exactly as on SQLite. */
#define WRITE_LOCK_KEY 0x657969L /* "eyi" */

/* PostgreSQL type OIDs we send parameters as (pg_type.h is not part of libpq-dev). */
enum { OID_UNKNOWN = 0, OID_BYTEA = 17, OID_INT8 = 20, OID_TEXT = 25, OID_FLOAT8 = 701 };

typedef struct pg_engine {
    char *conninfo;
} pg_engine;

typedef struct pg_db {
    eyni_db base; /* must be first */
    PGconn *conn;
    int lock_timeout_ms;
} pg_db;

typedef struct pg_param {
    char *val; /* NULL for SQL NULL */
    int len;
    int binary;
    unsigned int type;
} pg_param;

typedef struct pg_stmt {
    eyni_stmt base; /* must be first */
    pg_db *db;
    char *sql;
    int nparams;
    pg_param *params;
    PGresult *res;
    int row;               /* current row; -1 before the first */
    int typed_text;        /* send text parameters as text instead of letting the server infer */
    unsigned char **blobs; /* bytea columns of the current row, decoded on demand */
    size_t *blob_lens;
    int ncols;
} pg_stmt;

/* ---- errors ----------------------------------------------------------------------- */

static int code_of(const char *state)
{
    if (!state)
        return EYNI_ESTORE;
    if (strcmp(state, "23505") == 0) /* unique_violation */
        return EYNI_EEXIST;
    if (strncmp(state, "23", 2) == 0 || strcmp(state, "P0001") == 0) /* constraint, trigger */
        return EYNI_ECONFLICT;
    return EYNI_ESTORE;
}

static int fail_res(PGconn *c, PGresult *res, const char *what, eyni_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = PQerrorMessage(c);
    char line[200];
    snprintf(line, sizeof line, "%s", msg);
    line[strcspn(line, "\n")] = '\0';
    return eyni_error_set(err, code_of(state), "postgresql %s: %s%s%s%s", what, line,
                          state ? " (" : "", state ? state : "", state ? ")" : "");
}

/* Runs parameterless SQL; every result must succeed. */
static int run(PGconn *c, const char *sql, const char *what, eyni_error *err)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = 0;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        rc = fail_res(c, res, what, err);
    PQclear(res);
    return rc;
}

/* A connection lost between units of work (server restart, failover) is re-opened before
 * the next one, never in the middle of a transaction. */
static int ensure_conn(pg_db *d, eyni_error *err)
{
    if (PQstatus(d->conn) == CONNECTION_OK)
        return 0;
    PQreset(d->conn);
    if (PQstatus(d->conn) != CONNECTION_OK)
        return eyni_error_set(err, EYNI_ESTORE, "postgresql: connection lost: %s",
                              PQerrorMessage(d->conn));
    return 0;
}

/* ---- connections ------------------------------------------------------------------ */

static int db_exec(eyni_db *db, const char *sql, eyni_error *err)
{
    pg_db *d = (pg_db *)db;
    if (!db->in_tx && ensure_conn(d, err))
        return EYNI_ESTORE;
    return run(d->conn, sql, "exec", err);
}

static int db_begin(eyni_db *db, int write, eyni_error *err)
{
    pg_db *d = (pg_db *)db;
    if (ensure_conn(d, err))
        return EYNI_ESTORE;
    /* A writer reads at READ COMMITTED after taking the lock, so each statement sees every
     * write committed before the lock was granted; a reader gets one consistent snapshot. */
    char sql[160];
    if (write)
        snprintf(sql, sizeof sql,
                 "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(%ld)",
                 WRITE_LOCK_KEY);
    else
        snprintf(sql, sizeof sql, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    int rc = run(d->conn, sql, "begin", err);
    if (rc) /* e.g. lock_timeout (55P03): the write lock stayed busy */
        PQclear(PQexec(d->conn, "ROLLBACK"));
    return rc;
}

static int db_commit(eyni_db *db, eyni_error *err)
{
    return run(((pg_db *)db)->conn, "COMMIT", "commit", err);
}

static void db_rollback(eyni_db *db)
{
    PQclear(PQexec(((pg_db *)db)->conn, "ROLLBACK"));
}

/* Rewrites '?' to $1, $2, ... outside string literals, quoted identifiers and comments. */
static char *translate(const char *sql, int *nparams)
{
    size_t n = strlen(sql), cap = n + 1;
    for (const char *p = sql; *p; p++)
        if (*p == '?')
            cap += 5;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    int k = 0;
    for (const char *p = sql; *p;) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            *o++ = *p++;
            while (*p && *p != q)
                *o++ = *p++;
            if (*p)
                *o++ = *p++;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                *o++ = *p++;
        } else if (*p == '?') {
            o += sprintf(o, "$%d", ++k);
            p++;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    *nparams = k;
    return out;
}

static const stmt_ops pg_stmt_ops;

static int db_prepare(eyni_db *db, const char *sql, eyni_stmt **out, eyni_error *err)
{
    pg_stmt *s = calloc(1, sizeof *s);
    if (!s)
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    s->sql = translate(sql, &s->nparams);
    s->params = calloc(s->nparams ? (size_t)s->nparams : 1, sizeof *s->params);
    if (!s->sql || !s->params) {
        free(s->sql);
        free(s->params);
        free(s);
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    }
    s->base.ops = &pg_stmt_ops;
    s->db = (pg_db *)db;
    s->row = -1;
    *out = &s->base;
    return 0;
}

/* No integrity_check in PostgreSQL: the server keeps its own consistency; we report any
 * constraint left unvalidated (added NOT VALID) since such rows were never checked. */
static int db_check(eyni_db *db, eyni_error *err)
{
    PGconn *c = ((pg_db *)db)->conn;
    PGresult *res = PQexec(c, "SELECT conrelid::regclass::text || '.' || conname"
                              " FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
                              " WHERE n.nspname = current_schema() AND NOT convalidated LIMIT 1");
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = fail_res(c, res, "check", err);
    else if (PQntuples(res) > 0)
        rc = eyni_error_set(err, EYNI_EINTERNAL, "database check: constraint %s not validated",
                            PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

static const char *dialect(const eyni_migration *m)
{
    return m->postgresql;
}

static const db_ops pg_db_ops = {db_begin,   db_commit, db_rollback, db_exec,
                                 db_prepare, db_check,  dialect};

/* ---- statements ------------------------------------------------------------------- */

#define PS(x) ((pg_stmt *)(x))

static void clear_result(pg_stmt *s)
{
    for (int i = 0; s->blobs && i < s->ncols; i++)
        free(s->blobs[i]);
    free(s->blobs);
    free(s->blob_lens);
    s->blobs = NULL;
    s->blob_lens = NULL;
    s->ncols = 0;
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
}

static void clear_params(pg_stmt *s)
{
    for (int i = 0; i < s->nparams; i++) {
        free(s->params[i].val);
        memset(&s->params[i], 0, sizeof s->params[i]);
    }
}

static void st_free(eyni_stmt *st)
{
    pg_stmt *s = PS(st);
    clear_result(s);
    clear_params(s);
    free(s->params);
    free(s->sql);
    free(s);
}

static int set_param(eyni_stmt *st, int idx, const void *p, size_t n, int binary, unsigned type,
                     eyni_error *err)
{
    pg_stmt *s = PS(st);
    if (idx < 1 || idx > s->nparams)
        return eyni_error_set(err, EYNI_EINTERNAL, "postgresql bind: no parameter %d", idx);
    if (n > 0x7fffffff)
        return eyni_error_set(err, EYNI_ELIMIT, "postgresql bind: value over 2 GiB");
    pg_param *q = &s->params[idx - 1];
    free(q->val);
    memset(q, 0, sizeof *q);
    q->type = type;
    if (!p)
        return 0;
    q->val = malloc(n + 1);
    if (!q->val)
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    memcpy(q->val, p, n);
    q->val[n] = '\0';
    q->len = (int)n;
    q->binary = binary;
    return 0;
}

static int st_bind_text(eyni_stmt *st, int i, const char *v, eyni_error *err)
{
    return set_param(st, i, v, strlen(v), 0, OID_TEXT, err);
}

static int st_bind_int64(eyni_stmt *st, int i, int64_t v, eyni_error *err)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    return set_param(st, i, buf, (size_t)n, 0, OID_INT8, err);
}

static int st_bind_double(eyni_stmt *st, int i, double v, eyni_error *err)
{
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%.17g", v);
    return set_param(st, i, buf, (size_t)n, 0, OID_FLOAT8, err);
}

static int st_bind_blob(eyni_stmt *st, int i, const void *p, size_t n, eyni_error *err)
{
    return set_param(st, i, p ? p : "", n, 1, OID_BYTEA, err);
}

static int st_bind_null(eyni_stmt *st, int i, eyni_error *err)
{
    return set_param(st, i, NULL, 0, 0, OID_UNKNOWN, err);
}

/* Text parameters and NULLs go untyped first, so '?' may stand for a number column as in
 * SQLite; where the server cannot infer a type (',' || ? || ','), they are sent as text. */
static PGresult *send(pg_stmt *s, int typed_text)
{
    enum { MAXP = 256 };
    if (s->nparams > MAXP)
        return NULL;
    Oid types[MAXP];
    const char *vals[MAXP];
    int lens[MAXP], fmts[MAXP];
    for (int i = 0; i < s->nparams; i++) {
        pg_param *q = &s->params[i];
        types[i] = q->type;
        if (q->type == OID_TEXT || q->type == OID_UNKNOWN) /* NULL has no type of its own */
            types[i] = typed_text ? OID_TEXT : OID_UNKNOWN;
        vals[i] = q->val;
        lens[i] = q->len;
        fmts[i] = q->binary;
    }
    return PQexecParams(s->db->conn, s->sql, s->nparams, types, vals, lens, fmts, 0);
}

static int ok(PGresult *res)
{
    ExecStatusType t = PQresultStatus(res);
    return t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK;
}

static int cannot_infer(PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return state && (strcmp(state, "42P18") == 0 || strcmp(state, "42725") == 0);
}

/* Inside a transaction a failed statement must leave the transaction usable, as in SQLite
 * (a caller may try another FIN after a uniqueness violation): each statement runs under a
 * savepoint that is rolled back on error. */
static int execute(pg_stmt *s, eyni_error *err)
{
    PGconn *c = s->db->conn;
    int in_tx = s->db->base.in_tx;
    if (s->nparams > 256)
        return eyni_error_set(err, EYNI_ELIMIT, "postgresql: more than 256 parameters");
    if (!in_tx && ensure_conn(s->db, err))
        return EYNI_ESTORE;
    if (in_tx && run(c, "SAVEPOINT eyni_stmt", "savepoint", err))
        return EYNI_ESTORE;
    PGresult *res = send(s, s->typed_text);
    if (!ok(res) && cannot_infer(res) && !s->typed_text) {
        if (in_tx)
            PQclear(PQexec(c, "ROLLBACK TO SAVEPOINT eyni_stmt"));
        PQclear(res);
        s->typed_text = 1;
        res = send(s, 1);
    }
    if (!ok(res)) {
        int rc = fail_res(c, res, "step", err);
        PQclear(res);
        if (in_tx) {
            PQclear(PQexec(c, "ROLLBACK TO SAVEPOINT eyni_stmt"));
            PQclear(PQexec(c, "RELEASE SAVEPOINT eyni_stmt"));
        }
        return rc;
    }
    if (in_tx && run(c, "RELEASE SAVEPOINT eyni_stmt", "release", err)) {
        PQclear(res);
        return EYNI_ESTORE;
    }
    s->res = res;
    s->ncols = PQnfields(res);
    if (s->ncols) {
        s->blobs = calloc((size_t)s->ncols, sizeof *s->blobs);
        s->blob_lens = calloc((size_t)s->ncols, sizeof *s->blob_lens);
        if (!s->blobs || !s->blob_lens)
            return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    }
    return 0;
}

static int st_step(eyni_stmt *st, eyni_error *err)
{
    pg_stmt *s = PS(st);
    if (!s->res) {
        int rc = execute(s, err);
        if (rc)
            return rc;
    }
    for (int i = 0; i < s->ncols; i++) {
        free(s->blobs[i]);
        s->blobs[i] = NULL;
    }
    if (s->row + 1 >= PQntuples(s->res)) {
        s->row = PQntuples(s->res);
        return 0;
    }
    s->row++;
    return 1;
}

static void st_reset(eyni_stmt *st)
{
    clear_result(PS(st));
    clear_params(PS(st));
}

static int valid(pg_stmt *s, int c)
{
    return s->res && c >= 0 && c < s->ncols && s->row >= 0 && s->row < PQntuples(s->res);
}

static int st_is_null(eyni_stmt *st, int c)
{
    pg_stmt *s = PS(st);
    return !valid(s, c) || PQgetisnull(s->res, s->row, c);
}

static const char *st_text(eyni_stmt *st, int c)
{
    pg_stmt *s = PS(st);
    if (st_is_null(st, c))
        return NULL;
    if (PQftype(s->res, c) == OID_BYTEA) { /* as SQLite: a blob read as text */
        size_t n;
        return st->ops->blob(st, c, &n);
    }
    return PQgetvalue(s->res, s->row, c);
}

static int64_t st_int64(eyni_stmt *st, int c)
{
    const char *v = st_is_null(st, c) ? NULL : PQgetvalue(PS(st)->res, PS(st)->row, c);
    if (!v)
        return 0;
    if (v[0] == 't' && !v[1]) /* boolean expressions */
        return 1;
    return strtoll(v, NULL, 10);
}

static double st_double(eyni_stmt *st, int c)
{
    const char *v = st_is_null(st, c) ? NULL : PQgetvalue(PS(st)->res, PS(st)->row, c);
    return v ? strtod(v, NULL) : 0.0;
}

static const void *st_blob(eyni_stmt *st, int c, size_t *len)
{
    pg_stmt *s = PS(st);
    *len = 0;
    if (st_is_null(st, c))
        return NULL;
    const char *v = PQgetvalue(s->res, s->row, c);
    if (PQftype(s->res, c) != OID_BYTEA) {
        *len = (size_t)PQgetlength(s->res, s->row, c);
        return v;
    }
    if (!s->blobs[c]) {
        size_t n = 0;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)v, &n);
        if (!raw)
            return NULL;
        /* One spare NUL so that a blob read as text is terminated, as in SQLite. */
        s->blobs[c] = malloc(n + 1);
        if (s->blobs[c]) {
            memcpy(s->blobs[c], raw, n);
            s->blobs[c][n] = '\0';
            s->blob_lens[c] = n;
        }
        PQfreemem(raw);
        if (!s->blobs[c])
            return NULL;
    }
    *len = s->blob_lens[c];
    return s->blobs[c];
}

static const stmt_ops pg_stmt_ops = {
    st_free,  st_bind_text, st_bind_int64, st_bind_double, st_bind_blob, st_bind_null, st_step,
    st_reset, st_is_null,   st_text,       st_int64,       st_double,    st_blob};

/* ---- engine ----------------------------------------------------------------------- */

static void ignore_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static int connect_one(eyni_store *store, eyni_db **out, eyni_error *err)
{
    pg_engine *e = store->engine_data;
    pg_db *d = calloc(1, sizeof *d);
    if (!d)
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    d->conn = PQconnectdb(e->conninfo);
    if (PQstatus(d->conn) != CONNECTION_OK) {
        char line[200];
        snprintf(line, sizeof line, "%s", PQerrorMessage(d->conn));
        line[strcspn(line, "\n")] = '\0';
        PQfinish(d->conn);
        free(d);
        return eyni_error_set(err, EYNI_ESTORE, "postgresql: cannot connect: %s", line);
    }
    PQsetNoticeProcessor(d->conn, ignore_notice, NULL);
    d->base.ops = &pg_db_ops;
    d->lock_timeout_ms = store->busy_timeout_ms;
    /* A writer waits for the write lock as long as SQLite's busy timeout would let it. */
    char sql[200];
    snprintf(sql, sizeof sql,
             "SET lock_timeout = %d; SET client_min_messages = warning;"
             " SET synchronous_commit = on; SET TIME ZONE 'UTC'",
             store->busy_timeout_ms);
    int rc = run(d->conn, sql, "connect", err);
    if (rc) {
        PQfinish(d->conn);
        free(d);
        return rc;
    }
    *out = &d->base;
    return 0;
}

static void disconnect_one(eyni_db *db)
{
    pg_db *d = (pg_db *)db;
    PQfinish(d->conn);
    free(d);
}

static void close_engine(eyni_store *store)
{
    pg_engine *e = store->engine_data;
    if (e)
        free(e->conninfo);
    free(e);
}

/* ---- notifications and sections ---------------------------------------------------- */

static int listen_one(eyni_store *store, const char *channel, void **out, eyni_error *err)
{
    pg_engine *e = store->engine_data;
    PGconn *c = PQconnectdb(e->conninfo);
    char sql[100];
    snprintf(sql, sizeof sql, "LISTEN %s", channel); /* channel checked by the caller */
    int rc = PQstatus(c) == CONNECTION_OK
                 ? run(c, sql, "listen", err)
                 : eyni_error_set(err, EYNI_ESTORE, "postgresql: cannot connect to listen: %s",
                                  PQerrorMessage(c));
    if (rc) {
        PQfinish(c);
        return rc;
    }
    PQsetNoticeProcessor(c, ignore_notice, NULL);
    *out = c;
    return 0;
}

static int drain(PGconn *c)
{
    int n = 0;
    PGnotify *nt;
    while ((nt = PQnotifies(c)) != NULL) {
        n++;
        PQfreemem(nt);
    }
    return n > 0;
}

static int wait_one(eyni_store *store, void *conn, const char *channel, int timeout_ms,
                    eyni_error *err)
{
    (void)store;
    (void)channel;
    PGconn *c = conn;
    if (!PQconsumeInput(c))
        return eyni_error_set(err, EYNI_ESTORE, "postgresql listen: %s", PQerrorMessage(c));
    if (drain(c))
        return 1;
    struct pollfd p = {PQsocket(c), POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    if (r < 0 && errno != EINTR)
        return eyni_error_set(err, EYNI_EIO, "postgresql listen: poll: %s", strerror(errno));
    if (r <= 0)
        return 0;
    if (!PQconsumeInput(c))
        return eyni_error_set(err, EYNI_ESTORE, "postgresql listen: %s", PQerrorMessage(c));
    return drain(c);
}

static void unlisten_one(void *conn)
{
    PQfinish(conn);
}

/* A session advisory lock: unlike the write lock it outlives transactions, and the server
 * drops it with the session if the process dies. Waiting for it is not bounded by the
 * busy timeout (the holder may be doing a long biometric search). */
static int section(eyni_db *db, int64_t key, int enter, eyni_error *err)
{
    pg_db *d = (pg_db *)db;
    if (!enter)
        return run(d->conn, "SELECT pg_advisory_unlock_all()", "section", err);
    if (ensure_conn(d, err))
        return EYNI_ESTORE;
    char sql[160];
    snprintf(sql, sizeof sql, "SET lock_timeout = 0; SELECT pg_advisory_lock(%lld)",
             (long long)key);
    int rc = run(d->conn, sql, "section", err);
    snprintf(sql, sizeof sql, "SET lock_timeout = %d", d->lock_timeout_ms);
    eyni_error ignore;
    run(d->conn, sql, "section", &ignore);
    return rc;
}

const store_engine store_postgresql_engine = {"postgresql", connect_one, disconnect_one,
                                              close_engine, listen_one,  wait_one,
                                              unlisten_one, section};

int store_postgresql_open(eyni_store *store, const char *uri, eyni_error *err)
{
    store->engine = &store_postgresql_engine;
    pg_engine *e = calloc(1, sizeof *e);
    if (!e)
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    store->engine_data = e;
    e->conninfo = strdup(uri);
    if (!e->conninfo)
        return eyni_error_set(err, EYNI_ENOMEM, "store: out of memory");
    /* libpq parses the URI itself; reject one it cannot parse before opening the pool. */
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(uri, &msg);
    if (!opts) {
        int rc = eyni_error_set(err, EYNI_EINVAL, "store: bad PostgreSQL URI: %s",
                                msg ? msg : "out of memory");
        PQfreemem(msg);
        return rc;
    }
    PQconninfoFree(opts);
    return 0;
}

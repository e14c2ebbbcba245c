/* The audit log: one row per access or change, each row's hash covering the previous
 * row's hash, so removing or editing a row breaks the chain at that point. Rows are
 * appended inside the same write transaction as the change they describe. */
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

static const char zero_hash[] = "0000000000000000000000000000000000000000000000000000000000000000";

/* SHA-256 over the fields joined by the unit separator, as lower-case hex. */
static void entry_hash(const char *const *fields, int n, char out[65])
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += strlen(fields[i] ? fields[i] : "") + 1;
    char *buf = malloc(len + 1);
    unsigned char d[32];
    if (!buf) {
        memset(out, '0', 64);
        out[64] = '\0';
        return;
    }
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(fields[i] ? fields[i] : "");
        memcpy(buf + off, fields[i] ? fields[i] : "", k);
        off += k;
        buf[off++] = '\x1f';
    }
    eyni_sha256(buf, off, d);
    free(buf);
    eyni_hex_encode(d, 32, out);
}

static int last_hash(eyni_db *db, char out[65], eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, "SELECT hash FROM audit ORDER BY id DESC LIMIT 1", &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_step(st, err);
    if (rc == 1)
        snprintf(out, 65, "%s", eyni_stmt_text(st, 0));
    else if (rc == 0)
        memcpy(out, zero_hash, 65);
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

int reg_audit_append(eyni_db *db, const eyni_actor *a, const char *action, const char *object,
                     const char *outcome, const char *detail, eyni_error *err)
{
    char now[32], prev[65], hash[65];
    eyni_time_now_iso(now);
    int rc = last_hash(db, prev, err);
    if (rc)
        return rc;
    const char *f[] = {prev,   now,    a->id,   a->agency, eyni_role_name(a->role), action,
                       object, a->purpose, outcome, a->origin, detail};
    entry_hash(f, 11, hash);
    const char *vals[] = {now, a->id, a->agency, eyni_role_name(a->role), action, object,
                          a->purpose, outcome, a->origin, detail, prev, hash};
    return reg_exec1(db,
                     "INSERT INTO audit (at, actor, agency, role, action, object, purpose, outcome,"
                     " origin, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                     vals, 12, err);
}

typedef struct event_arg {
    const eyni_actor *a;
    const char *action, *object, *outcome, *detail;
} event_arg;

static int event_tx(eyni_db *db, void *p, eyni_error *err)
{
    event_arg *e = p;
    return reg_audit_append(db, e->a, e->action, e->object, e->outcome, e->detail, err);
}

int eyni_register_audit_event(eyni_register *reg, const eyni_actor *a, const char *action,
                              const char *object, const char *outcome, const char *detail,
                              eyni_error *err)
{
    event_arg e = {a, action, object, outcome, detail};
    return reg_write_tx(reg, event_tx, &e, err);
}

static json_t *row_json(eyni_stmt *st, void *ctx)
{
    json_t *o = json_object();
    static const char *const cols[] = {"at",     "actor",   "agency", "role",   "action",
                                       "object", "purpose", "outcome", "origin", "detail",
                                       "prev_hash", "hash"};
    json_object_set_new(o, "id", json_integer(eyni_stmt_int64(st, 0)));
    for (int i = 0; i < 12; i++) {
        const char *v = eyni_stmt_text(st, i + 1);
        json_object_set_new(o, cols[i], v ? json_string(v) : json_null());
    }
    return o;
}

int eyni_register_audit_list(eyni_register *reg, const eyni_actor *a, const eyni_audit_query *q,
                             json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_AUDIT_READ, "audit", err);
    if (rc)
        return rc;
    int limit = q->limit > 0 && q->limit <= 1000 ? q->limit : 100;
    eyni_db *db;
    eyni_stmt *st = NULL;
    rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db,
                         "SELECT id, at, actor, agency, role, action, object, purpose, outcome,"
                         " origin, detail, prev_hash, hash FROM audit"
                         " WHERE id > ? AND (? IS NULL OR actor = ?) AND (? IS NULL OR object = ?)"
                         " AND (? IS NULL OR action = ?) ORDER BY id LIMIT ?",
                         &st, err);
    if (rc == 0) {
        const char *f[] = {q->actor, q->actor, q->object, q->object, q->action, q->action};
        rc = eyni_stmt_bind_int64(st, 1, q->after_id, err);
        if (rc == 0)
            rc = reg_bind_texts(st, 2, f, 6, err);
        if (rc == 0)
            rc = eyni_stmt_bind_int64(st, 8, limit, err);
    }
    json_t *list = json_array();
    if (rc == 0)
        rc = reg_collect(st, row_json, NULL, list, err);
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o, s:i}", "entries", list, "count", (int)json_array_size(list));
    return 0;
}

int eyni_register_audit_verify(eyni_register *reg, const eyni_actor *a, json_t **out,
                               eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_AUDIT_READ, "audit", err);
    if (rc)
        return rc;
    eyni_db *db;
    eyni_stmt *st = NULL;
    rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db,
                         "SELECT id, prev_hash, at, actor, agency, role, action, object, purpose,"
                         " outcome, origin, detail, hash FROM audit ORDER BY id",
                         &st, err);
    char expect_prev[65];
    memcpy(expect_prev, zero_hash, 65);
    long long n = 0, bad = -1;
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        rc = 0;
        n++;
        const char *f[11];
        for (int i = 0; i < 11; i++)
            f[i] = eyni_stmt_text(st, i + 1);
        char h[65];
        entry_hash(f, 11, h);
        const char *stored = eyni_stmt_text(st, 12);
        if (bad < 0 && (strcmp(f[0] ? f[0] : "", expect_prev) != 0 || !stored ||
                        strcmp(stored, h) != 0))
            bad = eyni_stmt_int64(st, 0);
        snprintf(expect_prev, sizeof expect_prev, "%s", stored ? stored : "");
    }
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    if (rc < 0)
        return rc;
    *out = json_pack("{s:b, s:I, s:o}", "ok", bad < 0, "entries", (json_int_t)n, "first_bad_id",
                     bad < 0 ? json_null() : json_integer(bad));
    return 0;
}

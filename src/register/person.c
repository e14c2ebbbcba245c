/* Persons: create, read, update with full version history, and search by FIN or by
 * folded name and birth date. The current record is kept as JSON beside indexed search
 * keys; every version of it is kept in person_versions. */
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

static const char *const record_fields[] = {
    "surname",     "given_name",     "patronymic",  "birth_date", "birth_place", "sex",
    "citizenship", "marital_status", "blood_group", "eye_colour", "height_cm",   NULL};

/* Copies the changed fields of in onto rec; null removes an optional field. A new
 * residence becomes current and is appended to the history. */
static void apply_fields(json_t *rec, const json_t *in, int version)
{
    for (int i = 0; record_fields[i]; i++) {
        json_t *v = json_object_get(in, record_fields[i]);
        if (v && json_is_null(v))
            json_object_set_new(rec, record_fields[i], json_null());
        else if (v)
            json_object_set(rec, record_fields[i], v);
    }
    json_t *res = json_object_get(in, "residence");
    if (res && !json_is_null(res)) {
        json_t *hist = json_object_get(rec, "residence_history");
        json_t *entry = json_deep_copy(res);
        json_object_set_new(entry, "recorded_version", json_integer(version));
        json_array_append_new(hist, entry);
        json_object_set(rec, "residence", res);
    } else if (res) {
        json_object_set_new(rec, "residence", json_null());
    }
}

static int search_keys(const json_t *rec, char *sk, char *gk, size_t cap, eyni_error *err)
{
    int rc = eyni_text_fold(json_string_value(json_object_get(rec, "surname")), sk, cap, err);
    if (rc == 0)
        rc = eyni_text_fold(json_string_value(json_object_get(rec, "given_name")), gk, cap, err);
    return rc;
}

typedef struct write_arg {
    eyni_register *reg;
    const eyni_actor *a;
    const json_t *in;
    const char *fin; /* update: which person */
    json_t *rec;     /* out: the stored record */
    const char *reason;
} write_arg;

static int store_version(eyni_db *db, int64_t pid, const json_t *rec, const eyni_actor *a,
                         const char *reason, eyni_error *err)
{
    char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    char now[32];
    eyni_time_now_iso(now);
    eyni_stmt *st;
    int rc = text ? eyni_db_prepare(db,
                                    "INSERT INTO person_versions (person_id, version, record,"
                                    " changed_at, changed_by, agency, reason)"
                                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    &st, err)
                  : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    if (rc == 0) {
        const char *vals[] = {text, now, a->id, a->agency, reason};
        rc = eyni_stmt_bind_int64(st, 1, pid, err);
        if (!rc)
            rc = eyni_stmt_bind_int64(st, 2, json_integer_value(json_object_get(rec, "version")),
                                      err);
        if (!rc)
            rc = reg_bind_texts(st, 3, vals, 5, err);
        if (!rc)
            rc = eyni_stmt_step(st, err);
        eyni_stmt_free(st);
    }
    free(text);
    return rc < 0 ? rc : 0;
}

/* What a persons row holds besides the record: its search keys and the record as text. */
typedef struct row_text {
    char sk[4 * EYNI_NAME_MAX], gk[4 * EYNI_NAME_MAX];
    char *text;
} row_text;

static int row_prepare(eyni_db *db, const char *sql, const json_t *rec, row_text *r,
                       eyni_stmt **st, eyni_error *err)
{
    int rc = search_keys(rec, r->sk, r->gk, sizeof r->sk, err);
    r->text = rc ? NULL : json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    if (rc == 0)
        rc = r->text ? eyni_db_prepare(db, sql, st, err)
                     : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    return rc;
}

static int insert_person(eyni_db *db, const json_t *rec, int64_t *pid, eyni_error *err)
{
    row_text r;
    eyni_stmt *st = NULL;
    int rc = row_prepare(db,
                         "INSERT INTO persons (fin, version, surname_key, given_name_key,"
                         " birth_date, record, created_at, updated_at)"
                         " VALUES (?, 1, ?, ?, ?, ?, ?, ?) RETURNING id",
                         rec, &r, &st, err);
    const char *sk = r.sk, *gk = r.gk, *text = r.text;
    if (rc == 0) {
        const char *at = json_string_value(json_object_get(rec, "created_at"));
        const char *vals[] = {json_string_value(json_object_get(rec, "fin")), sk, gk,
                              json_string_value(json_object_get(rec, "birth_date")), text, at,
                              at};
        long long id = 0;
        rc = reg_bind_texts(st, 1, vals, 7, err);
        if (rc == 0)
            rc = reg_step_id(st, &id, err);
        *pid = id;
    }
    eyni_stmt_free(st);
    free(r.text);
    return rc;
}

int reg_person_insert(eyni_register *reg, eyni_db *db, const eyni_actor *a, const json_t *in,
                      const char *reason, json_t **rec_out, int64_t *pid, eyni_error *err)
{
    char fin[EYNI_FIN_MAX + 1], now[32];
    int rc = reg_fin_allocate(reg, db, fin, err);
    if (rc)
        return rc;
    eyni_time_now_iso(now);
    json_t *rec = json_pack("{s:s, s:i, s:s, s:s, s:s, s:o, s:n, s:n}", "fin", fin, "version", 1,
                            "status", "active", "created_at", now, "updated_at", now,
                            "residence_history", json_array(), "residence", "photo_ref");
    if (!rec)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    apply_fields(rec, in, 1);
    *rec_out = rec;
    rc = insert_person(db, rec, pid, err);
    if (rc == 0)
        rc = store_version(db, *pid, rec, a, reason, err);
    if (rc == 0)
        rc = reg_audit_append(db, a, "person.create", fin, "ok", NULL, err);
    return rc;
}

static int create_tx(eyni_db *db, void *p, eyni_error *err)
{
    write_arg *w = p;
    int64_t pid = 0;
    return reg_person_insert(w->reg, db, w->a, w->in, w->reason, &w->rec, &pid, err);
}

static const char *reason_of(const json_t *in, const char *def)
{
    const char *r = json_string_value(json_object_get(in, "reason"));
    return r ? r : def;
}

int eyni_register_person_create(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_PERSON_CREATE, "person", err);
    if (rc == 0)
        rc = reg_person_validate(in, 1, err);
    if (rc)
        return rc;
    write_arg w = {reg, a, in, NULL, NULL, reason_of(in, "registration")};
    rc = reg_write_tx(reg, create_tx, &w, err);
    if (rc == 0)
        *out = reg_person_view(w.rec, a->role);
    json_decref(w.rec);
    return rc;
}

/* Loads the current record and row id of fin; ENOTFOUND when there is none. */
int reg_person_load(eyni_db *db, const char *fin, int64_t *pid, json_t **rec,
                       eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, "SELECT id, record FROM persons WHERE fin = ?", &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_text(st, 1, fin, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    if (rc == 1) {
        json_error_t je;
        *pid = eyni_stmt_int64(st, 0);
        *rec = json_loads(eyni_stmt_text(st, 1), 0, &je);
        rc = *rec ? 0 : eyni_error_set(err, EYNI_EINTERNAL, "FIN %s: stored record unreadable", fin);
    } else if (rc == 0) {
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no person with FIN %s", fin);
    }
    eyni_stmt_free(st);
    return rc;
}

typedef struct read_arg {
    const eyni_actor *a;
    const char *fin;
    const char *action;
    json_t *rec;
    int64_t pid;
    int found;
} read_arg;

/* Reads are audited in the same transaction that reads, and a miss is audited too (so
 * fishing for FINs shows in the log); the miss is reported after the commit. */
static int read_tx(eyni_db *db, void *p, eyni_error *err)
{
    read_arg *r = p;
    eyni_error miss;
    int rc = reg_person_load(db, r->fin, &r->pid, &r->rec, &miss);
    if (rc && rc != EYNI_ENOTFOUND) {
        *err = miss;
        return rc;
    }
    r->found = rc == 0;
    return reg_audit_append(db, r->a, r->action, r->fin, r->found ? "ok" : "not found", NULL, err);
}

static int check_fin(const eyni_register *reg, const char *fin, eyni_error *err)
{
    if (!reg_fin_wellformed(reg, fin))
        return eyni_error_set(err, EYNI_EFORMAT, "'%.20s' is not a FIN (%d characters of %s)",
                              fin ? fin : "", reg->fin_length, reg->fin_alphabet);
    return 0;
}

int eyni_register_person_get(eyni_register *reg, const eyni_actor *a, const char *fin,
                             json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_PERSON_READ, fin, err);
    if (rc == 0)
        rc = check_fin(reg, fin, err);
    if (rc)
        return rc;
    read_arg r = {a, fin, "person.read", NULL, 0, 0};
    rc = reg_write_tx(reg, read_tx, &r, err);
    if (rc == 0 && !r.found)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no person with FIN %s", fin);
    if (rc == 0)
        *out = reg_person_view(r.rec, a->role);
    json_decref(r.rec);
    return rc;
}

static int update_row(eyni_db *db, int64_t pid, const json_t *rec, eyni_error *err)
{
    row_text r;
    eyni_stmt *st = NULL;
    int rc = row_prepare(db,
                         "UPDATE persons SET version = ?, surname_key = ?, given_name_key = ?,"
                         " birth_date = ?, record = ?, updated_at = ? WHERE id = ?",
                         rec, &r, &st, err);
    const char *sk = r.sk, *gk = r.gk, *text = r.text;
    if (rc == 0) {
        const char *vals[] = {sk, gk, json_string_value(json_object_get(rec, "birth_date")), text,
                              json_string_value(json_object_get(rec, "updated_at"))};
        rc = eyni_stmt_bind_int64(st, 1, json_integer_value(json_object_get(rec, "version")), err);
        if (rc == 0)
            rc = reg_bind_texts(st, 2, vals, 5, err);
        if (rc == 0)
            rc = eyni_stmt_bind_int64(st, 7, pid, err);
        if (rc == 0)
            rc = eyni_stmt_step(st, err);
    }
    eyni_stmt_free(st);
    free(r.text);
    return rc < 0 ? rc : 0;
}

static int update_tx(eyni_db *db, void *p, eyni_error *err)
{
    write_arg *w = p;
    int64_t pid;
    json_t *rec = NULL;
    int rc = reg_person_load(db, w->fin, &pid, &rec, err);
    if (rc)
        return rc;
    w->rec = rec;
    json_int_t version = json_integer_value(json_object_get(rec, "version"));
    const json_t *want = json_object_get(w->in, "version");
    if (want && json_integer_value(want) != version)
        return eyni_error_set(err, EYNI_ECONFLICT,
                              "FIN %s is at version %lld, not %lld: someone changed it; reload",
                              w->fin, (long long)version, (long long)json_integer_value(want));
    char now[32];
    eyni_time_now_iso(now);
    json_object_set_new(rec, "version", json_integer(version + 1));
    json_object_set_new(rec, "updated_at", json_string(now));
    apply_fields(rec, w->in, (int)version + 1);
    rc = update_row(db, pid, rec, err);
    if (rc == 0)
        rc = store_version(db, pid, rec, w->a, w->reason, err);
    if (rc == 0)
        rc = reg_audit_append(db, w->a, "person.update", w->fin, "ok", w->reason, err);
    return rc;
}

int reg_person_update_in_tx(eyni_db *db, const eyni_actor *a, const char *fin, const json_t *in,
                            eyni_error *err)
{
    write_arg w = {NULL, a, in, fin, NULL, json_string_value(json_object_get(in, "reason"))};
    int rc = update_tx(db, &w, err);
    json_decref(w.rec);
    return rc;
}

int eyni_register_person_update(eyni_register *reg, const eyni_actor *a, const char *fin,
                                const json_t *in, json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_PERSON_UPDATE, fin, err);
    if (rc == 0)
        rc = check_fin(reg, fin, err);
    if (rc == 0)
        rc = reg_person_validate(in, 0, err);
    if (rc == 0 && !json_string_value(json_object_get(in, "reason")))
        rc = eyni_error_set(err, EYNI_EFORMAT, "field 'reason' is required for a change");
    if (rc)
        return rc;
    write_arg w = {reg, a, in, fin, NULL, reason_of(in, NULL)};
    rc = reg_write_tx(reg, update_tx, &w, err);
    if (rc == 0)
        *out = reg_person_view(w.rec, a->role);
    json_decref(w.rec);
    return rc;
}

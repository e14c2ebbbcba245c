/* Watchlists of persons, vehicles and invalid documents: lists owned by an agency with a
 * legal basis and a validity period, entries added and removed (never deleted), and the
 * check a checkpoint runs against every list it may see. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

#define KEY_MAX 128

/* Upper-case letters and digits only: "10-AB-123" and "10 AB 123" are one plate. */
static void alnum_key(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; s && *s && n + 1 < cap; s++)
        if (isalnum((unsigned char)*s))
            out[n++] = (char)toupper((unsigned char)*s);
    out[n] = '\0';
}

static int list_kind_valid(const char *k)
{
    return k && (!strcmp(k, "person") || !strcmp(k, "vehicle") || !strcmp(k, "document"));
}

/* The agencies a list names, as a string ",A,B," so membership is one strstr. */
static int visible_to_text(const json_t *v, char *out, size_t cap, eyni_error *err)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 64)
        return eyni_error_set(err, EYNI_EFORMAT, "'visible_to' must list 1..64 agencies or \"*\"");
    size_t n = (size_t)snprintf(out, cap, ",");
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (!s || (strcmp(s, "*") != 0 && !reg_code_valid(s, 0)))
            return eyni_error_set(err, EYNI_EFORMAT, "visible_to[%zu] is not an agency code", i);
        n += (size_t)snprintf(out + n, cap - n, "%s,", s);
        if (n >= cap)
            return eyni_error_set(err, EYNI_ELIMIT, "'visible_to' is too long");
    }
    return 0;
}

typedef struct list_arg {
    const eyni_actor *a;
    const char *v[8]; /* code name kind legal_basis handling valid_from valid_to visible */
    char visible[1200];
} list_arg;

static int create_tx(eyni_db *db, void *p, eyni_error *err)
{
    list_arg *x = p;
    char now[32];
    eyni_time_now_iso(now);
    const char *vals[] = {x->v[0], x->v[1], x->v[2], x->a->agency, x->visible, x->v[3],
                          x->v[4], x->v[5], x->v[6], now, x->a->id};
    int rc = reg_exec1(db,
                       "INSERT INTO watchlists (code, name, kind, owner_agency, visible_to,"
                       " legal_basis, handling, valid_from, valid_to, created_at, created_by)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       vals, 11, err);
    if (rc == EYNI_EEXIST)
        return eyni_error_set(err, EYNI_EEXIST, "watchlist %s already exists", x->v[0]);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "watch.list.create", x->v[0], "ok", x->v[3], err);
    return rc;
}

static int check_list_fields(list_arg *x, const json_t *in, eyni_error *err)
{
    static const char *const keys[] = {"code",       "name",     "kind",       "legal_basis",
                                       "handling",   "valid_from", "valid_to", "visible_to",
                                       NULL};
    int rc = eyni_json_check_keys(in, keys, err);
    for (int i = 0; rc == 0 && i < 7; i++)
        rc = eyni_json_get_string(in, keys[i], EYNI_TEXT_MAX, &x->v[i], err);
    if (rc == 0 && !reg_code_valid(x->v[0], 0))
        rc = eyni_error_set(err, EYNI_EFORMAT, "list code must be 1..32 of A-Z, 0-9, '-', '_'");
    if (rc == 0 && (!x->v[1] || !x->v[3] || !x->v[1][0] || !x->v[3][0]))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a watchlist needs a name and a legal basis");
    if (rc == 0 && !list_kind_valid(x->v[2]))
        rc = eyni_error_set(err, EYNI_EFORMAT, "kind must be person, vehicle or document");
    for (int i = 5; rc == 0 && i < 7; i++)
        if (x->v[i] && eyni_date_parse(x->v[i], NULL, NULL, NULL, err))
            rc = eyni_error_prefix(err, "%s: ", keys[i]);
    if (rc == 0 && !x->v[5])
        rc = eyni_error_set(err, EYNI_EFORMAT, "'valid_from' is required");
    if (rc == 0)
        rc = visible_to_text(json_object_get(in, "visible_to"), x->visible, sizeof x->visible, err);
    return rc;
}

int eyni_register_watchlist_create(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                   json_t **out, eyni_error *err)
{
    list_arg x;
    memset(&x, 0, sizeof x);
    x.a = a;
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, "watchlist", err);
    if (rc == 0)
        rc = check_list_fields(&x, in, err);
    if (rc == 0)
        rc = reg_write_tx(reg, create_tx, &x, err);
    if (rc == 0)
        *out = json_pack("{s:s, s:s, s:s, s:s}", "code", x.v[0], "kind", x.v[2], "owner",
                         a->agency, "legal_basis", x.v[3]);
    return rc;
}

#define VISIBLE_SQL REG_WATCH_VISIBLE_SQL("")

static json_t *list_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s?, s:I}", "code",
                     eyni_stmt_text(st, 0), "name", eyni_stmt_text(st, 1), "kind",
                     eyni_stmt_text(st, 2), "owner", eyni_stmt_text(st, 3), "legal_basis",
                     eyni_stmt_text(st, 4), "handling", eyni_stmt_text(st, 5), "valid_from",
                     eyni_stmt_text(st, 6), "valid_to", eyni_stmt_text(st, 7), "entries",
                     (json_int_t)eyni_stmt_int64(st, 8));
}

int eyni_register_watchlist_list(eyni_register *reg, const eyni_actor *a, json_t **out,
                                 eyni_error *err)
{
    const char *vals[] = {a->agency, a->agency, eyni_role_name(a->role)};
    json_t *list = NULL;
    int rc = reg_require(reg, a, EYNI_OP_WATCH_READ, "watchlist", err);
    if (rc == 0)
        rc = reg_read_rows(reg,
                           "SELECT code, name, kind, owner_agency, legal_basis, handling,"
                           " valid_from, valid_to, (SELECT COUNT(*) FROM watch_entries e WHERE"
                           " e.list_id = w.id AND e.removed_at IS NULL) FROM watchlists w WHERE "
                           VISIBLE_SQL " ORDER BY code",
                           vals, 3, list_row, NULL, &list, err);
    if (rc == 0)
        *out = json_pack("{s:o}", "watchlists", list);
    return rc;
}

/* ---- entries ------------------------------------------------------------------------- */

typedef struct entry_arg {
    const eyni_actor *a;
    const char *list;
    long long list_id, entry;
    char kind[16];
    const json_t *in;
    json_t *record;
    char key1[KEY_MAX], key2[KEY_MAX];
    const char *birth_date, *fin, *nationality, *reason;
} entry_arg;

/* Finds a list the actor may see; EPERM for lists of others, ENOTFOUND for none. */
static int find_list(eyni_db *db, const eyni_actor *a, const char *code, long long *id,
                     char kind[16], int manage, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT id, kind, owner_agency, " VISIBLE_SQL
                             " FROM watchlists WHERE code = ?",
                             &st, err);
    const char *vals[] = {a->agency, a->agency, eyni_role_name(a->role), code};
    if (rc == 0)
        rc = reg_bind_texts(st, 1, vals, 4, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        *id = eyni_stmt_int64(st, 0);
        snprintf(kind, 16, "%s", eyni_stmt_text(st, 1));
        int owner = strcmp(eyni_stmt_text(st, 2), a->agency) == 0 || a->role == EYNI_ROLE_OPERATOR;
        int visible = eyni_stmt_int64(st, 3) != 0;
        rc = (manage ? owner : visible)
                 ? 0
                 : eyni_error_set(err, EYNI_EPERM, "watchlist %s belongs to another agency", code);
    } else if (rc == 0) {
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no watchlist %.32s", code ? code : "");
    }
    eyni_stmt_free(st);
    return rc;
}

static int person_keys(entry_arg *x, eyni_error *err)
{
    const json_t *in = x->in;
    const char *sn = json_string_value(json_object_get(in, "surname"));
    const char *gn = json_string_value(json_object_get(in, "given_name"));
    if (!sn || !gn)
        return eyni_error_set(err, EYNI_EFORMAT, "a person entry needs surname and given_name");
    int rc = reg_name_key(sn, x->key1, KEY_MAX, err);
    if (rc == 0)
        rc = reg_name_key(gn, x->key2, KEY_MAX, err);
    const json_t *var = json_object_get(in, "variants");
    if (rc == 0 && var && (!json_is_array(var) || json_array_size(var) > 20))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'variants' must be a list of up to 20 names");
    json_t *keys = json_array();
    for (size_t i = 0; rc == 0 && i < json_array_size(var); i++) {
        const char *v = json_string_value(json_array_get(var, i));
        char k[KEY_MAX];
        if (!v || strlen(v) > EYNI_NAME_MAX)
            rc = eyni_error_set(err, EYNI_EFORMAT, "variants[%zu] is not a name", i);
        else if ((rc = reg_name_key(v, k, sizeof k, err)) == 0)
            json_array_append_new(keys, json_string(k));
    }
    json_object_set_new(x->record, "variant_keys", keys);
    x->birth_date = json_string_value(json_object_get(in, "birth_date"));
    if (rc == 0 && x->birth_date && eyni_date_parse(x->birth_date, NULL, NULL, NULL, err))
        rc = eyni_error_prefix(err, "birth_date: ");
    x->fin = json_string_value(json_object_get(in, "fin"));
    x->nationality = json_string_value(json_object_get(in, "nationality"));
    if (rc == 0 && x->nationality && !reg_country_valid(x->nationality))
        rc = eyni_error_set(err, EYNI_EFORMAT, "nationality is not an ISO 3166-1 alpha-3 code");
    return rc;
}

static int entry_keys(entry_arg *x, eyni_error *err)
{
    static const char *const person[] = {"surname", "given_name", "variants", "birth_date",
                                         "nationality", "fin", "reason", NULL};
    static const char *const vehicle[] = {"plate", "vin", "make", "colour", "reason", NULL};
    static const char *const document[] = {"number", "issuing_state", "doc_type", "status",
                                           "reason", NULL};
    const char *const *keys = !strcmp(x->kind, "person")    ? person
                              : !strcmp(x->kind, "vehicle") ? vehicle
                                                            : document;
    int rc = eyni_json_check_keys(x->in, keys, err);
    for (int i = 0; rc == 0 && keys[i]; i++) {
        const json_t *v = json_object_get(x->in, keys[i]);
        if (v && !json_is_string(v) && strcmp(keys[i], "variants") != 0)
            rc = eyni_error_set(err, EYNI_EFORMAT, "field '%s' must be a string", keys[i]);
        else if (json_is_string(v) && (json_string_length(v) > EYNI_TEXT_MAX ||
                                       !eyni_utf8_valid(json_string_value(v), json_string_length(v))))
            rc = eyni_error_set(err, EYNI_EFORMAT, "field '%s' is too long or not text", keys[i]);
    }
    x->reason = json_string_value(json_object_get(x->in, "reason"));
    if (rc == 0 && (!x->reason || !x->reason[0]))
        rc = eyni_error_set(err, EYNI_EFORMAT, "every entry needs a 'reason'");
    x->record = json_deep_copy(x->in);
    if (rc || !strcmp(x->kind, "person"))
        return rc ? rc : person_keys(x, err);
    const char *k1 = json_string_value(json_object_get(x->in, !strcmp(x->kind, "vehicle")
                                                                  ? "plate" : "number"));
    const char *k2 = json_string_value(json_object_get(x->in, !strcmp(x->kind, "vehicle")
                                                                  ? "vin" : "issuing_state"));
    alnum_key(k1, x->key1, KEY_MAX);
    alnum_key(k2, x->key2, KEY_MAX);
    if (!x->key1[0] && !x->key2[0])
        return eyni_error_set(err, EYNI_EFORMAT, "a %s entry needs %s", x->kind,
                              !strcmp(x->kind, "vehicle") ? "a plate or a VIN" : "a number");
    return 0;
}

static int insert_entry(eyni_db *db, entry_arg *x, eyni_error *err)
{
    char now[32];
    eyni_time_now_iso(now);
    char *rec = json_dumps(x->record, JSON_COMPACT | JSON_SORT_KEYS);
    eyni_stmt *st = NULL;
    int rc = rec ? eyni_db_prepare(db,
                                   "INSERT INTO watch_entries (list_id, kind, key1, key2, birth_date,"
                                   " fin, nationality, record, reason, added_at, added_by)"
                                   " VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                                   &st, err)
                 : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    if (rc == 0) {
        const char *vals[] = {x->kind, x->key1, x->key2[0] ? x->key2 : NULL, x->birth_date,
                              x->fin, x->nationality, rec, x->reason, now, x->a->id};
        rc = eyni_stmt_bind_int64(st, 1, x->list_id, err);
        if (rc == 0)
            rc = reg_bind_texts(st, 2, vals, 10, err);
        if (rc == 0)
            rc = reg_step_id(st, &x->entry, err);
    }
    eyni_stmt_free(st);
    free(rec);
    return rc;
}

static int add_tx(eyni_db *db, void *p, eyni_error *err)
{
    entry_arg *x = p;
    int rc = find_list(db, x->a, x->list, &x->list_id, x->kind, 1, err);
    if (rc == 0)
        rc = entry_keys(x, err);
    if (rc == 0)
        rc = insert_entry(db, x, err);
    char obj[64];
    snprintf(obj, sizeof obj, "%s/%lld", x->list, x->entry);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "watch.add", obj, "ok", x->reason, err);
    return rc;
}

int reg_watch_add_in_tx(eyni_db *db, const eyni_actor *a, const char *list, const json_t *in,
                        eyni_error *err)
{
    entry_arg x;
    memset(&x, 0, sizeof x);
    x.a = a;
    x.list = list;
    x.in = in;
    int rc = add_tx(db, &x, err);
    json_decref(x.record);
    return rc;
}

int eyni_register_watch_add(eyni_register *reg, const eyni_actor *a, const char *list,
                            const json_t *in, json_t **out, eyni_error *err)
{
    entry_arg x;
    memset(&x, 0, sizeof x);
    x.a = a;
    x.list = list;
    x.in = in;
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, list, err);
    if (rc == 0 && !json_is_object(in))
        rc = eyni_error_set(err, EYNI_EFORMAT, "entry must be a JSON object");
    if (rc == 0)
        rc = reg_write_tx(reg, add_tx, &x, err);
    if (rc == 0) {
        json_object_del(x.record, "variant_keys");
        *out = json_pack("{s:s, s:I, s:s, s:O}", "list", list, "entry", (json_int_t)x.entry,
                         "kind", x.kind, "record", x.record);
    }
    json_decref(x.record);
    return rc;
}

typedef struct remove_arg {
    const eyni_actor *a;
    const char *list, *reason;
    long long entry;
} remove_arg;

static int remove_tx(eyni_db *db, void *p, eyni_error *err)
{
    remove_arg *x = p;
    long long id;
    char kind[16], now[32];
    int rc = find_list(db, x->a, x->list, &id, kind, 1, err);
    eyni_time_now_iso(now);
    eyni_stmt *st = NULL;
    if (rc == 0)
        rc = eyni_db_prepare(db,
                             "UPDATE watch_entries SET removed_at = ?, removed_by = ?,"
                             " removed_reason = ? WHERE id = ? AND list_id = ? AND removed_at IS NULL"
                             " RETURNING id",
                             &st, err);
    if (rc == 0) {
        const char *vals[] = {now, x->a->id, x->reason};
        rc = reg_bind_texts(st, 1, vals, 3, err);
        if (rc == 0)
            rc = eyni_stmt_bind_int64(st, 4, x->entry, err);
        if (rc == 0)
            rc = eyni_stmt_bind_int64(st, 5, id, err);
        if (rc == 0)
            rc = eyni_stmt_step(st, err);
        if (rc == 0)
            rc = eyni_error_set(err, EYNI_ENOTFOUND, "no active entry %lld in %s", x->entry,
                                x->list);
        else if (rc == 1)
            rc = 0;
    }
    eyni_stmt_free(st);
    char obj[64];
    snprintf(obj, sizeof obj, "%s/%lld", x->list, x->entry);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "watch.remove", obj, "ok", x->reason, err);
    return rc;
}

int eyni_register_watch_remove(eyni_register *reg, const eyni_actor *a, const char *list,
                               long long entry, const char *reason, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_WATCH_MANAGE, list, err);
    if (rc == 0 && (!reason || !reason[0] || strlen(reason) > EYNI_TEXT_MAX))
        rc = eyni_error_set(err, EYNI_EFORMAT, "removing an entry needs a reason");
    remove_arg x = {a, list, reason, entry};
    return rc ? rc : reg_write_tx(reg, remove_tx, &x, err);
}

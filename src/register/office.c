/* Offices: registration, passport and ID offices, consulates, checkpoints and the printer,
 * the places blanks and documents move between. */
#include <ctype.h>
#include <string.h>

#include "register_int.h"

int reg_code_valid(const char *s, int lower)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int ok = isdigit((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' ||
                 (lower ? islower((unsigned char)s[i]) : isupper((unsigned char)s[i]));
        if (!ok)
            return 0;
    }
    return 1;
}

static int kind_valid(const char *s)
{
    static const char *const kinds[] = {"central", "passport", "id",      "consulate",
                                        "border",  "printer",  "registry", NULL};
    for (int i = 0; s && kinds[i]; i++)
        if (strcmp(s, kinds[i]) == 0)
            return 1;
    return 0;
}

typedef struct office_arg {
    const eyni_actor *a;
    const char *code, *name, *kind;
} office_arg;

static int create_tx(eyni_db *db, void *p, eyni_error *err)
{
    office_arg *o = p;
    char now[32];
    eyni_time_now_iso(now);
    const char *vals[] = {o->code, o->name, o->kind, now};
    int rc = reg_exec1(db, "INSERT INTO offices (code, name, kind, created_at) VALUES (?,?,?,?)",
                       vals, 4, err);
    if (rc == EYNI_EEXIST)
        return eyni_error_set(err, EYNI_EEXIST, "office %s already exists", o->code);
    if (rc == 0)
        rc = reg_audit_append(db, o->a, "office.create", o->code, "ok", o->name, err);
    return rc;
}

int eyni_register_office_create(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                json_t **out, eyni_error *err)
{
    static const char *const keys[] = {"code", "name", "kind", NULL};
    office_arg o = {a, NULL, NULL, NULL};
    int rc = reg_require(reg, a, EYNI_OP_OFFICE_MANAGE, "office", err);
    if (rc == 0)
        rc = eyni_json_check_keys(in, keys, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "code", 32, &o.code, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "name", EYNI_TEXT_MAX, &o.name, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "kind", 32, &o.kind, err);
    if (rc == 0 && !reg_code_valid(o.code, 0))
        rc = eyni_error_set(err, EYNI_EFORMAT, "office code must be 1..32 of A-Z, 0-9, '-', '_'");
    if (rc == 0 && (!o.name || !o.name[0]))
        rc = eyni_error_set(err, EYNI_EFORMAT, "office needs a name");
    if (rc == 0 && !kind_valid(o.kind))
        rc = eyni_error_set(err, EYNI_EFORMAT, "office kind must be central, passport, id, "
                                               "consulate, border, printer or registry");
    if (rc == 0)
        rc = reg_write_tx(reg, create_tx, &o, err);
    if (rc == 0)
        *out = json_pack("{s:s, s:s, s:s}", "code", o.code, "name", o.name, "kind", o.kind);
    return rc;
}

static json_t *office_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:s, s:s, s:s}", "code", eyni_stmt_text(st, 0), "name",
                     eyni_stmt_text(st, 1), "kind", eyni_stmt_text(st, 2));
}

int eyni_register_office_list(eyni_register *reg, const eyni_actor *a, json_t **out,
                              eyni_error *err)
{
    json_t *list = NULL;
    int rc = reg_read_rows(reg, "SELECT code, name, kind FROM offices ORDER BY code", NULL, 0,
                           office_row, NULL, &list, err);
    if (rc == 0)
        *out = json_pack("{s:o}", "offices", list);
    return rc;
}

int reg_office_exists(eyni_db *db, const char *code, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, "SELECT 1 FROM offices WHERE code = ?", &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_text(st, 1, code, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    if (rc == 0)
        return eyni_error_set(err, EYNI_ENOTFOUND, "no office '%.32s'", code ? code : "");
    return rc < 0 ? rc : 0;
}

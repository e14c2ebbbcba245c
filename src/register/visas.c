/* Visas for foreign travellers (with their MRV-A / MRV-B machine readable zone) and
 * residence registration of citizens and foreigners; a foreigner's registration is the
 * residence permit. A citizen's (or a registered foreigner's) registration also becomes
 * the person's current residence and enters the residence history of the register. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "eyni/border.h"
#include "eyni/mrtd.h"
#include "register_int.h"

#define VISA_NUMBER_MAX     9 /* the MRV document number field holds nine characters */
#define PASSPORT_NUMBER_MAX 22
#define STAY_DAYS_MAX       3650
#define ENTRIES_MAX         99

static int alnum_upper(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isdigit((unsigned char)s[i]) || (s[i] >= 'A' && s[i] <= 'Z')))
            return 0;
    return 1;
}

static int date_field(const char *s, const char *key, eyni_error *err)
{
    if (!s)
        return eyni_error_set(err, EYNI_EFORMAT, "field '%s' is required", key);
    return eyni_date_parse(s, NULL, NULL, NULL, err) ? eyni_error_prefix(err, "field '%s': ", key)
                                                     : 0;
}

static void yymmdd(const char *iso, char out[7])
{
    snprintf(out, 7, "%.2s%.2s%.2s", iso + 2, iso + 5, iso + 8);
}

/* ---- visas ----------------------------------------------------------------------------- */

typedef struct visa_arg {
    eyni_register *reg;
    const eyni_actor *a;
    const char *v[11]; /* number type format passport_number nationality surname given_name
                          birth_date sex valid_from valid_until */
    long long entries, stay_days, id;
    char mrz[100];
} visa_arg;

static const char *const visa_keys[] = {
    "number",     "type", "format",     "passport_number", "nationality", "surname",   "given_name",
    "birth_date", "sex",  "valid_from", "valid_until",     "entries",     "stay_days", NULL};

static int visa_integers(visa_arg *x, const json_t *in, eyni_error *err)
{
    const json_t *e = json_object_get(in, "entries"), *s = json_object_get(in, "stay_days");
    if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > ENTRIES_MAX)
        return eyni_error_set(err, EYNI_EFORMAT, "field 'entries' must be 0 (multiple) or 1..%d",
                              ENTRIES_MAX);
    if (!json_is_integer(s) || json_integer_value(s) < 1 || json_integer_value(s) > STAY_DAYS_MAX)
        return eyni_error_set(err, EYNI_EFORMAT, "field 'stay_days' must be 1..%d", STAY_DAYS_MAX);
    x->entries = json_integer_value(e);
    x->stay_days = json_integer_value(s);
    return 0;
}

static int visa_validate(visa_arg *x, const json_t *in, eyni_error *err)
{
    int rc = json_is_object(in) ? eyni_json_check_keys(in, visa_keys, err)
                                : eyni_error_set(err, EYNI_EFORMAT, "visa must be an object");
    for (int i = 0; rc == 0 && i < 11; i++)
        rc = eyni_json_get_string(in, visa_keys[i], EYNI_TEXT_MAX, &x->v[i], err);
    if (rc)
        return rc;
    if (!x->v[2])
        x->v[2] = "MRV-A";
    if (!alnum_upper(x->v[0], VISA_NUMBER_MAX))
        return eyni_error_set(err, EYNI_EFORMAT, "field 'number' must be 1..%d of A-Z 0-9",
                              VISA_NUMBER_MAX);
    if (!x->v[1] || strlen(x->v[1]) != 1 || !strchr("ACD", x->v[1][0]))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "field 'type' must be A (airport transit), C (short stay) or D "
                              "(long stay)");
    if (strcmp(x->v[2], "MRV-A") && strcmp(x->v[2], "MRV-B"))
        return eyni_error_set(err, EYNI_EFORMAT, "field 'format' must be MRV-A or MRV-B");
    if (!alnum_upper(x->v[3], PASSPORT_NUMBER_MAX))
        return eyni_error_set(err, EYNI_EFORMAT, "field 'passport_number' must be 1..%d of A-Z 0-9",
                              PASSPORT_NUMBER_MAX);
    if (!x->v[4] || !reg_country_valid(x->v[4]))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "field 'nationality' must be an ISO 3166-1 alpha-3 code");
    if (!strcmp(x->v[4], x->reg->country))
        return eyni_error_set(err, EYNI_EFORMAT, "a citizen of %s needs no visa", x->v[4]);
    if (!x->v[5] || !x->v[5][0] || !x->v[6])
        return eyni_error_set(err, EYNI_EFORMAT, "a visa needs 'surname' and 'given_name'");
    if (!x->v[8] || (strcmp(x->v[8], "M") && strcmp(x->v[8], "F") && strcmp(x->v[8], "X")))
        return eyni_error_set(err, EYNI_EFORMAT, "field 'sex' must be M, F or X");
    static const int dates[] = {7, 9, 10};
    for (int i = 0; rc == 0 && i < 3; i++)
        rc = date_field(x->v[dates[i]], visa_keys[dates[i]], err);
    if (rc == 0 && strcmp(x->v[10], x->v[9]) < 0)
        rc = eyni_error_set(err, EYNI_EFORMAT, "a visa cannot end before it starts");
    return rc ? rc : visa_integers(x, in, err);
}

static int visa_mrz(visa_arg *x, eyni_error *err)
{
    char code[3] = {'V', x->v[1][0], '\0'}, birth[7], until[7];
    yymmdd(x->v[7], birth);
    yymmdd(x->v[10], until);
    eyni_mrz_fields f = {!strcmp(x->v[2], "MRV-A") ? EYNI_MRZ_MRVA : EYNI_MRZ_MRVB,
                         code,
                         x->reg->country,
                         x->v[5],
                         x->v[6],
                         x->v[0],
                         x->v[4],
                         birth,
                         x->v[8],
                         until,
                         NULL,
                         NULL};
    return eyni_mrz_build(&f, x->mrz, sizeof x->mrz, err) ? eyni_error_prefix(err, "MRZ: ") : 0;
}

static int visa_tx(eyni_db *db, void *p, eyni_error *err)
{
    visa_arg *x = p;
    char now[32], entries[8], stay[8];
    eyni_time_now_iso(now);
    snprintf(entries, sizeof entries, "%lld", x->entries);
    snprintf(stay, sizeof stay, "%lld", x->stay_days);
    eyni_stmt *st;
    int rc =
        eyni_db_prepare(db,
                        "INSERT INTO visas (number, type, format, passport_number, nationality,"
                        " surname, given_name, birth_date, sex, valid_from, valid_until,"
                        " entries, stay_days, mrz, status, created_at, created_by, agency)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?, CAST(? AS INTEGER),"
                        " CAST(? AS INTEGER), ?, 'valid', ?, ?, ?) RETURNING id",
                        &st, err);
    if (rc)
        return rc;
    const char *tail[] = {entries, stay, x->mrz, now, x->a->id, x->a->agency};
    rc = reg_bind_texts(st, 1, x->v, 11, err);
    if (rc == 0)
        rc = reg_bind_texts(st, 12, tail, 6, err);
    if (rc == 0)
        rc = reg_step_id(st, &x->id, err);
    eyni_stmt_free(st);
    if (rc == EYNI_EEXIST)
        return eyni_error_set(err, EYNI_EEXIST, "visa %s is already recorded", x->v[0]);
    char obj[48];
    snprintf(obj, sizeof obj, "visa/%s", x->v[0]);
    return rc ? rc : reg_audit_append(db, x->a, "visa.issue", obj, "ok", x->v[3], err);
}

int eyni_border_visa_issue(eyni_register *reg, const eyni_actor *a, const json_t *in, json_t **out,
                           eyni_error *err)
{
    visa_arg x;
    memset(&x, 0, sizeof x);
    x.reg = reg;
    x.a = a;
    int rc = reg_require(reg, a, EYNI_OP_VISA_MANAGE, "visa", err);
    if (rc == 0)
        rc = visa_validate(&x, in, err);
    if (rc == 0)
        rc = visa_mrz(&x, err);
    if (rc == 0)
        rc = reg_write_tx(reg, visa_tx, &x, err);
    if (rc)
        return rc;
    *out = json_deep_copy(in);
    json_object_set_new(*out, "format", json_string(x.v[2]));
    json_object_set_new(*out, "mrz", json_string(x.mrz));
    json_object_set_new(*out, "status", json_string("valid"));
    json_object_set_new(*out, "id", json_integer(x.id));
    return 0;
}

typedef struct revoke_arg {
    const eyni_actor *a;
    const char *number, *reason;
} revoke_arg;

static int revoke_tx(eyni_db *db, void *p, eyni_error *err)
{
    revoke_arg *x = p;
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "UPDATE visas SET status = 'revoked' WHERE number = ?"
                             " AND status = 'valid' RETURNING id",
                             &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_text(st, 1, x->number, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    if (rc == 0)
        return eyni_error_set(err, EYNI_ENOTFOUND, "no valid visa %s", x->number);
    char obj[48];
    snprintf(obj, sizeof obj, "visa/%s", x->number);
    return rc < 0 ? rc : reg_audit_append(db, x->a, "visa.revoke", obj, "ok", x->reason, err);
}

int eyni_border_visa_revoke(eyni_register *reg, const eyni_actor *a, const char *number,
                            const char *reason, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_VISA_MANAGE, number, err);
    if (rc == 0 && !alnum_upper(number, VISA_NUMBER_MAX))
        rc = eyni_error_set(err, EYNI_EFORMAT, "visa number must be 1..%d of A-Z 0-9",
                            VISA_NUMBER_MAX);
    if (rc == 0 && (!reason || !reason[0]))
        rc = eyni_error_set(err, EYNI_EFORMAT, "revoking a visa needs a reason");
    revoke_arg x = {a, number, reason};
    return rc ? rc : reg_write_tx(reg, revoke_tx, &x, err);
}

static json_t *visa_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s,"
                     " s:s}",
                     "number", eyni_stmt_text(st, 0), "type", eyni_stmt_text(st, 1), "format",
                     eyni_stmt_text(st, 2), "passport_number", eyni_stmt_text(st, 3), "nationality",
                     eyni_stmt_text(st, 4), "surname", eyni_stmt_text(st, 5), "given_name",
                     eyni_stmt_text(st, 6), "birth_date", eyni_stmt_text(st, 7), "sex",
                     eyni_stmt_text(st, 8), "valid_from", eyni_stmt_text(st, 9), "valid_until",
                     eyni_stmt_text(st, 10), "entries", (json_int_t)eyni_stmt_int64(st, 11),
                     "stay_days", (json_int_t)eyni_stmt_int64(st, 12), "mrz",
                     eyni_stmt_text(st, 13), "status", eyni_stmt_text(st, 14));
}

#define VISA_COLUMNS                                                                               \
    "SELECT number, type, format, passport_number, nationality, surname, given_name,"              \
    " birth_date, sex, valid_from, valid_until, entries, stay_days, mrz, status FROM visas"

int eyni_border_visas(eyni_register *reg, const eyni_actor *a, const char *passport,
                      const char *nationality, const char *number, json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_VISA_READ, passport ? passport : "visas", err);
    if (rc == 0 && !passport && !number)
        rc = eyni_error_set(err, EYNI_EFORMAT, "visas are looked up by passport or visa number");
    if (rc)
        return rc;
    const char *vals[] = {passport, passport, nationality, nationality, number, number};
    json_t *list = NULL;
    rc = reg_read_rows(reg,
                       VISA_COLUMNS " WHERE (? IS NULL OR passport_number = ?)"
                                    " AND (? IS NULL OR nationality = ?)"
                                    " AND (? IS NULL OR number = ?) ORDER BY valid_from DESC, id"
                                    " LIMIT 1000",
                       vals, 6, visa_row, NULL, &list, err);
    if (rc == 0)
        rc = eyni_register_audit_event(reg, a, "visa.read", passport ? passport : number, "ok",
                                       NULL, err);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o, s:i}", "visas", list, "count", (int)json_array_size(list));
    return 0;
}

/* ---- residence registration ------------------------------------------------------------ */

typedef struct residence_arg {
    eyni_register *reg;
    const eyni_actor *a;
    const char *v[9]; /* fin document_number nationality surname given_name address since
                         until reason */
    const char *kind;
    long long id;
} residence_arg;

static const char *const residence_keys[] = {
    "fin",     "document_number", "nationality", "surname", "given_name",
    "address", "since",           "until",       "reason",  NULL};

static int residence_validate(residence_arg *x, const json_t *in, eyni_error *err)
{
    int rc = json_is_object(in) ? eyni_json_check_keys(in, residence_keys, err)
                                : eyni_error_set(err, EYNI_EFORMAT, "residence must be an object");
    for (int i = 0; rc == 0 && i < 9; i++)
        rc = eyni_json_get_string(in, residence_keys[i], EYNI_TEXT_MAX, &x->v[i], err);
    if (rc)
        return rc;
    const char **v = x->v;
    if (!v[2])
        v[2] = x->reg->country;
    if (!reg_country_valid(v[2]))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "field 'nationality' must be an ISO 3166-1 alpha-3 code");
    x->kind = !strcmp(v[2], x->reg->country) ? "citizen" : "permit";
    if (v[0] && !reg_fin_wellformed(x->reg, v[0]))
        return eyni_error_set(err, EYNI_EFORMAT, "field 'fin' is not a well-formed FIN");
    if (!strcmp(x->kind, "citizen") && !v[0])
        return eyni_error_set(err, EYNI_EFORMAT, "a citizen's residence needs the FIN");
    if (!strcmp(x->kind, "permit") &&
        (!alnum_upper(v[1], PASSPORT_NUMBER_MAX) || !v[7] || !v[3] || !v[3][0]))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "a foreigner's residence (permit) needs document_number (A-Z 0-9),"
                              " surname and until");
    if (!v[5] || !v[5][0] || !eyni_utf8_valid(v[5], strlen(v[5])))
        return eyni_error_set(err, EYNI_EFORMAT, "field 'address' is required text");
    rc = date_field(v[6], "since", err);
    if (rc == 0 && v[7])
        rc = date_field(v[7], "until", err);
    if (rc == 0 && v[7] && strcmp(v[7], v[6]) < 0)
        rc = eyni_error_set(err, EYNI_EFORMAT, "a residence cannot end before it starts");
    return rc;
}

static int residence_tx(eyni_db *db, void *p, eyni_error *err)
{
    residence_arg *x = p;
    char now[32];
    eyni_time_now_iso(now);
    int rc = 0;
    if (x->v[0]) { /* the register's person: current residence and its history */
        json_t *upd = json_pack("{s:{s:s, s:s}, s:s}", "residence", "address", x->v[5], "since",
                                x->v[6], "reason", x->v[8] ? x->v[8] : "residence registration");
        rc = upd ? reg_person_validate(upd, 0, err) : eyni_error_set(err, EYNI_ENOMEM, "oom");
        if (rc == 0)
            rc = reg_person_update_in_tx(db, x->a, x->v[0], upd, err);
        json_decref(upd);
        if (rc)
            return rc;
    }
    eyni_stmt *st;
    rc = eyni_db_prepare(db,
                         "INSERT INTO residences (kind, fin, document_number, nationality, surname,"
                         " given_name, address, since, until, created_at, created_by, agency)"
                         " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                         &st, err);
    if (rc)
        return rc;
    const char *vals[] = {x->kind, x->v[0], x->v[1], x->v[2], x->v[3],  x->v[4],
                          x->v[5], x->v[6], x->v[7], now,     x->a->id, x->a->agency};
    rc = reg_bind_texts(st, 1, vals, 12, err);
    if (rc == 0)
        rc = reg_step_id(st, &x->id, err);
    eyni_stmt_free(st);
    char obj[48];
    snprintf(obj, sizeof obj, "residence/%lld", x->id);
    return rc ? rc : reg_audit_append(db, x->a, "residence.register", obj, "ok", x->kind, err);
}

int eyni_border_residence_register(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                   json_t **out, eyni_error *err)
{
    residence_arg x;
    memset(&x, 0, sizeof x);
    x.reg = reg;
    x.a = a;
    int rc = reg_require(reg, a, EYNI_OP_RESIDENCE_MANAGE, "residence", err);
    if (rc == 0)
        rc = residence_validate(&x, in, err);
    if (rc == 0)
        rc = reg_write_tx(reg, residence_tx, &x, err);
    if (rc)
        return rc;
    *out = json_deep_copy(in);
    json_object_set_new(*out, "nationality", json_string(x.v[2]));
    json_object_set_new(*out, "kind", json_string(x.kind));
    json_object_set_new(*out, "id", json_integer(x.id));
    return 0;
}

static json_t *residence_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:I, s:s, s:s?, s:s?, s:s, s:s?, s:s?, s:s, s:s, s:s?, s:s}", "id",
                     (json_int_t)eyni_stmt_int64(st, 0), "kind", eyni_stmt_text(st, 1), "fin",
                     eyni_stmt_text(st, 2), "document_number", eyni_stmt_text(st, 3), "nationality",
                     eyni_stmt_text(st, 4), "surname", eyni_stmt_text(st, 5), "given_name",
                     eyni_stmt_text(st, 6), "address", eyni_stmt_text(st, 7), "since",
                     eyni_stmt_text(st, 8), "until", eyni_stmt_text(st, 9), "registered_at",
                     eyni_stmt_text(st, 10));
}

int eyni_border_residences(eyni_register *reg, const eyni_actor *a, const char *fin,
                           const char *document, json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_RESIDENCE_READ, fin ? fin : document, err);
    if (rc == 0 && !fin && !document)
        rc = eyni_error_set(err, EYNI_EFORMAT, "residences are looked up by FIN or document");
    if (rc)
        return rc;
    const char *vals[] = {fin, fin, document, document};
    json_t *list = NULL;
    rc = reg_read_rows(reg,
                       "SELECT id, kind, fin, document_number, nationality, surname, given_name,"
                       " address, since, until, created_at FROM residences"
                       " WHERE (? IS NULL OR fin = ?) AND (? IS NULL OR document_number = ?)"
                       " ORDER BY since DESC, id DESC LIMIT 1000",
                       vals, 4, residence_row, NULL, &list, err);
    if (rc == 0)
        rc = eyni_register_audit_event(reg, a, "residence.read", fin ? fin : document, "ok", NULL,
                                       err);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = json_pack("{s:o, s:i}", "residences", list, "count", (int)json_array_size(list));
    return 0;
}

/* Entry and exit bans set by law: who, which direction, from when to when, on what legal
 * basis and by which authority. Bans are lifted, never deleted. */
#include <string.h>

#include "register_int.h"

#define KEY_MAX 128

typedef struct ban_arg {
    const eyni_actor *a;
    const char *v[10]; /* fin surname given_name birth_date nationality direction starts ends
                          legal_basis authority */
    char sk[KEY_MAX], gk[KEY_MAX];
    long long id;
    const char *reason;
} ban_arg;

static const char *const ban_keys[] = {"fin",    "surname", "given_name", "birth_date",
                                       "nationality", "direction", "starts", "ends",
                                       "legal_basis", "authority", NULL};

static int check_ban(ban_arg *b, const json_t *in, eyni_error *err)
{
    int rc = eyni_json_check_keys(in, ban_keys, err);
    for (int i = 0; rc == 0 && i < 10; i++)
        rc = eyni_json_get_string(in, ban_keys[i], EYNI_TEXT_MAX, &b->v[i], err);
    if (rc == 0 && (!b->v[1] || !b->v[2]))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a ban needs surname and given_name");
    if (rc == 0 && (!b->v[5] || (strcmp(b->v[5], "entry") && strcmp(b->v[5], "exit") &&
                                 strcmp(b->v[5], "both"))))
        rc = eyni_error_set(err, EYNI_EFORMAT, "direction must be entry, exit or both");
    if (rc == 0 && (!b->v[6] || !b->v[8] || !b->v[9] || !b->v[8][0] || !b->v[9][0]))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a ban needs starts, legal_basis and authority");
    static const int dates[] = {3, 6, 7};
    for (int i = 0; rc == 0 && i < 3; i++)
        if (b->v[dates[i]] && eyni_date_parse(b->v[dates[i]], NULL, NULL, NULL, err))
            rc = eyni_error_prefix(err, "%s: ", ban_keys[dates[i]]);
    if (rc == 0 && b->v[7] && strcmp(b->v[7], b->v[6]) < 0)
        rc = eyni_error_set(err, EYNI_EFORMAT, "a ban cannot end before it starts");
    if (rc == 0 && b->v[4] && !reg_country_valid(b->v[4]))
        rc = eyni_error_set(err, EYNI_EFORMAT, "nationality is not an ISO 3166-1 alpha-3 code");
    if (rc == 0)
        rc = reg_name_key(b->v[1], b->sk, KEY_MAX, err);
    if (rc == 0)
        rc = reg_name_key(b->v[2], b->gk, KEY_MAX, err);
    return rc;
}

static int create_tx(eyni_db *db, void *p, eyni_error *err)
{
    ban_arg *b = p;
    char now[32];
    eyni_time_now_iso(now);
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO bans (fin, surname, given_name, birth_date, nationality,"
                             " direction, starts, ends, legal_basis, authority, surname_key,"
                             " given_key, created_at, created_by)"
                             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                             &st, err);
    if (rc)
        return rc;
    const char *tail[] = {b->sk, b->gk, now, b->a->id};
    rc = reg_bind_texts(st, 1, b->v, 10, err);
    if (rc == 0)
        rc = reg_bind_texts(st, 11, tail, 4, err);
    if (rc == 0)
        rc = reg_step_id(st, &b->id, err);
    eyni_stmt_free(st);
    char obj[32];
    snprintf(obj, sizeof obj, "ban/%lld", b->id);
    if (rc == 0)
        rc = reg_audit_append(db, b->a, "ban.create", obj, "ok", b->v[8], err);
    return rc;
}

int eyni_register_ban_create(eyni_register *reg, const eyni_actor *a, const json_t *in,
                             json_t **out, eyni_error *err)
{
    ban_arg b;
    memset(&b, 0, sizeof b);
    b.a = a;
    int rc = reg_require(reg, a, EYNI_OP_BAN_MANAGE, "ban", err);
    if (rc == 0)
        rc = json_is_object(in) ? check_ban(&b, in, err)
                                : eyni_error_set(err, EYNI_EFORMAT, "ban must be an object");
    if (rc == 0)
        rc = reg_write_tx(reg, create_tx, &b, err);
    if (rc == 0) {
        *out = json_deep_copy(in);
        json_object_set_new(*out, "id", json_integer(b.id));
    }
    return rc;
}

static int lift_tx(eyni_db *db, void *p, eyni_error *err)
{
    ban_arg *b = p;
    char now[32], obj[32];
    eyni_time_now_iso(now);
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "UPDATE bans SET lifted_at = ?, lifted_by = ?, lift_reason = ?"
                             " WHERE id = ? AND lifted_at IS NULL RETURNING id",
                             &st, err);
    if (rc)
        return rc;
    const char *vals[] = {now, b->a->id, b->reason};
    rc = reg_bind_texts(st, 1, vals, 3, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 4, b->id, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    if (rc == 0)
        return eyni_error_set(err, EYNI_ENOTFOUND, "no ban %lld in force", b->id);
    snprintf(obj, sizeof obj, "ban/%lld", b->id);
    return rc < 0 ? rc : reg_audit_append(db, b->a, "ban.lift", obj, "ok", b->reason, err);
}

int eyni_register_ban_lift(eyni_register *reg, const eyni_actor *a, long long id,
                           const char *reason, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_BAN_MANAGE, "ban", err);
    if (rc == 0 && (!reason || !reason[0] || strlen(reason) > EYNI_TEXT_MAX))
        rc = eyni_error_set(err, EYNI_EFORMAT, "lifting a ban needs a reason");
    ban_arg b;
    memset(&b, 0, sizeof b);
    b.a = a;
    b.id = id;
    b.reason = reason;
    return rc ? rc : reg_write_tx(reg, lift_tx, &b, err);
}

typedef struct ban_check {
    const eyni_actor *a;
    const char *fin, *birth_date, *date, *direction;
    char sk[KEY_MAX], gk[KEY_MAX];
    json_t *bans;
} ban_check;

static int person_matches(const ban_check *c, eyni_stmt *st)
{
    const char *fin = eyni_stmt_text(st, 1), *bd = eyni_stmt_text(st, 4);
    if (c->fin && fin)
        return strcmp(c->fin, fin) == 0;
    if (!c->sk[0])
        return 0;
    if (c->birth_date && bd && strcmp(c->birth_date, bd) != 0)
        return 0;
    return reg_name_similarity(c->sk, eyni_stmt_text(st, 11)) >= 0.8 &&
           (!c->gk[0] || reg_name_similarity(c->gk, eyni_stmt_text(st, 12)) >= 0.8);
}

static int check_tx(eyni_db *db, void *p, eyni_error *err)
{
    ban_check *c = p;
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT id, fin, surname, given_name, birth_date, nationality, direction,"
                             " starts, ends, legal_basis, authority, surname_key, given_key FROM bans"
                             " WHERE lifted_at IS NULL AND starts <= ? AND (ends IS NULL OR ends >= ?)"
                             " AND (direction = 'both' OR direction = ?)",
                             &st, err);
    if (rc)
        return rc;
    const char *vals[] = {c->date, c->date, c->direction};
    rc = reg_bind_texts(st, 1, vals, 3, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        rc = 0;
        if (!person_matches(c, st))
            continue;
        json_array_append_new(
            c->bans, json_pack("{s:I, s:s?, s:s, s:s, s:s?, s:s, s:s, s:s?, s:s, s:s}", "id",
                               (json_int_t)eyni_stmt_int64(st, 0), "fin", eyni_stmt_text(st, 1),
                               "surname", eyni_stmt_text(st, 2), "given_name",
                               eyni_stmt_text(st, 3), "birth_date", eyni_stmt_text(st, 4),
                               "direction", eyni_stmt_text(st, 6), "starts", eyni_stmt_text(st, 7),
                               "ends", eyni_stmt_text(st, 8), "legal_basis",
                               eyni_stmt_text(st, 9), "authority", eyni_stmt_text(st, 10)));
    }
    eyni_stmt_free(st);
    if (rc < 0)
        return rc;
    char detail[32];
    snprintf(detail, sizeof detail, "%zu bans", json_array_size(c->bans));
    return reg_audit_append(db, c->a, "ban.check", c->fin ? c->fin : "bans", "ok", detail, err);
}

int eyni_register_ban_check(eyni_register *reg, const eyni_actor *a, const json_t *person,
                            const char *date, const char *direction, json_t **out,
                            eyni_error *err)
{
    ban_check c;
    memset(&c, 0, sizeof c);
    c.a = a;
    c.date = date;
    c.direction = direction;
    int rc = reg_require(reg, a, EYNI_OP_BAN_READ, "bans", err);
    if (rc == 0 && eyni_date_parse(date, NULL, NULL, NULL, err))
        rc = eyni_error_prefix(err, "date: ");
    if (rc == 0 && (!direction || (strcmp(direction, "entry") && strcmp(direction, "exit"))))
        rc = eyni_error_set(err, EYNI_EFORMAT, "direction must be entry or exit");
    c.fin = json_string_value(json_object_get(person, "fin"));
    c.birth_date = json_string_value(json_object_get(person, "birth_date"));
    const char *sn = json_string_value(json_object_get(person, "surname"));
    const char *gn = json_string_value(json_object_get(person, "given_name"));
    if (rc == 0 && !c.fin && !sn)
        rc = eyni_error_set(err, EYNI_EFORMAT, "a ban check needs a FIN or a surname");
    if (rc == 0 && sn)
        rc = reg_name_key(sn, c.sk, KEY_MAX, err);
    if (rc == 0 && gn)
        rc = reg_name_key(gn, c.gk, KEY_MAX, err);
    c.bans = json_array();
    if (rc == 0)
        rc = reg_write_tx(reg, check_tx, &c, err);
    if (rc) {
        json_decref(c.bans);
        return rc;
    }
    *out = json_pack("{s:o}", "bans", c.bans);
    return 0;
}

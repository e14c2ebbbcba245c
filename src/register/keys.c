/* API keys: "eyni_<id>_<secret>", bound to an agency and a role. Only SHA-256 of the
 * 256-bit secret is stored; a high-entropy secret needs no slow password hash. */
#include <ctype.h>
#include <string.h>

#include "register_int.h"

#define KEY_ID_BYTES 6      /* 12 hex characters */
#define KEY_SECRET_BYTES 32 /* 64 hex characters */

static int agency_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-' ||
              s[i] == '_'))
            return 0;
    return 1;
}

typedef struct key_arg {
    const eyni_actor *a;
    const char *id, *agency, *role, *label;
    unsigned char hash[32];
    char now[32];
    int found;
} key_arg;

static int create_tx(eyni_db *db, void *p, eyni_error *err)
{
    key_arg *k = p;
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO api_keys (id, secret_hash, agency, role, label,"
                             " created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             &st, err);
    if (rc)
        return rc;
    const char *tail[] = {k->agency, k->role, k->label, k->now, k->a->id};
    rc = eyni_stmt_bind_text(st, 1, k->id, err);
    if (rc == 0)
        rc = eyni_stmt_bind_blob(st, 2, k->hash, sizeof k->hash, err);
    if (rc == 0)
        rc = reg_bind_texts(st, 3, tail, 5, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    if (rc < 0)
        return rc;
    char detail[96];
    snprintf(detail, sizeof detail, "agency=%s role=%s", k->agency, k->role);
    return reg_audit_append(db, k->a, "key.create", k->id, "ok", detail, err);
}

int eyni_register_key_create(eyni_register *reg, const eyni_actor *a, const char *agency,
                             const char *role, const char *label, char token[EYNI_KEY_TOKEN_MAX],
                             json_t **info, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_KEY_MANAGE, "key", err);
    if (rc)
        return rc;
    eyni_role r = eyni_role_parse(role);
    if (!agency_valid(agency))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "agency '%.40s' must be 1..32 of A-Z, 0-9, '-' and '_'",
                              agency ? agency : "");
    if (r == EYNI_ROLE_NONE || r == EYNI_ROLE_OPERATOR)
        return eyni_error_set(err, EYNI_EFORMAT,
                              "role '%.32s' is not one of admin, registrar, border, police, "
                              "auditor, adjudicator, documents, forensic, node", role ? role : "");
    if (label && (strlen(label) > 100 || !eyni_utf8_valid(label, strlen(label))))
        return eyni_error_set(err, EYNI_EFORMAT, "label must be at most 100 bytes of text");
    unsigned char idb[KEY_ID_BYTES], secret[KEY_SECRET_BYTES];
    char id[2 * KEY_ID_BYTES + 1], sec[2 * KEY_SECRET_BYTES + 1];
    rc = eyni_random_bytes(idb, sizeof idb, err);
    if (rc == 0)
        rc = eyni_random_bytes(secret, sizeof secret, err);
    if (rc)
        return rc;
    eyni_hex_encode(idb, sizeof idb, id);
    eyni_hex_encode(secret, sizeof secret, sec);
    key_arg k = {a, id, agency, eyni_role_name(r), label, {0}, "", 0};
    eyni_sha256(sec, strlen(sec), k.hash);
    eyni_time_now_iso(k.now);
    rc = reg_write_tx(reg, create_tx, &k, err);
    if (rc)
        return rc;
    snprintf(token, EYNI_KEY_TOKEN_MAX, "eyni_%s_%s", id, sec);
    *info = json_pack("{s:s, s:s, s:s, s:s*, s:s}", "id", id, "agency", agency, "role",
                      eyni_role_name(r), "label", label, "created_at", k.now);
    return 0;
}

static int revoke_tx(eyni_db *db, void *p, eyni_error *err)
{
    key_arg *k = p;
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
                             " RETURNING id",
                             &st, err);
    if (rc)
        return rc;
    const char *vals[] = {k->now, k->id};
    rc = reg_bind_texts(st, 1, vals, 2, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        k->found = 1;
        while ((rc = eyni_stmt_step(st, err)) == 1)
            ;
    }
    eyni_stmt_free(st);
    if (rc < 0)
        return rc;
    return reg_audit_append(db, k->a, "key.revoke", k->id, k->found ? "ok" : "not found", NULL,
                            err);
}

int eyni_register_key_revoke(eyni_register *reg, const eyni_actor *a, const char *key_id,
                             eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_KEY_MANAGE, key_id, err);
    if (rc)
        return rc;
    key_arg k = {a, key_id, NULL, NULL, NULL, {0}, "", 0};
    eyni_time_now_iso(k.now);
    rc = reg_write_tx(reg, revoke_tx, &k, err);
    if (rc == 0 && !k.found)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no active key with id '%.20s'", key_id);
    return rc;
}

static json_t *key_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s?}", "id", eyni_stmt_text(st, 0),
                     "agency", eyni_stmt_text(st, 1), "role", eyni_stmt_text(st, 2), "label",
                     eyni_stmt_text(st, 3), "created_at", eyni_stmt_text(st, 4), "created_by",
                     eyni_stmt_text(st, 5), "revoked_at", eyni_stmt_text(st, 6));
}

int eyni_register_key_list(eyni_register *reg, const eyni_actor *a, json_t **out,
                           eyni_error *err)
{
    json_t *list = NULL;
    int rc = reg_require(reg, a, EYNI_OP_KEY_MANAGE, "key", err);
    if (rc == 0)
        rc = reg_read_rows(reg,
                           "SELECT id, agency, role, label, created_at, created_by, revoked_at"
                           " FROM api_keys ORDER BY created_at",
                           NULL, 0, key_row, NULL, &list, err);
    if (rc == 0)
        *out = json_pack("{s:o}", "keys", list);
    return rc;
}

static int all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Constant time, so response timing tells nothing about how much of a secret matched. */
static int same_hash(const unsigned char *a, const unsigned char *b)
{
    unsigned diff = 0;
    for (int i = 0; i < 32; i++)
        diff |= (unsigned)(a[i] ^ b[i]);
    return diff == 0;
}

static int lookup_key(eyni_register *reg, const char *id, const unsigned char *hash,
                      eyni_actor *a, eyni_error *err)
{
    eyni_db *db;
    eyni_stmt *st = NULL;
    int rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db, "SELECT secret_hash, agency, role, revoked_at FROM api_keys WHERE id = ?",
                         &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 1, id, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    if (rc == 1) {
        size_t n = 0;
        const unsigned char *stored = eyni_stmt_blob(st, 0, &n);
        if (n != 32 || !same_hash(stored, hash) || !eyni_stmt_is_null(st, 3)) {
            rc = EYNI_EAUTH;
        } else {
            snprintf(a->agency, sizeof a->agency, "%s", eyni_stmt_text(st, 1));
            a->role = eyni_role_parse(eyni_stmt_text(st, 2));
            rc = 0;
        }
    } else if (rc == 0) {
        rc = EYNI_EAUTH;
    }
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    return rc;
}

int eyni_register_authenticate(eyni_register *reg, const char *token, const char *origin,
                               eyni_actor *a, eyni_error *err)
{
    memset(a, 0, sizeof *a);
    snprintf(a->origin, sizeof a->origin, "%s", origin ? origin : "");
    size_t n = token ? strlen(token) : 0;
    size_t want = 5 + 2 * KEY_ID_BYTES + 1 + 2 * KEY_SECRET_BYTES;
    int wellformed = n == want && strncmp(token, "eyni_", 5) == 0 &&
                     token[5 + 2 * KEY_ID_BYTES] == '_' && all_hex(token + 5, 2 * KEY_ID_BYTES) &&
                     all_hex(token + 6 + 2 * KEY_ID_BYTES, 2 * KEY_SECRET_BYTES);
    int rc = EYNI_EAUTH;
    if (wellformed) {
        snprintf(a->id, sizeof a->id, "%.*s", 2 * KEY_ID_BYTES, token + 5);
        unsigned char hash[32];
        const char *secret = token + 6 + 2 * KEY_ID_BYTES;
        eyni_sha256(secret, strlen(secret), hash);
        rc = lookup_key(reg, a->id, hash, a, err);
    } else {
        snprintf(a->id, sizeof a->id, "malformed");
    }
    if (rc == 0)
        return 0;
    if (rc == EYNI_EAUTH) {
        snprintf(a->agency, sizeof a->agency, "-");
        a->role = EYNI_ROLE_NONE;
        eyni_error aerr;
        if (eyni_register_audit_event(reg, a, "auth", a->id, "denied", "unknown or revoked key",
                                      &aerr))
            eyni_log_write(reg->log, EYNI_LOG_ERROR, "audit", "cannot record: %s", aerr.msg);
        rc = eyni_error_set(err, EYNI_EAUTH, "API key unknown, malformed or revoked");
    }
    return rc;
}

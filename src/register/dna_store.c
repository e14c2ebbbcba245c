/* Storage of DNA profiles: sealed with the data keyring like biometric samples, one row per
 * profile in dna_profiles, removal as a status change, and the change log in dna_changes
 * that in-memory DNA databases replay. */
#include <stdlib.h>
#include <string.h>

#include "dnareg_int.h"

const char *dreg_kind_name(eyni_dna_kind k)
{
    return k == EYNI_DNA_FORENSIC ? "forensic" : "reference";
}

int dreg_kind_parse(const char *s, eyni_dna_kind *k)
{
    if (s && strcmp(s, "reference") == 0)
        *k = EYNI_DNA_REFERENCE;
    else if (s && strcmp(s, "forensic") == 0)
        *k = EYNI_DNA_FORENSIC;
    else
        return -1;
    return 0;
}

static int need_keys(const eyni_register *reg, eyni_error *err)
{
    if (!reg->keys)
        return eyni_error_set(err, EYNI_ECRYPTO,
                              "no data key configured (crypto.keydir): DNA "
                              "profiles are only stored encrypted");
    return 0;
}

/* Associated data ties a sealed profile to its kind and owner: a blob copied onto another
 * person's or sample's row does not open. */
static void aad_of(char *out, size_t cap, eyni_dna_kind kind, const char *id)
{
    snprintf(out, cap, "dna:%s:%s", dreg_kind_name(kind), id);
}

static void object_of(char *out, size_t cap, eyni_dna_kind kind, const char *id)
{
    snprintf(out, cap, "dna/%s/%s", dreg_kind_name(kind), id);
}

static int seal_profile(eyni_register *reg, const eyni_dna_profile *p, unsigned char **blob,
                        size_t *len, eyni_error *err)
{
    uint8_t buf[EYNI_DNA_BINARY_MAX];
    size_t n = 0;
    char aad[EYNI_DNA_MAX_ID + 32];
    aad_of(aad, sizeof aad, p->kind, p->id);
    int rc = eyni_dna_profile_encode(p, buf, sizeof buf, &n, err);
    if (rc == 0)
        rc = eyni_keyring_seal(reg->keys, aad, strlen(aad), buf, n, blob, len, err);
    memset(buf, 0, sizeof buf);
    return rc;
}

static int open_profile(eyni_register *reg, eyni_dna_kind kind, const char *id,
                        const unsigned char *blob, size_t len, eyni_dna_profile *out,
                        eyni_error *err)
{
    char aad[EYNI_DNA_MAX_ID + 32];
    aad_of(aad, sizeof aad, kind, id);
    unsigned char *plain = NULL;
    size_t n = 0;
    int rc = eyni_keyring_open(reg->keys, aad, strlen(aad), blob, len, &plain, &n, err);
    if (rc == 0)
        rc = eyni_dna_profile_decode(plain, n, out, err);
    if (rc == 0 && (out->kind != kind || strcmp(out->id, id) != 0))
        rc = eyni_error_set(err, EYNI_ECRYPTO, "stored profile does not belong to its row");
    if (plain)
        memset(plain, 0, n);
    free(plain);
    return rc ? eyni_error_prefix(err, "DNA profile %s/%s: ", dreg_kind_name(kind), id) : 0;
}

typedef struct insert_arg {
    eyni_register *reg;
    const eyni_actor *a;
    const eyni_dna_profile *p;
    const char *collected_on;
    long long id;
} insert_arg;

static int active_exists(eyni_db *db, eyni_dna_kind kind, const char *id, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT id FROM dna_profiles WHERE kind = ? AND sample_id = ?"
                             " AND status = 'active'",
                             &st, err);
    const char *vals[] = {dreg_kind_name(kind), id};
    if (rc == 0)
        rc = reg_bind_texts(st, 1, vals, 2, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    if (rc == 1)
        rc = eyni_error_set(err, EYNI_EEXIST,
                            kind == EYNI_DNA_REFERENCE
                                ? "FIN %s already has a reference profile (remove it first)"
                                : "sample %s is already stored (remove it first)",
                            id);
    return rc;
}

static int change_append(eyni_db *db, const char *op, long long profile, eyni_error *err)
{
    char now[32];
    eyni_time_now_iso(now);
    eyni_stmt *st;
    int rc = eyni_db_prepare(db, "INSERT INTO dna_changes (at, op, profile_id) VALUES (?, ?, ?)",
                             &st, err);
    const char *vals[] = {now, op};
    if (rc == 0)
        rc = reg_bind_texts(st, 1, vals, 2, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 3, profile, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

static int insert_row(eyni_db *db, insert_arg *x, int64_t pid, const unsigned char *blob,
                      size_t len, eyni_error *err)
{
    const eyni_dna_profile *p = x->p;
    int forensic = p->kind == EYNI_DNA_FORENSIC;
    char now[32];
    eyni_time_now_iso(now);
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO dna_profiles (kind, sample_id, person_id, case_id, scene,"
                             " collected_on, agency, population, loci, profile, status,"
                             " created_at, created_by)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?) RETURNING id",
                             &st, err);
    if (rc)
        return rc;
    const char *head[] = {dreg_kind_name(p->kind), p->id};
    const char *mid[] = {forensic ? p->case_id : NULL, forensic && p->scene[0] ? p->scene : NULL,
                         x->collected_on, x->a->agency, p->population[0] ? p->population : NULL};
    const char *tail[] = {now, x->a->id};
    rc = reg_bind_texts(st, 1, head, 2, err);
    if (rc == 0)
        rc = forensic ? eyni_stmt_bind_null(st, 3, err) : eyni_stmt_bind_int64(st, 3, pid, err);
    if (rc == 0)
        rc = reg_bind_texts(st, 4, mid, 5, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 9, eyni_dna_profile_count(p, EYNI_DNA_LOCI_AUTOSOMAL), err);
    if (rc == 0)
        rc = eyni_stmt_bind_blob(st, 10, blob, len, err);
    if (rc == 0)
        rc = reg_bind_texts(st, 11, tail, 2, err);
    if (rc == 0)
        rc = reg_step_id(st, &x->id, err);
    eyni_stmt_free(st);
    return rc;
}

static int insert_tx(eyni_db *db, void *arg, eyni_error *err)
{
    insert_arg *x = arg;
    const eyni_dna_profile *p = x->p;
    int64_t pid = 0;
    int rc = 0;
    if (p->kind == EYNI_DNA_REFERENCE) {
        json_t *rec = NULL;
        rc = reg_person_load(db, p->id, &pid, &rec, err);
        json_decref(rec);
    }
    if (rc == 0)
        rc = active_exists(db, p->kind, p->id, err);
    unsigned char *blob = NULL;
    size_t len = 0;
    if (rc == 0)
        rc = seal_profile(x->reg, p, &blob, &len, err);
    if (rc == 0)
        rc = insert_row(db, x, pid, blob, len, err);
    free(blob);
    if (rc == 0)
        rc = change_append(db, "add", x->id, err);
    char obj[EYNI_DNA_MAX_ID + 32], detail[EYNI_DNA_MAX_ID + 64];
    object_of(obj, sizeof obj, p->kind, p->id);
    snprintf(detail, sizeof detail, "loci=%d%s%s",
             eyni_dna_profile_count(p, EYNI_DNA_LOCI_AUTOSOMAL),
             p->kind == EYNI_DNA_FORENSIC ? " case=" : "",
             p->kind == EYNI_DNA_FORENSIC ? p->case_id : "");
    if (rc == 0)
        rc = reg_audit_append(
            db, x->a, p->kind == EYNI_DNA_REFERENCE ? "dna.reference.add" : "dna.forensic.add", obj,
            "ok", detail, err);
    return rc;
}

int dreg_insert(eyni_register *reg, const eyni_actor *a, const eyni_dna_profile *p,
                const char *collected_on, long long *id, eyni_error *err)
{
    insert_arg x = {reg, a, p, collected_on, 0};
    int rc = need_keys(reg, err);
    if (rc == 0)
        rc = reg_write_tx(reg, insert_tx, &x, err);
    if (rc == 0)
        *id = x.id;
    return rc;
}

typedef struct remove_arg {
    const eyni_actor *a;
    eyni_dna_kind kind;
    const char *id, *reason;
} remove_arg;

static int remove_tx(eyni_db *db, void *arg, eyni_error *err)
{
    remove_arg *x = arg;
    char now[32];
    eyni_time_now_iso(now);
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "UPDATE dna_profiles SET status = 'removed', removed_at = ?,"
                             " removed_by = ?, removed_reason = ?"
                             " WHERE kind = ? AND sample_id = ? AND status = 'active' RETURNING id",
                             &st, err);
    const char *vals[] = {now, x->a->id, x->reason, dreg_kind_name(x->kind), x->id};
    if (rc == 0)
        rc = reg_bind_texts(st, 1, vals, 5, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    long long row = rc == 1 ? eyni_stmt_int64(st, 0) : 0;
    eyni_stmt_free(st);
    if (rc == 0)
        return eyni_error_set(err, EYNI_ENOTFOUND, "no active %s profile %s",
                              dreg_kind_name(x->kind), x->id);
    rc = rc < 0 ? rc : change_append(db, "remove", row, err);
    char obj[EYNI_DNA_MAX_ID + 32];
    object_of(obj, sizeof obj, x->kind, x->id);
    return rc ? rc : reg_audit_append(db, x->a, "dna.remove", obj, "ok", x->reason, err);
}

int dreg_remove(eyni_register *reg, const eyni_actor *a, eyni_dna_kind kind, const char *id,
                const char *reason, eyni_error *err)
{
    remove_arg x = {a, kind, id, reason};
    return reg_write_tx(reg, remove_tx, &x, err);
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

int dreg_load(eyni_register *reg, eyni_dna_kind kind, const char *id, dreg_row *out,
              eyni_error *err)
{
    int rc = need_keys(reg, err);
    eyni_db *db = NULL;
    if (rc == 0)
        rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    eyni_stmt *st = NULL;
    rc = eyni_db_prepare(db,
                         "SELECT id, collected_on, agency, created_at, created_by, loci, profile"
                         " FROM dna_profiles WHERE kind = ? AND sample_id = ?"
                         " AND status = 'active'",
                         &st, err);
    const char *vals[] = {dreg_kind_name(kind), id};
    if (rc == 0)
        rc = reg_bind_texts(st, 1, vals, 2, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    if (rc == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no active %s profile %s", dreg_kind_name(kind),
                            id);
    if (rc == 1) {
        memset(out, 0, sizeof *out);
        out->id = eyni_stmt_int64(st, 0);
        copy_text(out->collected_on, sizeof out->collected_on, eyni_stmt_text(st, 1));
        copy_text(out->agency, sizeof out->agency, eyni_stmt_text(st, 2));
        copy_text(out->created_at, sizeof out->created_at, eyni_stmt_text(st, 3));
        copy_text(out->created_by, sizeof out->created_by, eyni_stmt_text(st, 4));
        out->loci = (int)eyni_stmt_int64(st, 5);
        size_t n = 0;
        const unsigned char *blob = eyni_stmt_blob(st, 6, &n);
        rc = open_profile(reg, kind, id, blob, n, &out->p, err);
    }
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    return rc;
}

int dreg_last_change(eyni_register *reg, long long *last, eyni_error *err)
{
    eyni_db *db = NULL;
    eyni_stmt *st = NULL;
    int rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db, "SELECT MAX(id) FROM dna_changes", &st, err);
    if (rc == 0)
        rc = eyni_stmt_step(st, err);
    *last = rc == 1 && !eyni_stmt_is_null(st, 0) ? eyni_stmt_int64(st, 0) : 0;
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    return rc < 0 ? rc : 0;
}

static int replay(eyni_register *reg, eyni_stmt *st, dreg_change_fn fn, void *ctx, long long *last,
                  eyni_error *err)
{
    int rc;
    while ((rc = eyni_stmt_step(st, err)) == 1) {
        eyni_dna_kind kind;
        const char *id = eyni_stmt_text(st, 3);
        if (dreg_kind_parse(eyni_stmt_text(st, 2), &kind) || !id)
            return eyni_error_set(err, EYNI_EINTERNAL, "DNA change %lld: unreadable row",
                                  (long long)eyni_stmt_int64(st, 0));
        size_t n = 0;
        const unsigned char *blob = eyni_stmt_blob(st, 4, &n);
        eyni_dna_profile p;
        rc = open_profile(reg, kind, id, blob, n, &p, err);
        long long change = eyni_stmt_int64(st, 0);
        if (rc == 0)
            rc = fn(change, eyni_stmt_text(st, 1), &p, ctx, err);
        memset(&p, 0, sizeof p);
        if (rc)
            return eyni_error_prefix(err, "DNA change %lld: ", change);
        *last = change;
    }
    return rc;
}

int dreg_changes_each(eyni_register *reg, long long after, dreg_change_fn fn, void *ctx,
                      long long *last, eyni_error *err)
{
    int rc = need_keys(reg, err);
    eyni_db *db = NULL;
    eyni_stmt *st = NULL;
    *last = after;
    if (rc == 0)
        rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db,
                         "SELECT c.id, c.op, d.kind, d.sample_id, d.profile FROM dna_changes c"
                         " JOIN dna_profiles d ON d.id = c.profile_id WHERE c.id > ? ORDER BY c.id",
                         &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, after, err);
    if (rc == 0)
        rc = replay(reg, st, fn, ctx, last, err);
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    return rc;
}

/* Issuing documents: eligibility, one valid document per type, the next blank of the
 * office's stock, the document number, the MRZ and the signed chip - all in one
 * transaction - and the status life cycle that feeds the invalid-document list. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eyni/image.h"
#include "eyni/mrtd.h"
#include "eyni/pki.h"
#include "register_int.h"

typedef struct issue_arg {
    eyni_register *reg;
    const eyni_actor *a;
    const reg_doctype *t;
    const char *fin, *office, *reason;
    int replace;
    long long app; /* cleared application this issue consumes; 0: none */
    int64_t pid;
    json_t *person;
    char number[16], serial[64], mrz[100], chip_dir[4300], issued[11], expires[11];
    char revoked[16];
} issue_arg;

static const char *field(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int eligible(const issue_arg *x, eyni_error *err)
{
    const char *cit = field(x->person, "citizenship");
    int stateless = cit && (!strcmp(cit, "XXA") || !strcmp(cit, "XXB") || !strcmp(cit, "XXC"));
    int citizen = cit && !strcmp(cit, x->reg->country);
    const char *h = x->t->holders;
    int ok = !strcmp(h, "any") || (!strcmp(h, "citizen") && citizen) ||
             (!strcmp(h, "stateless") && stateless) ||
             (!strcmp(h, "foreigner") && cit && !citizen && !stateless);
    if (!ok)
        return eyni_error_set(err, EYNI_ECONFLICT,
                              "FIN %s (citizenship %s) may not hold a %s: it is for %s persons",
                              x->fin, cit ? cit : "unknown", x->t->name, h);
    return 0;
}

/* Today and the expiry: years of validity, halved for minors (at least one year). */
static void dates(issue_arg *x)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(x->issued, sizeof x->issued, "%Y-%m-%d", &tm);
    int by = 0, bm = 0, bd = 0;
    eyni_date_parse(field(x->person, "birth_date"), &by, &bm, &bd, NULL);
    int age = tm.tm_year + 1900 - by - ((tm.tm_mon + 1 < bm || (tm.tm_mon + 1 == bm &&
                                                                  tm.tm_mday < bd)) ? 1 : 0);
    int years = age < 18 && x->t->years > 1 ? x->t->years / 2 : x->t->years;
    tm.tm_year += years;
    tm.tm_mday -= 1; /* valid up to the day before the anniversary */
    time_t exp = timegm(&tm);
    gmtime_r(&exp, &tm);
    strftime(x->expires, sizeof x->expires, "%Y-%m-%d", &tm);
}

static int current_document(eyni_db *db, issue_arg *x, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT number FROM documents WHERE person_id = ? AND type = ?"
                             " AND status IN ('issued', 'handed_over') AND expires_on >= ?",
                             &st, err);
    if (rc)
        return rc;
    const char *vals[] = {x->t->name, x->issued};
    rc = eyni_stmt_bind_int64(st, 1, x->pid, err);
    if (rc == 0)
        rc = reg_bind_texts(st, 2, vals, 2, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        snprintf(x->revoked, sizeof x->revoked, "%s", eyni_stmt_text(st, 0));
        rc = 0;
    }
    eyni_stmt_free(st);
    if (rc == 0 && x->revoked[0] && !x->replace)
        rc = eyni_error_set(err, EYNI_ECONFLICT,
                            "FIN %s already holds valid %s %s (ask to replace it)", x->fin,
                            x->t->name, x->revoked);
    return rc;
}

static int next_number(eyni_db *db, issue_arg *x, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO document_sequences (type, next) VALUES (?, 1)"
                             " ON CONFLICT (type) DO UPDATE SET next = document_sequences.next + 1"
                             " RETURNING next",
                             &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_text(st, 1, x->t->name, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        int digits = 9 - (int)strlen(x->t->prefix);
        snprintf(x->number, sizeof x->number, "%s%0*lld", x->t->prefix, digits,
                 (long long)eyni_stmt_int64(st, 0));
        rc = 0;
    }
    eyni_stmt_free(st);
    return rc;
}

/* The enrolled portrait of the person, unsealed: it is what DG2 carries. */
static int portrait(eyni_db *db, issue_arg *x, unsigned char **img, size_t *len, eyni_error *err)
{
    if (!x->reg->keys)
        return eyni_error_set(err, EYNI_ECRYPTO, "no data key configured (crypto.keydir)");
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT image, position FROM biometrics WHERE person_id = ?"
                             " AND modality = 'face' AND replaced_at IS NULL AND image IS NOT NULL"
                             " ORDER BY id DESC LIMIT 1",
                             &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_int64(st, 1, x->pid, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        size_t n;
        const unsigned char *blob = eyni_stmt_blob(st, 0, &n);
        char aad[96];
        snprintf(aad, sizeof aad, "bio:%s:face:%d:i", x->fin, (int)eyni_stmt_int64(st, 1));
        rc = eyni_keyring_open(x->reg->keys, aad, strlen(aad), blob, n, img, len, err);
    } else if (rc == 0) {
        rc = eyni_error_set(err, EYNI_ECONFLICT,
                            "FIN %s has no enrolled portrait: enrol a face before issuing", x->fin);
    }
    eyni_stmt_free(st);
    return rc;
}

/* DG3: up to two enrolled fingerprints (index fingers first), WSQ-compressed in an
 * ISO/IEC 19794-4 record, for passports. */
typedef struct dg3 {
    eyni_finger_record rec;
    unsigned char *wsq[2];
} dg3;

static int add_finger(issue_arg *x, dg3 *d, const unsigned char *blob, size_t n, int position,
                      int quality, eyni_error *err)
{
    char aad[96];
    snprintf(aad, sizeof aad, "bio:%s:finger:%d:i", x->fin, position);
    unsigned char *raw = NULL;
    size_t len = 0;
    eyni_image *img = NULL;
    int rc = eyni_keyring_open(x->reg->keys, aad, strlen(aad), blob, n, &raw, &len, err);
    if (rc == 0)
        rc = eyni_image_decode(raw, len, 1, &img, err);
    int ppi = img && img->ppi > 0 ? (int)(img->ppi + 0.5) : 500;
    int k = d->rec.count;
    size_t wlen = 0;
    if (rc == 0)
        rc = eyni_image_encode_wsq(img, 0.75, ppi, &d->wsq[k], &wlen, err);
    if (rc == 0) {
        d->rec.fingers[k] = (eyni_finger_image){position, quality, 0, (unsigned)img->width,
                                                (unsigned)img->height, d->wsq[k], wlen};
        d->rec.resolution_ppi = (unsigned)ppi;
        d->rec.count++;
    }
    eyni_image_free(img);
    free(raw);
    return rc ? eyni_error_prefix(err, "DG3 finger %d: ", position) : 0;
}

static int fingers_for_chip(eyni_db *db, issue_arg *x, dg3 *d, eyni_error *err)
{
    d->rec.compression = 2; /* WSQ */
    d->rec.pixel_depth = 8;
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT image, position, quality FROM biometrics WHERE person_id = ?"
                             " AND modality = 'finger' AND replaced_at IS NULL AND image IS NOT NULL"
                             " ORDER BY position IN (2, 7) DESC, position LIMIT 2",
                             &st, err);
    if (rc)
        return rc;
    rc = eyni_stmt_bind_int64(st, 1, x->pid, err);
    while (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        size_t n;
        const unsigned char *blob = eyni_stmt_blob(st, 0, &n);
        rc = add_finger(x, d, blob, n, (int)eyni_stmt_int64(st, 1), (int)eyni_stmt_int64(st, 2),
                        err);
    }
    eyni_stmt_free(st);
    return rc < 0 ? rc : 0;
}

static void yymmdd(const char *iso, char out[7])
{
    snprintf(out, 7, "%.2s%.2s%.2s", iso + 2, iso + 5, iso + 8);
}

static int build_mrz(issue_arg *x, eyni_error *err)
{
    const char *cit = field(x->person, "citizenship");
    char birth[7], exp[7];
    yymmdd(field(x->person, "birth_date"), birth);
    yymmdd(x->expires, exp);
    eyni_mrz_fields f = {(eyni_mrz_format)x->t->format, x->t->code, x->reg->country,
                         field(x->person, "surname"), field(x->person, "given_name"), x->number,
                         cit ? cit : "XXX", birth, field(x->person, "sex"), exp, x->fin, NULL};
    int rc = eyni_mrz_build(&f, x->mrz, sizeof x->mrz, err);
    return rc ? eyni_error_prefix(err, "MRZ: ") : 0;
}

static int write_chip(issue_arg *x, const unsigned char *face, size_t face_len,
                      const eyni_finger_record *fingers, eyni_error *err)
{
    eyni_mrtd_chip chip;
    memset(&chip, 0, sizeof chip);
    chip.fingers = fingers && fingers->count ? fingers : NULL;
    int rc = eyni_mrz_parse(x->mrz, strlen(x->mrz), &chip.mrz, err);
    const char *sex = field(x->person, "sex");
    chip.face = face;
    chip.face_len = face_len;
    chip.gender = !strcmp(sex, "M") ? 1 : !strcmp(sex, "F") ? 2 : 0;
    snprintf(x->chip_dir, sizeof x->chip_dir, "%s/%s", x->reg->chip_root, x->number);
    if (rc == 0)
        rc = eyni_mrtd_chip_write(&chip, x->reg->ds_cert, x->reg->ds_key, x->chip_dir, err);
    return rc;
}

static int add_event(eyni_db *db, long long doc, const char *from, const char *to,
                     const eyni_actor *a, const char *reason, eyni_error *err)
{
    char now[32], ids[32];
    eyni_time_now_iso(now);
    snprintf(ids, sizeof ids, "%lld", doc);
    const char *vals[] = {ids, now, from, to, a->id, reason};
    return reg_exec1(db,
                     "INSERT INTO document_events (document_id, at, from_status, to_status, actor,"
                     " reason) VALUES (CAST(? AS INTEGER), ?, ?, ?, ?, ?)",
                     vals, 6, err);
}

static int insert_document(eyni_db *db, issue_arg *x, eyni_error *err)
{
    char now[32];
    eyni_time_now_iso(now);
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO documents (number, type, person_id, fin, office,"
                             " blank_serial, issuing_state, mrz, issued_on, expires_on, status,"
                             " status_at, chip_dir, created_by)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'issued', ?, ?, ?) RETURNING id",
                             &st, err);
    if (rc)
        return rc;
    const char *a[] = {x->number, x->t->name};
    const char *b[] = {x->fin, x->office, x->serial, x->reg->country, x->t->code ? x->mrz : NULL,
                       x->issued, x->expires, now, x->t->code ? x->chip_dir : NULL, x->a->id};
    rc = reg_bind_texts(st, 1, a, 2, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 3, x->pid, err);
    if (rc == 0)
        rc = reg_bind_texts(st, 4, b, 10, err);
    long long id = 0;
    if (rc == 0)
        rc = reg_step_id(st, &id, err);
    eyni_stmt_free(st);
    if (rc == 0)
        rc = add_event(db, id, NULL, "issued", x->a, x->reason, err);
    return rc;
}

static int revoke_previous(eyni_db *db, issue_arg *x, eyni_error *err)
{
    char now[32], reason[64];
    eyni_time_now_iso(now);
    snprintf(reason, sizeof reason, "replaced by %s", x->number);
    const char *vals[] = {now, x->revoked};
    int rc = reg_exec1(db, "UPDATE documents SET status = 'revoked', status_at = ? WHERE number = ?",
                       vals, 2, err);
    eyni_stmt *st = NULL;
    if (rc == 0)
        rc = eyni_db_prepare(db, "SELECT id, status FROM documents WHERE number = ?", &st, err);
    if (rc == 0 && (rc = eyni_stmt_bind_text(st, 1, x->revoked, err)) == 0 &&
        (rc = eyni_stmt_step(st, err)) == 1)
        rc = add_event(db, eyni_stmt_int64(st, 0), "valid", "revoked", x->a, reason, err);
    eyni_stmt_free(st);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "document.status", x->revoked, "revoked", reason, err);
    return rc;
}

/* A cleared application issues one document: the claim and the issue commit together, so
 * two desks re-submitting the same case cannot both issue. */
static int use_application(eyni_db *db, issue_arg *x, eyni_error *err)
{
    char now[32];
    eyni_time_now_iso(now);
    eyni_stmt *st = NULL;
    int rc = eyni_db_prepare(db,
                             "UPDATE applications SET status = 'issued', document = ?, used_at = ?"
                             " WHERE id = ? AND fin = ? AND status = 'different' RETURNING id",
                             &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 1, x->number, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 2, now, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 3, x->app, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 4, x->fin, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 0)
        rc = eyni_error_set(err, EYNI_ECONFLICT,
                            "application %lld is no longer cleared (used meanwhile): no "
                            "document issued",
                            x->app);
    eyni_stmt_free(st);
    return rc < 0 ? rc : (rc == 1 ? 0 : rc);
}

static int issue_tx(eyni_db *db, void *p, eyni_error *err)
{
    issue_arg *x = p;
    unsigned char *face = NULL;
    size_t face_len = 0;
    dg3 d;
    memset(&d, 0, sizeof d);
    int rc = reg_person_load(db, x->fin, &x->pid, &x->person, err);
    if (rc == 0)
        rc = eligible(x, err);
    if (rc == 0) {
        dates(x);
        rc = current_document(db, x, err);
    }
    if (rc == 0)
        rc = next_number(db, x, err);
    if (rc == 0)
        rc = reg_blank_take(db, x->a, x->office, x->t->name, x->number, x->serial, err);
    if (rc == 0 && x->t->code)
        rc = portrait(db, x, &face, &face_len, err);
    if (rc == 0 && x->t->code)
        rc = build_mrz(x, err);
    if (rc == 0 && x->t->code && x->t->format == EYNI_MRZ_TD3)
        rc = fingers_for_chip(db, x, &d, err);
    if (rc == 0 && x->t->code)
        rc = write_chip(x, face, face_len, &d.rec, err);
    free(face);
    free(d.wsq[0]);
    free(d.wsq[1]);
    if (rc == 0 && x->revoked[0])
        rc = revoke_previous(db, x, err);
    if (rc == 0)
        rc = insert_document(db, x, err);
    if (rc == 0 && x->app)
        rc = use_application(db, x, err);
    char detail[160];
    int off = snprintf(detail, sizeof detail, "%s %s blank %s", x->t->name, x->number, x->serial);
    if (x->app)
        snprintf(detail + off, sizeof detail - (size_t)off, " cleared application %lld", x->app);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "document.issue", x->fin, "ok", detail, err);
    return rc;
}

/* A failed issue leaves no personalisation files behind. */
static void remove_chip(const char *dir)
{
    DIR *d = dir[0] ? opendir(dir) : NULL;
    if (!d)
        return;
    struct dirent *e;
    char path[4600];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int read_issue(issue_arg *x, const json_t *in, eyni_error *err)
{
    static const char *const keys[] = {"fin", "type", "office", "replace", "reason", NULL};
    const char *type = NULL;
    int rc = json_is_object(in) ? eyni_json_check_keys(in, keys, err)
                                : eyni_error_set(err, EYNI_EFORMAT, "request must be an object");
    if (rc == 0)
        rc = eyni_json_get_string(in, "fin", EYNI_FIN_MAX, &x->fin, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "type", 40, &type, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "office", 32, &x->office, err);
    if (rc == 0)
        rc = eyni_json_get_string(in, "reason", EYNI_TEXT_MAX, &x->reason, err);
    if (rc == 0)
        rc = eyni_json_get_bool(in, "replace", &x->replace, err);
    x->t = reg_doctype_find(type);
    if (rc == 0 && (!x->fin || !reg_fin_wellformed(x->reg, x->fin)))
        rc = eyni_error_set(err, EYNI_EFORMAT, "'fin' is missing or not a FIN");
    if (rc == 0 && !x->t)
        rc = eyni_error_set(err, EYNI_EFORMAT, "unknown document type '%.40s'",
                            type ? type : "");
    if (rc == 0 && !x->office)
        rc = eyni_error_set(err, EYNI_EFORMAT, "'office' is required");
    if (rc == 0 && x->t->code && (!x->reg->ds_cert || !x->reg->ds_key))
        rc = eyni_error_set(err, EYNI_ECONFLICT,
                            "no document signer configured (pki.ds_cert, pki.ds_key)");
    if (!x->reason)
        x->reason = "application";
    return rc;
}

int eyni_register_document_issue(eyni_register *reg, const eyni_actor *a, const json_t *in,
                                 json_t **out, eyni_error *err)
{
    return reg_document_issue_cleared(reg, a, in, 0, out, err);
}

int reg_document_issue_cleared(eyni_register *reg, const eyni_actor *a, const json_t *in,
                               long long app, json_t **out, eyni_error *err)
{
    issue_arg x;
    memset(&x, 0, sizeof x);
    x.reg = reg;
    x.a = a;
    x.app = app;
    int rc = reg_require(reg, a, EYNI_OP_DOC_ISSUE, "document", err);
    if (rc == 0)
        rc = read_issue(&x, in, err);
    if (rc == 0)
        rc = reg_write_tx(reg, issue_tx, &x, err);
    json_decref(x.person);
    if (rc) {
        remove_chip(x.chip_dir);
        return rc;
    }
    *out = json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s, s:s, s:s, s:s, s:s?}", "number", x.number,
                     "type", x.t->name, "mrz", x.t->code ? x.mrz : NULL, "chip_dir",
                     x.t->code ? x.chip_dir : NULL, "blank_serial", x.serial, "fin", x.fin,
                     "issued", x.issued, "expires", x.expires, "status", "issued", "replaced",
                     x.revoked[0] ? x.revoked : NULL);
    return 0;
}

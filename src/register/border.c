/* The traveller check at a checkpoint: document, chip, biometrics, watchlists and bans,
 * folded into clear / refer / deny with every reason, and recorded once. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eyni/border.h"
#include "eyni/mrtd.h"
#include "identity_int.h"

typedef struct check {
    eyni_identity *id;
    const eyni_actor *a;
    const eyni_border_request *r;
    eyni_mrz mrz;
    char today[11], birth[11], expiry[11];
    char holder_fin[EYNI_FIN_MAX + 1];
    json_t *reasons;
    json_t *live; /* face template of the traveller, when a face was given */
    float live_emb[EYNI_FACE_DIM];
    int have_live;
    char found_fin[EYNI_FIN_MAX + 1]; /* registered person the live face identified */
    long long watch_entry;            /* watchlist entry the live biometrics hit */
} check;

static void reason(check *c, const char *code, const char *severity, const char *fmt, ...)
    EYNI_PRINTF(4, 5);

static void reason(check *c, const char *code, const char *severity, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(c->reasons, json_pack("{s:s, s:s, s:s}", "code", code, "severity",
                                                severity, "message", msg));
}

/* YYMMDD to YYYY-MM-DD: expiry dates are this century; birth dates are not in the future. */
static void mrz_date(const char *yymmdd, int birth, int this_year, char out[11])
{
    int yy = (yymmdd[0] - '0') * 10 + (yymmdd[1] - '0');
    int year = 2000 + yy;
    if (birth && year > this_year)
        year -= 100;
    snprintf(out, 11, "%04d-%.2s-%.2s", year, yymmdd + 2, yymmdd + 4);
}

static void mrz_checks(check *c)
{
    const eyni_mrz *m = &c->mrz;
    if (!m->valid)
        reason(c, "mrz_invalid", "refer", "MRZ check digits or syntax wrong: %s",
               m->problem[0] ? m->problem : "a check digit does not match");
    int year = atoi(c->today);
    if (m->expiry_date[0] != '<')
        mrz_date(m->expiry_date, 0, year, c->expiry);
    if (m->birth_date[0] != '<')
        mrz_date(m->birth_date, 1, year, c->birth);
    if (c->expiry[0] && strcmp(c->expiry, c->today) < 0)
        reason(c, "document_expired", "deny", "document expired on %s", c->expiry);
}

/* Our own documents: status in the register, and the holder's FIN. */
static void register_document(check *c, eyni_error *err)
{
    if (strcmp(c->mrz.issuer, c->id->reg->country) != 0)
        return;
    json_t *doc = NULL;
    eyni_error e;
    if (eyni_register_document_get(c->id->reg, c->a, c->mrz.document_number, &doc, &e) != 0) {
        reason(c, "document_not_issued", "refer",
               "document %s is not in the register of issued documents", c->mrz.document_number);
        return;
    }
    const char *st = json_string_value(json_object_get(doc, "status"));
    snprintf(c->holder_fin, sizeof c->holder_fin, "%s",
             json_string_value(json_object_get(doc, "fin")));
    if (!strcmp(st, "lost") || !strcmp(st, "stolen") || !strcmp(st, "revoked"))
        reason(c, "document_invalid", "deny", "document %s is reported %s", c->mrz.document_number,
               st);
    json_decref(doc);
}

static void watchlists(check *c, eyni_error *err)
{
    json_t *q =
        json_pack("{s:{s:s, s:s, s:s?}, s:{s:s, s:s}}", "person", "surname", c->mrz.primary,
                  "given_name", c->mrz.secondary, "birth_date", c->birth[0] ? c->birth : NULL,
                  "document", "number", c->mrz.document_number, "issuing_state", c->mrz.issuer);
    if (c->holder_fin[0])
        json_object_set_new(json_object_get(q, "person"), "fin", json_string(c->holder_fin));
    if (c->r->plate)
        json_object_set_new(q, "vehicle", json_pack("{s:s}", "plate", c->r->plate));
    json_t *out = NULL;
    eyni_error e;
    if (eyni_register_watch_check(c->id->reg, c->a, q, &out, &e) != 0) {
        reason(c, "watchlists_unavailable", "refer", "watchlists could not be checked: %s", e.msg);
    } else {
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(out, "hits"), i, h)
        {
            const char *kind = json_string_value(json_object_get(h, "kind"));
            const char *handling = json_string_value(json_object_get(h, "handling"));
            if (!c->watch_entry)
                c->watch_entry = json_integer_value(json_object_get(h, "entry"));
            int doc = !strcmp(kind, "document");
            reason(c,
                   doc                        ? "document_listed"
                   : !strcmp(kind, "vehicle") ? "vehicle_listed"
                                              : "watchlist_person",
                   doc ? "deny" : "refer", "%s on list %s (%s): %s", kind,
                   json_string_value(json_object_get(h, "list")),
                   json_string_value(json_object_get(h, "legal_basis")),
                   handling ? handling : "follow the list's instructions");
        }
    }
    json_decref(q);
    json_decref(out);
}

static void bans_of(check *c, const char *fin, const char *why)
{
    json_t *p = fin ? json_pack("{s:s}", "fin", fin)
                    : json_pack("{s:s, s:s, s:s?}", "surname", c->mrz.primary, "given_name",
                                c->mrz.secondary, "birth_date", c->birth[0] ? c->birth : NULL);
    json_t *out = NULL;
    eyni_error e;
    if (eyni_register_ban_check(c->id->reg, c->a, p, c->today, c->r->direction, &out, &e)) {
        reason(c, "bans_unavailable", "refer", "bans could not be checked: %s", e.msg);
    } else {
        size_t i;
        json_t *b;
        json_array_foreach(json_object_get(out, "bans"), i, b)
            reason(c, "ban", "deny", "%s ban on %s %s (%s, %s)%s",
                   json_string_value(json_object_get(b, "direction")),
                   json_string_value(json_object_get(b, "surname")),
                   json_string_value(json_object_get(b, "given_name")),
                   json_string_value(json_object_get(b, "legal_basis")),
                   json_string_value(json_object_get(b, "authority")), why);
    }
    json_decref(p);
    json_decref(out);
}

/* The live face: quality-checked and embedded once, compared with chip and register. */
static int live_face(check *c)
{
    eyni_image *img = NULL;
    eyni_face_quality q;
    eyni_error e;
    if (eyni_image_decode(c->r->face, c->r->face_len, 3, &img, &e) ||
        eyni_face_quality_check(c->id->face, img, &q, &e) || q.faces == 0 ||
        eyni_face_embed(c->id->face, img, &q.face, c->live_emb, &e)) {
        reason(c, "live_face_unusable", "refer", "live face could not be used: %s",
               q.faces == 0 ? "no face found" : e.msg);
        eyni_image_free(img);
        return 0;
    }
    eyni_image_free(img);
    c->have_live = 1;
    return 1;
}

static void face_vs_chip(check *c)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/Datagroup2.bin", c->r->chip_dir);
    unsigned char *dg2 = NULL;
    size_t n = 0;
    eyni_error e;
    eyni_lds_biogroup g;
    eyni_face_record fr;
    eyni_image *img = NULL;
    eyni_face_quality q;
    float emb[EYNI_FACE_DIM];
    int ok = eyni_file_read(path, 1 << 22, &dg2, &n, &e) == 0 &&
             eyni_lds_bio_decode(dg2, n, &g, &e) == 0 && g.count > 0 &&
             eyni_face_record_decode(g.bio[0].bdb, g.bio[0].bdb_len, &fr, &e) == 0 && fr.image_ok &&
             eyni_image_decode(fr.image, fr.image_len, 3, &img, &e) == 0 &&
             eyni_face_quality_check(c->id->face, img, &q, &e) == 0 && q.faces > 0 &&
             eyni_face_embed(c->id->face, img, &q.face, emb, &e) == 0;
    if (!ok) {
        reason(c, "chip_portrait_unusable", "refer",
               "the chip portrait (DG2) could not be "
               "compared: %s",
               e.msg);
    } else {
        float s = eyni_face_compare(c->live_emb, emb);
        if (s < EYNI_FACE_THRESHOLD_FMR_1E3)
            reason(c, "face_chip_mismatch", "refer",
                   "live face does not match the chip portrait (score %.3f below %.3f)", s,
                   EYNI_FACE_THRESHOLD_FMR_1E3);
    }
    eyni_image_free(img);
    free(dg2);
}

static void chip(check *c)
{
    eyni_mrtd_verify_opts vo;
    memset(&vo, 0, sizeof vo);
    const char *own[] = {c->id->opts.csca_cert};
    vo.csca_files = c->r->ntrust ? c->r->trust : own;
    vo.ncsca = c->r->ntrust ? c->r->ntrust : (own[0] ? 1 : 0);
    json_t *rep = NULL;
    int passed = 0;
    eyni_error e;
    if (eyni_mrtd_verify_dir(c->r->chip_dir, &vo, &rep, &passed, &e)) {
        reason(c, "chip_unreadable", "refer", "chip data could not be read: %s", e.msg);
        return;
    }
    if (!json_is_true(json_object_get(rep, "hashes_ok")) ||
        !json_is_true(json_object_get(rep, "signature_ok")))
        reason(c, "chip_not_authentic", "refer",
               "passive authentication failed: data group hashes or the SOD signature do not "
               "verify");
    else if (!json_is_true(json_object_get(rep, "chain_ok")))
        reason(c, "chip_signer_untrusted", "refer",
               "the document signer does not chain to a trusted CSCA");
    const char *dg1 = json_string_value(json_object_get(rep, "dg1_mrz"));
    char printed[100] = "";
    for (int i = 0; i < c->mrz.nlines; i++)
        strncat(printed, c->mrz.lines[i], sizeof printed - strlen(printed) - 1);
    if (dg1 && strcmp(dg1, printed) != 0)
        reason(c, "chip_mrz_mismatch", "refer",
               "the chip's MRZ (DG1) differs from the printed one");
    json_decref(rep);
    if (c->have_live)
        face_vs_chip(c);
}

/* Live biometrics against the register: the holder's own record, and who else it is. */
static void biometrics(check *c)
{
    eyni_actor reader = *c->a;
    eyni_error e;
    json_t *out = NULL;
    if (c->holder_fin[0] && c->r->face) {
        eyni_sample_in s = {"face", 0, c->r->face, c->r->face_len};
        if (eyni_identity_verify(c->id, &reader, c->holder_fin, &s, 1, &out, &e) == 0) {
            if (!json_is_true(json_object_get(out, "match")))
                reason(c, "face_register_mismatch", "refer",
                       "live face does not match the register's photo of FIN %s (score %.2f)",
                       c->holder_fin, json_real_value(json_object_get(out, "score")));
        } else if (e.code != EYNI_ECONFLICT) {
            reason(c, "face_register_unavailable", "refer", "face comparison failed: %s", e.msg);
        }
        json_decref(out);
        out = NULL;
    }
    if (c->holder_fin[0] && c->r->nfingers > 0) {
        if (eyni_identity_verify(c->id, &reader, c->holder_fin, c->r->fingers, c->r->nfingers, &out,
                                 &e) == 0 &&
            !json_is_true(json_object_get(out, "match")))
            reason(c, "finger_register_mismatch", "refer",
                   "live fingerprints do not match the register's for FIN %s", c->holder_fin);
        json_decref(out);
        out = NULL;
    }
    if (!c->r->face)
        return;
    eyni_sample_in s = {"face", 0, c->r->face, c->r->face_len};
    /* A checkpoint asks "who is this?" at the verification operating point. */
    double min = -log10(c->id->opts.verify_fmr);
    if (eyni_identity_identify(c->id, &reader, &s, 1, 3, min, &out, &e)) {
        reason(c, "identification_unavailable", "refer", "1:N identification failed: %s", e.msg);
        return;
    }
    const char *top = json_string_value(
        json_object_get(json_array_get(json_object_get(out, "candidates"), 0), "fin"));
    if (top)
        snprintf(c->found_fin, sizeof c->found_fin, "%s", top);
    if (top && strcmp(top, c->holder_fin) != 0) {
        reason(c, "face_matches_other_person", "refer",
               "live face matches registered person %s, not the document's holder", top);
        char why[64];
        snprintf(why, sizeof why, " - found by face as %s", top);
        bans_of(c, top, why);
        json_t *q = json_pack("{s:{s:s, s:s}}", "person", "fin", top, "surname", "-"), *w = NULL;
        if (eyni_register_watch_check(c->id->reg, c->a, q, &w, &e) == 0 &&
            json_integer_value(json_object_get(w, "count")) > 0)
            reason(c, "watchlist_person", "deny",
                   "the person found by face (FIN %s) is on a watchlist", top);
        json_decref(q);
        json_decref(w);
    }
    json_decref(out);
}

/* A foreign national needs a visa or residence permit to enter, and leaves within it. */
static void foreigner(check *c, json_t **stay)
{
    eyni_error e;
    if (reg_stay_check(c->id->reg, c->mrz.document_number, c->mrz.nationality,
                       c->holder_fin[0] ? c->holder_fin : NULL, c->today,
                       !strcmp(c->r->direction, "exit"), c->reasons, stay, &e))
        reason(c, "visa_unavailable", "refer",
               "visas and residence permits could not be checked: %s", e.msg);
}

/* Live face and fingers 1:N against the watchlist galleries: listed persons need not be
 * in the register, and the name on the document may be anyone's. */
static void watch_biometrics(check *c)
{
    id_probe *fp = NULL;
    int nf = 0;
    eyni_error e;
    if (c->r->nfingers > 0) {
        if (id_probes_make(c->id, c->r->fingers, c->r->nfingers, &fp, &e) == 0)
            nf = c->r->nfingers;
        else
            reason(c, "live_fingers_unusable", "refer",
                   "live fingerprints could not be searched on the watchlists: %s", e.msg);
    }
    json_t *hits = NULL;
    if (!c->have_live && nf == 0) {
        /* nothing to search */
    } else if (id_watch_search(c->id, c->a, c->have_live ? c->live_emb : NULL, fp, nf, &hits, &e)) {
        reason(c, "watchlist_biometrics_unavailable", "refer",
               "watchlist galleries could not be searched: %s", e.msg);
    } else {
        size_t i;
        json_t *h;
        json_array_foreach(hits, i, h)
        {
            const char *handling = json_string_value(json_object_get(h, "handling"));
            if (!c->watch_entry)
                c->watch_entry = json_integer_value(json_object_get(h, "entry"));
            reason(c, "watchlist_biometric", "deny",
                   "live %s matches entry %lld on list %s (%s, evidence %.1f): %s",
                   json_string_value(json_object_get(h, "modality")),
                   (long long)json_integer_value(json_object_get(h, "entry")),
                   json_string_value(json_object_get(h, "list")),
                   json_string_value(json_object_get(h, "legal_basis")),
                   json_real_value(json_object_get(h, "evidence")),
                   handling ? handling : "follow the list's instructions");
        }
    }
    json_decref(hits);
    id_probes_free(fp, nf);
}

static const char *decide(const json_t *reasons)
{
    int deny = 0, refer = 0;
    size_t i;
    json_t *r;
    json_array_foreach(reasons, i, r)
    {
        const char *s = json_string_value(json_object_get(r, "severity"));
        deny |= !strcmp(s, "deny");
        refer |= !strcmp(s, "refer");
    }
    return deny ? "deny" : refer ? "refer" : "clear";
}

/* ---- crossing records ---------------------------------------------------------------- */

typedef struct record_arg {
    check *c;
    const char *decision;
    char *result;
    long long id;
} record_arg;

static int record_tx(eyni_db *db, void *p, eyni_error *err)
{
    record_arg *x = p;
    check *c = x->c;
    char now[32];
    eyni_time_now_iso(now);
    const char *vals[] = {c->r->request_id,
                          now,
                          c->today,
                          c->r->checkpoint,
                          c->r->direction,
                          c->a->id,
                          c->a->agency,
                          c->mrz.document_number,
                          c->mrz.issuer,
                          c->mrz.nationality,
                          c->holder_fin[0] ? c->holder_fin : NULL,
                          c->mrz.primary,
                          c->mrz.secondary,
                          c->birth[0] ? c->birth : NULL,
                          c->r->plate,
                          x->decision,
                          x->result};
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO crossings (request_id, at, day, checkpoint, direction,"
                             " officer, agency, document_number, issuing_state, nationality, fin,"
                             " surname, given_name, birth_date, plate, decision, result)"
                             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                             &st, err);
    if (rc)
        return rc;
    rc = reg_bind_texts(st, 1, vals, 17, err);
    if (rc == 0)
        rc = reg_step_id(st, &x->id, err);
    eyni_stmt_free(st);
    char obj[32], detail[96];
    snprintf(obj, sizeof obj, "crossing/%lld", x->id);
    snprintf(detail, sizeof detail, "%s %s document %s", c->r->direction, x->decision,
             c->mrz.document_number);
    if (rc == 0)
        rc = reg_audit_append(db, c->a, "border.check", obj, x->decision, detail, err);
    return rc;
}

static int border_record(check *c, const char *decision, json_t *result, long long *id,
                         eyni_error *err)
{
    record_arg x = {c, decision, json_dumps(result, JSON_COMPACT), 0};
    int rc = x.result ? reg_write_tx(c->id->reg, record_tx, &x, err)
                      : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    /* Two retries racing: the loser answers with the winner's record. */
    if (rc == EYNI_EEXIST)
        rc = EYNI_ECONFLICT;
    free(x.result);
    *id = x.id;
    return rc;
}

static json_t *result_row(eyni_stmt *st, void *ctx)
{
    json_error_t je;
    json_t *r = json_loads(eyni_stmt_text(st, 1), 0, &je);
    if (r)
        json_object_set_new(r, "crossing", json_integer(eyni_stmt_int64(st, 0)));
    return r;
}

static int border_previous(eyni_register *reg, const char *request_id, json_t **out,
                           eyni_error *err)
{
    const char *vals[] = {request_id};
    json_t *list = NULL;
    int rc = reg_read_rows(reg, "SELECT id, result FROM crossings WHERE request_id = ?", vals, 1,
                           result_row, NULL, &list, err);
    if (rc == 0 && json_array_size(list) == 0)
        rc = EYNI_ENOTFOUND;
    if (rc == 0) {
        *out = json_incref(json_array_get(list, 0));
        json_object_set_new(*out, "repeated", json_true());
    }
    json_decref(list);
    return rc;
}

static int validate(const eyni_border_request *r, eyni_error *err)
{
    if (!r->mrz)
        return eyni_error_set(err, EYNI_EFORMAT, "a check needs the document's MRZ");
    if (!r->checkpoint || !reg_code_valid(r->checkpoint, 0))
        return eyni_error_set(err, EYNI_EFORMAT, "checkpoint must be a code of A-Z 0-9 - _");
    if (!r->direction || (strcmp(r->direction, "entry") && strcmp(r->direction, "exit")))
        return eyni_error_set(err, EYNI_EFORMAT, "direction must be entry or exit");
    if (r->request_id && (!r->request_id[0] || strlen(r->request_id) > 64))
        return eyni_error_set(err, EYNI_EFORMAT, "request id must be 1..64 characters");
    return 0;
}

/* Every step of the check, into c->reasons; *result is the full answer (not recorded). */
static int run_check(check *c, json_t **result, eyni_error *err)
{
    eyni_identity *id = c->id;
    const eyni_border_request *r = c->r;
    if (eyni_mrz_parse(r->mrz, strlen(r->mrz), &c->mrz, err))
        return eyni_error_prefix(err, "MRZ: ");
    char now[32];
    eyni_time_now_iso(now);
    snprintf(c->today, sizeof c->today, "%.10s", now);
    c->reasons = json_array();
    mrz_checks(c);
    register_document(c, err);
    if (!c->holder_fin[0] && !strcmp(c->mrz.issuer, id->reg->country) &&
        reg_fin_wellformed(id->reg, c->mrz.optional1))
        snprintf(c->holder_fin, sizeof c->holder_fin, "%s", c->mrz.optional1);
    watchlists(c, err);
    bans_of(c, c->holder_fin[0] ? c->holder_fin : NULL, "");
    if (r->face)
        live_face(c);
    if (r->chip_dir)
        chip(c);
    biometrics(c);
    watch_biometrics(c);
    json_t *stay = NULL;
    if (strcmp(c->mrz.nationality, id->reg->country) != 0)
        foreigner(c, &stay);
    const char *decision = decide(c->reasons);
    *result = json_pack(
        "{s:s, s:O, s:{s:s, s:s, s:s, s:s, s:s?, s:b}, s:{s:s?, s:s, s:s, s:s?, s:s}}", "decision",
        decision, "reasons", c->reasons, "document", "number", c->mrz.document_number,
        "issuing_state", c->mrz.issuer, "code", c->mrz.document_code, "format",
        eyni_mrz_format_name(c->mrz.format), "expires", c->expiry[0] ? c->expiry : NULL,
        "mrz_valid", c->mrz.valid, "holder", "fin", c->holder_fin[0] ? c->holder_fin : NULL,
        "surname", c->mrz.primary, "given_name", c->mrz.secondary, "birth_date",
        c->birth[0] ? c->birth : NULL, "nationality", c->mrz.nationality);
    if (stay)
        json_object_set_new(*result, "stay", stay);
    return *result ? 0 : eyni_error_set(err, EYNI_ENOMEM, "out of memory");
}

int eyni_border_check(eyni_identity *id, const eyni_actor *a, const eyni_border_request *r,
                      json_t **out, eyni_error *err)
{
    /* The audit row names the checkpoint; a request without one is refused by validate. */
    int rc =
        reg_require(id->reg, a, EYNI_OP_BORDER_CHECK, r->checkpoint ? r->checkpoint : "-", err);
    if (rc == 0)
        rc = validate(r, err);
    if (rc)
        return rc;
    if (r->request_id && (rc = border_previous(id->reg, r->request_id, out, err)) != EYNI_ENOTFOUND)
        return rc; /* a retry: the first answer, and no second record */
    check c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.a = a;
    c.r = r;
    json_t *result = NULL;
    rc = run_check(&c, &result, err);
    long long crossing = 0;
    if (rc == 0)
        rc = border_record(&c, json_string_value(json_object_get(result, "decision")), result,
                           &crossing, err);
    json_decref(c.reasons);
    if (rc) {
        json_decref(result);
        return rc;
    }
    json_object_set_new(result, "crossing", json_integer(crossing));
    *out = result;
    return 0;
}

/* ---- the field check ------------------------------------------------------------------ */

static int has_code(const json_t *reasons, const char *const *codes)
{
    size_t i;
    json_t *x;
    json_array_foreach(reasons, i, x)
    {
        const char *code = json_string_value(json_object_get(x, "code"));
        for (int k = 0; codes[k]; k++)
            if (!strcmp(code, codes[k]))
                return 1;
    }
    return 0;
}

/* The few answers a handheld terminal shows, the alerts behind them, and a thumbnail of
 * the person found (register portrait, else the watchlist's photo). */
static json_t *compact(check *c, const json_t *result, eyni_error *err)
{
    static const char *const wanted[] = {"watchlist_person", "watchlist_biometric", NULL};
    static const char *const invalid[] = {"document_invalid",   "document_listed",
                                          "document_expired",   "mrz_invalid",
                                          "chip_not_authentic", NULL};
    static const char *const illegal[] = {"overstay", "stay_not_verified", NULL};
    const char *fin = c->found_fin[0] ? c->found_fin : c->holder_fin[0] ? c->holder_fin : NULL;
    json_t *alerts = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(c->reasons, i, x)
    {
        if (strcmp(json_string_value(json_object_get(x, "severity")), "info") != 0)
            json_array_append(alerts, x);
    }
    char name[100];
    snprintf(name, sizeof name, "%s %s", c->mrz.primary, c->mrz.secondary);
    char *thumb = NULL;
    eyni_error terr;
    const char *of = NULL;
    if (fin && reg_thumbnail(c->id->reg, fin, 0, &thumb, &terr) == 0)
        of = "register";
    else if (c->watch_entry && reg_thumbnail(c->id->reg, NULL, c->watch_entry, &thumb, &terr) == 0)
        of = "watchlist";
    json_t *o = json_pack(
        "{s:O, s:b, s:s?, s:s, s:s?, s:b, s:b, s:b, s:o, s:s?, s:s?}", "decision",
        json_object_get(result, "decision"), "person_found", fin != NULL, "fin", fin, "name", name,
        "birth_date", c->birth[0] ? c->birth : NULL, "wanted", has_code(c->reasons, wanted),
        "document_invalid", has_code(c->reasons, invalid), "stay_illegal",
        has_code(c->reasons, illegal), "alerts", alerts, "thumbnail", thumb, "thumbnail_of", of);
    free(thumb);
    if (!o)
        eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    return o;
}

int eyni_border_field_check(eyni_identity *id, const eyni_actor *a, const eyni_border_request *r,
                            json_t **out, eyni_error *err)
{
    eyni_border_request fr = *r;
    if (!fr.checkpoint)
        fr.checkpoint = "FIELD";
    fr.direction = "exit"; /* the stay is judged as on leaving today; exit bans apply */
    int rc = reg_require(id->reg, a, EYNI_OP_BORDER_CHECK, fr.checkpoint, err);
    if (rc == 0)
        rc = validate(&fr, err);
    if (rc)
        return rc;
    check c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.a = a;
    c.r = &fr;
    json_t *result = NULL;
    rc = run_check(&c, &result, err);
    json_t *o = rc == 0 ? compact(&c, result, err) : NULL;
    if (rc == 0 && !o)
        rc = EYNI_ENOMEM;
    if (rc == 0) {
        char detail[96];
        snprintf(detail, sizeof detail, "%s: document %s", fr.checkpoint, c.mrz.document_number);
        rc = eyni_register_audit_event(id->reg, a, "field.check", c.mrz.document_number,
                                       json_string_value(json_object_get(o, "decision")), detail,
                                       err);
    }
    json_decref(c.reasons);
    json_decref(result);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* Enrolment records and adjudication cases: a possible duplicate waits, sealed, until an
 * adjudicator decides whether the applicant is a registered person or a new one. */
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

static json_t *loads(const char *text)
{
    json_error_t je;
    json_t *v = text ? json_loads(text, 0, &je) : NULL;
    return v ? v : json_null();
}

static json_t *enrolment_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:I, s:s, s:s?, s:s?, s:o, s:s, s:s, s:s, s:s?, s:o}", "id",
                     (json_int_t)eyni_stmt_int64(st, 0), "status", eyni_stmt_text(st, 1), "fin",
                     eyni_stmt_text(st, 2), "duplicate_of", eyni_stmt_text(st, 3), "result",
                     loads(eyni_stmt_text(st, 4)), "created_at", eyni_stmt_text(st, 5),
                     "created_by", eyni_stmt_text(st, 6), "agency", eyni_stmt_text(st, 7),
                     "decided_at", eyni_stmt_text(st, 8), "case",
                     eyni_stmt_is_null(st, 9) ? json_null() : json_integer(eyni_stmt_int64(st, 9)));
}

#define ENROLMENT_SQL                                                                         \
    "SELECT e.id, e.status, e.fin, e.duplicate_of, e.result, e.created_at, e.created_by,"     \
    " e.agency, e.decided_at, c.id FROM enrolments e LEFT JOIN cases c ON c.enrolment_id = e.id"

static int one(eyni_register *reg, const char *sql, long long id, reg_row_fn row, json_t **out,
               const char *what, eyni_error *err)
{
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *vals[] = {ids};
    json_t *list = NULL;
    int rc = reg_read_rows(reg, sql, vals, 1, row, NULL, &list, err);
    if (rc == 0 && json_array_size(list) == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no %s %lld", what, id);
    if (rc == 0)
        *out = json_incref(json_array_get(list, 0));
    json_decref(list);
    return rc;
}

int eyni_register_enrolment_get(eyni_register *reg, const eyni_actor *a, long long id,
                                json_t **out, eyni_error *err)
{
    char obj[32];
    snprintf(obj, sizeof obj, "enrolment/%lld", id);
    int rc = reg_require(reg, a, EYNI_OP_ENROL, obj, err);
    return rc ? rc : one(reg, ENROLMENT_SQL " WHERE e.id = CAST(? AS INTEGER)", id, enrolment_row,
                         out, "enrolment", err);
}

/* A case holds an enrolment or a document application ("kind"); for an application also
 * the FIN applied for. */
static json_t *case_row(eyni_stmt *st, void *ctx)
{
    int app = !eyni_stmt_is_null(st, 9);
    return json_pack("{s:I, s:s, s:o, s:o, s:s?, s:s, s:o, s:s, s:s?, s:s?, s:s?, s:s?}", "id",
                     (json_int_t)eyni_stmt_int64(st, 0), "kind", app ? "application" : "enrolment",
                     "enrolment", app ? json_null() : json_integer(eyni_stmt_int64(st, 1)),
                     "application", app ? json_integer(eyni_stmt_int64(st, 9)) : json_null(), "fin",
                     app ? eyni_stmt_text(st, 10) : NULL, "status", eyni_stmt_text(st, 2),
                     "candidates", loads(eyni_stmt_text(st, 3)), "opened_at", eyni_stmt_text(st, 4),
                     "decision", eyni_stmt_text(st, 5), "decided_at", eyni_stmt_text(st, 6),
                     "decided_by", eyni_stmt_text(st, 7), "note", eyni_stmt_text(st, 8));
}

#define CASE_SQL                                                                                   \
    "SELECT c.id, c.enrolment_id, c.status, c.candidates, c.opened_at, c.decision,"                \
    " c.decided_at, c.decided_by, c.note, c.application_id, ap.fin FROM cases c"                   \
    " LEFT JOIN applications ap ON ap.id = c.application_id"

int eyni_register_case_list(eyni_register *reg, const eyni_actor *a, const char *status,
                            int limit, json_t **out, eyni_error *err)
{
    int rc = reg_require(reg, a, EYNI_OP_CASE_READ, "cases", err);
    if (rc == 0 && status && strcmp(status, "open") && strcmp(status, "decided"))
        rc = eyni_error_set(err, EYNI_EFORMAT, "status must be open or decided");
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit > 0 && limit <= 1000 ? limit : 100);
    const char *vals[] = {status, status, lim};
    json_t *list = NULL;
    if (rc == 0)
        rc = reg_read_rows(reg,
                           CASE_SQL " WHERE (? IS NULL OR c.status = ?)"
                                    " ORDER BY c.id DESC LIMIT CAST(? AS INTEGER)",
                           vals, 3, case_row, NULL, &list, err);
    if (rc == 0)
        *out = json_pack("{s:o, s:i}", "cases", list, "count", (int)json_array_size(list));
    return rc;
}

/* The applicant's biographic data, unsealed from the pending enrolment, for review. */
static int applicant(eyni_register *reg, long long enrolment, json_t **person, eyni_error *err)
{
    eyni_db *db;
    eyni_stmt *st = NULL;
    int rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db, "SELECT pending FROM enrolments WHERE id = ?", &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, enrolment, err);
    *person = NULL;
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1 && !eyni_stmt_is_null(st, 0)) {
        size_t n;
        const unsigned char *blob = eyni_stmt_blob(st, 0, &n);
        reg_sample *s = NULL;
        int ns = 0;
        rc = reg_pending_open(reg, blob, n, person, &s, &ns, err);
        reg_samples_free(s, ns);
    } else if (rc == 1) {
        rc = 0;
    }
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    return rc;
}

/* An application's applicant claims to be the holder of fin: the record as the role sees it. */
static int holder(eyni_register *reg, const eyni_actor *a, const char *fin, json_t **person,
                  eyni_error *err)
{
    eyni_db *db;
    json_t *rec = NULL;
    int64_t pid = 0;
    int rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = reg_person_load(db, fin, &pid, &rec, err);
    eyni_store_release(reg->store, db);
    *person = rc == 0 ? reg_person_view(rec, a->role) : NULL;
    json_decref(rec);
    return rc;
}

int eyni_register_case_get(eyni_register *reg, const eyni_actor *a, long long id, json_t **out,
                           eyni_error *err)
{
    char obj[32];
    snprintf(obj, sizeof obj, "case/%lld", id);
    int rc = reg_require(reg, a, EYNI_OP_CASE_READ, obj, err);
    json_t *c = NULL, *person = NULL;
    if (rc == 0)
        rc = one(reg, CASE_SQL " WHERE c.id = CAST(? AS INTEGER)", id, case_row, &c, "case", err);
    const char *fin = rc == 0 ? json_string_value(json_object_get(c, "fin")) : NULL;
    if (rc == 0)
        rc =
            fin ? holder(reg, a, fin, &person, err)
                : applicant(reg, json_integer_value(json_object_get(c, "enrolment")), &person, err);
    if (rc == 0)
        rc = eyni_register_audit_event(reg, a, "case.read", obj, "ok", NULL, err);
    if (rc) {
        json_decref(c);
        json_decref(person);
        return rc;
    }
    json_object_set_new(c, "applicant", person ? person : json_null());
    *out = c;
    return 0;
}

/* ---- decisions ------------------------------------------------------------------------ */

typedef struct decide_arg {
    eyni_register *reg;
    const eyni_actor *a;
    long long id, enrolment, application;
    const char *decision, *same_fin, *note;
    char fin[EYNI_FIN_MAX + 1];
    char applied[EYNI_FIN_MAX + 1]; /* an application's case: the FIN applied for */
    json_t *candidates;
    unsigned char *pending;
    size_t plen;
} decide_arg;

static int load_case(eyni_db *db, decide_arg *x, eyni_error *err)
{
    eyni_stmt *st;
    int rc = eyni_db_prepare(db,
                             "SELECT c.status, c.enrolment_id, c.candidates,"
                             " COALESCE(e.pending, ap.pending), c.application_id, ap.fin"
                             " FROM cases c LEFT JOIN enrolments e ON e.id = c.enrolment_id"
                             " LEFT JOIN applications ap ON ap.id = c.application_id"
                             " WHERE c.id = ?",
                             &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, x->id, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 1) {
        rc = strcmp(eyni_stmt_text(st, 0), "open") == 0
                 ? 0
                 : eyni_error_set(err, EYNI_ECONFLICT, "case %lld was already decided", x->id);
        x->enrolment = eyni_stmt_is_null(st, 1) ? 0 : eyni_stmt_int64(st, 1);
        x->application = eyni_stmt_is_null(st, 4) ? 0 : eyni_stmt_int64(st, 4);
        snprintf(x->applied, sizeof x->applied, "%s", x->application ? eyni_stmt_text(st, 5) : "");
        x->candidates = loads(eyni_stmt_text(st, 2));
        size_t n = 0;
        const unsigned char *b = eyni_stmt_blob(st, 3, &n);
        x->pending = n ? malloc(n) : NULL;
        if (x->pending)
            memcpy(x->pending, b, n);
        x->plen = x->pending ? n : 0;
    } else if (rc == 0) {
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no case %lld", x->id);
    }
    eyni_stmt_free(st);
    return rc;
}

/* "different": the applicant becomes a new person with the pending samples. */
static int register_applicant(eyni_db *db, decide_arg *x, eyni_error *err)
{
    json_t *person = NULL, *rec = NULL;
    reg_sample *s = NULL;
    int n = 0;
    int64_t pid = 0;
    int rc = reg_pending_open(x->reg, x->pending, x->plen, &person, &s, &n, err);
    if (rc == 0)
        rc = reg_person_insert(x->reg, db, x->a, person, "adjudicated: different persons", &rec,
                               &pid, err);
    if (rc == 0) {
        snprintf(x->fin, sizeof x->fin, "%s", json_string_value(json_object_get(rec, "fin")));
        rc = reg_samples_store(x->reg, db, x->a, pid, x->fin, s, n, err);
    }
    json_decref(person);
    json_decref(rec);
    reg_samples_free(s, n);
    return rc;
}

static int candidate_fin(decide_arg *x, eyni_error *err)
{
    size_t i;
    json_t *c;
    json_array_foreach(x->candidates, i, c)
    {
        const char *fin = json_string_value(json_object_get(c, "fin"));
        if (fin && (!x->same_fin || strcmp(fin, x->same_fin) == 0)) {
            snprintf(x->fin, sizeof x->fin, "%s", fin);
            return 0;
        }
    }
    return eyni_error_set(err, EYNI_EFORMAT, "FIN %.20s is not a candidate of case %lld",
                          x->same_fin ? x->same_fin : "(any)", x->id);
}

/* An application's decision: "same" refuses it for good and says whom the applicant also
 * is; "different" clears it for one re-submission. No person or FIN is created. */
static int close_application(eyni_db *db, decide_arg *x, eyni_error *err)
{
    char now[32], ids[32];
    eyni_time_now_iso(now);
    snprintf(ids, sizeof ids, "%lld", x->id);
    int same = strcmp(x->decision, "same") == 0;
    const char *cv[] = {x->decision, now, x->a->id, x->note, ids};
    int rc = reg_exec1(db,
                       "UPDATE cases SET status = 'decided', decision = ?, decided_at = ?,"
                       " decided_by = ?, note = ? WHERE id = CAST(? AS INTEGER)",
                       cv, 5, err);
    if (rc == 0)
        rc = reg_application_close(db, x->application, x->decision, same ? x->fin : NULL, now, err);
    char obj[32], detail[EYNI_TEXT_MAX + 200];
    snprintf(obj, sizeof obj, "case/%lld", x->id);
    if (same)
        snprintf(detail, sizeof detail,
                 "same %s: the applicant for FIN %s is registered person %s too (two "
                 "identities), application refused: %s",
                 x->fin, x->applied, x->fin, x->note);
    else
        snprintf(detail, sizeof detail,
                 "different: the applicant for FIN %s is none of the candidates, application "
                 "cleared for one re-submission: %s",
                 x->applied, x->note);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "case.decide", obj, "ok", detail, err);
    return rc;
}

static int close_records(eyni_db *db, decide_arg *x, eyni_error *err)
{
    char now[32], ids[32], eids[32];
    eyni_time_now_iso(now);
    snprintf(ids, sizeof ids, "%lld", x->id);
    snprintf(eids, sizeof eids, "%lld", x->enrolment);
    int diff = strcmp(x->decision, "different") == 0;
    const char *cv[] = {x->decision, now, x->a->id, x->note, ids};
    int rc = reg_exec1(db, "UPDATE cases SET status = 'decided', decision = ?, decided_at = ?,"
                           " decided_by = ?, note = ? WHERE id = CAST(? AS INTEGER)",
                       cv, 5, err);
    const char *ev[] = {x->decision, diff ? x->fin : NULL, diff ? NULL : x->fin, now, eids};
    if (rc == 0)
        rc = reg_exec1(db, "UPDATE enrolments SET status = ?, fin = ?, duplicate_of = ?,"
                           " decided_at = ? WHERE id = CAST(? AS INTEGER)",
                       ev, 5, err);
    char obj[32], detail[EYNI_TEXT_MAX + 64];
    snprintf(obj, sizeof obj, "case/%lld", x->id);
    snprintf(detail, sizeof detail, "%s %s: %s", x->decision, x->fin, x->note);
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "case.decide", obj, "ok", detail, err);
    return rc;
}

static int decide_tx(eyni_db *db, void *p, eyni_error *err)
{
    decide_arg *x = p;
    int rc = load_case(db, x, err);
    int diff = strcmp(x->decision, "different") == 0;
    if (rc == 0 && x->application)
        rc = diff ? 0 : candidate_fin(x, err);
    else if (rc == 0)
        rc = diff ? register_applicant(db, x, err) : candidate_fin(x, err);
    if (rc == 0)
        rc = x->application ? close_application(db, x, err) : close_records(db, x, err);
    return rc;
}

int eyni_register_case_decide(eyni_register *reg, const eyni_actor *a, long long id,
                              const char *decision, const char *same_fin, const char *note,
                              json_t **out, eyni_error *err)
{
    char obj[32];
    snprintf(obj, sizeof obj, "case/%lld", id);
    int rc = reg_require(reg, a, EYNI_OP_CASE_DECIDE, obj, err);
    if (rc == 0 && (!decision || (strcmp(decision, "same") && strcmp(decision, "different"))))
        rc = eyni_error_set(err, EYNI_EFORMAT, "decision must be same or different");
    if (rc == 0 && (!note || !note[0] || strlen(note) > EYNI_TEXT_MAX))
        rc = eyni_error_set(err, EYNI_EFORMAT, "a decision needs a note (why)");
    decide_arg x = {reg, a, id, 0, 0, decision, same_fin, note, "", "", NULL, NULL, 0};
    if (rc == 0)
        rc = reg_write_tx(reg, decide_tx, &x, err);
    json_decref(x.candidates);
    free(x.pending);
    if (rc == 0 && x.application)
        return reg_application_get(reg, x.application, out, err);
    if (rc == 0)
        rc = one(reg, ENROLMENT_SQL " WHERE e.id = CAST(? AS INTEGER)", x.enrolment, enrolment_row,
                 out, "enrolment", err);
    return rc;
}

/* ---- re-checking an applicant before a new FIN -------------------------------------- */

int reg_case_applicant(eyni_register *reg, long long id, json_t **candidates, reg_sample **s,
                       int *n, char applied[EYNI_FIN_MAX + 1], eyni_error *err)
{
    decide_arg x = {reg, NULL, id, 0, 0, NULL, NULL, NULL, "", "", NULL, NULL, 0};
    eyni_db *db = NULL;
    json_t *person = NULL;
    int rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = load_case(db, &x, err);
    eyni_store_release(reg->store, db);
    if (rc == 0 && !x.pending)
        rc = eyni_error_set(err, EYNI_EINTERNAL, "case %lld has no pending applicant", id);
    if (rc == 0)
        rc = reg_pending_open_as(reg,
                                 x.application ? REG_PENDING_APPLICATION : REG_PENDING_ENROLMENT,
                                 x.pending, x.plen, &person, s, n, err);
    snprintf(applied, EYNI_FIN_MAX + 1, "%s", x.applied);
    json_decref(person);
    free(x.pending);
    if (rc == 0)
        *candidates = x.candidates;
    else
        json_decref(x.candidates);
    return rc;
}

typedef struct extend_arg {
    const eyni_actor *a;
    long long id;
    const char *candidates, *detail;
} extend_arg;

static int extend_tx(eyni_db *db, void *p, eyni_error *err)
{
    extend_arg *x = p;
    char ids[32], obj[32];
    snprintf(ids, sizeof ids, "%lld", x->id);
    snprintf(obj, sizeof obj, "case/%lld", x->id);
    const char *vals[] = {x->candidates, ids};
    int rc = reg_exec1(db,
                       "UPDATE cases SET candidates = ? WHERE id = CAST(? AS INTEGER)"
                       " AND status = 'open'",
                       vals, 2, err);
    return rc ? rc : reg_audit_append(db, x->a, "case.recheck", obj, "ok", x->detail, err);
}

int reg_case_extend(eyni_register *reg, const eyni_actor *a, long long id, const json_t *candidates,
                    const char *detail, eyni_error *err)
{
    char *text = json_dumps(candidates, JSON_COMPACT);
    if (!text)
        return eyni_error_set(err, EYNI_ENOMEM, "out of memory");
    extend_arg x = {a, id, text, detail};
    int rc = reg_write_tx(reg, extend_tx, &x, err);
    free(text);
    return rc;
}

/* Document applications held for adjudication. When the applicant's live samples possibly
 * match another registered person, the application (its request and the live samples,
 * sealed like a pending enrolment) waits in an application case. An adjudicator's "same"
 * refuses it for good and records that the applicant apparently holds two identities;
 * "different" clears it for one re-submission at the desk, which consumes it in the
 * transaction that issues the document (documents.c). */
#include <stdlib.h>
#include <string.h>

#include "register_int.h"

typedef struct open_arg {
    eyni_register *reg;
    const eyni_actor *a;
    const reg_application *ap;
    long long app, case_id;
} open_arg;

static int insert_application(eyni_db *db, open_arg *x, const unsigned char *pending, size_t plen,
                              const char *result, const char *now, eyni_error *err)
{
    eyni_stmt *st = NULL;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO applications (fin, status, pending, result, created_at,"
                             " created_by, agency) VALUES (?, 'possible', ?, ?, ?, ?, ?)"
                             " RETURNING id",
                             &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_text(st, 1, x->ap->fin, err);
    if (rc == 0)
        rc = eyni_stmt_bind_blob(st, 2, pending, plen, err);
    const char *tail[] = {result, now, x->a->id, x->a->agency};
    if (rc == 0)
        rc = reg_bind_texts(st, 3, tail, 4, err);
    if (rc == 0)
        rc = reg_step_id(st, &x->app, err);
    eyni_stmt_free(st);
    return rc;
}

static int insert_case(eyni_db *db, open_arg *x, const char *cands, const char *now,
                       eyni_error *err)
{
    eyni_stmt *st = NULL;
    int rc = eyni_db_prepare(db,
                             "INSERT INTO cases (application_id, status, candidates, opened_at)"
                             " VALUES (?, 'open', ?, ?) RETURNING id",
                             &st, err);
    const char *vals[] = {cands, now};
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, x->app, err);
    if (rc == 0)
        rc = reg_bind_texts(st, 2, vals, 2, err);
    if (rc == 0)
        rc = reg_step_id(st, &x->case_id, err);
    eyni_stmt_free(st);
    return rc;
}

static int open_tx(eyni_db *db, void *p, eyni_error *err)
{
    open_arg *x = p;
    const json_t *cands = json_object_get(x->ap->result, "candidates");
    reg_enrolment e = {x->ap->request, x->ap->samples, x->ap->n, "possible", NULL, x->ap->result};
    unsigned char *pending = NULL;
    size_t plen = 0;
    char now[32];
    eyni_time_now_iso(now);
    char *result = json_dumps(x->ap->result, JSON_COMPACT);
    char *ctext = json_dumps(cands, JSON_COMPACT);
    int rc = result && ctext && json_array_size(cands)
                 ? reg_pending_seal_as(x->reg, REG_PENDING_APPLICATION, &e, &pending, &plen, err)
                 : eyni_error_set(err, EYNI_EINTERNAL, "an application case needs candidates");
    if (rc == 0)
        rc = insert_application(db, x, pending, plen, result, now, err);
    if (rc == 0)
        rc = insert_case(db, x, ctext, now, err);
    const json_t *top = json_array_get(cands, 0);
    char detail[160];
    snprintf(detail, sizeof detail, "case %lld: possible duplicate of %s (score %.2f)", x->case_id,
             json_string_value(json_object_get(top, "fin")),
             json_number_value(json_object_get(top, "score")));
    if (rc == 0)
        rc = reg_audit_append(db, x->a, "document.apply", x->ap->fin, "possible", detail, err);
    free(pending);
    free(result);
    free(ctext);
    return rc;
}

int reg_application_open(eyni_register *reg, const eyni_actor *a, const reg_application *ap,
                         long long *app, long long *case_id, eyni_error *err)
{
    open_arg x = {reg, a, ap, 0, 0};
    int rc = reg_write_tx(reg, open_tx, &x, err);
    if (rc == 0) {
        *app = x.app;
        *case_id = x.case_id;
    }
    return rc;
}

/* ---- reading ----------------------------------------------------------------------------- */

static json_t *loads(const char *text)
{
    json_error_t je;
    json_t *v = text ? json_loads(text, 0, &je) : NULL;
    return v ? v : json_null();
}

static json_t *application_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?, s:o, s:s, s:s, s:s, s:s?, s:s?, s:I}", "id",
                     (json_int_t)eyni_stmt_int64(st, 0), "kind", "application", "fin",
                     eyni_stmt_text(st, 1), "status", eyni_stmt_text(st, 2), "same_as",
                     eyni_stmt_text(st, 3), "document", eyni_stmt_text(st, 4), "result",
                     loads(eyni_stmt_text(st, 5)), "created_at", eyni_stmt_text(st, 6),
                     "created_by", eyni_stmt_text(st, 7), "agency", eyni_stmt_text(st, 8),
                     "decided_at", eyni_stmt_text(st, 9), "used_at", eyni_stmt_text(st, 10), "case",
                     (json_int_t)eyni_stmt_int64(st, 11));
}

int reg_application_get(eyni_register *reg, long long id, json_t **out, eyni_error *err)
{
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *vals[] = {ids};
    json_t *list = NULL;
    int rc = reg_read_rows(reg,
                           "SELECT a.id, a.fin, a.status, a.same_as, a.document, a.result,"
                           " a.created_at, a.created_by, a.agency, a.decided_at, a.used_at, c.id"
                           " FROM applications a JOIN cases c ON c.application_id = a.id"
                           " WHERE a.id = CAST(? AS INTEGER)",
                           vals, 1, application_row, NULL, &list, err);
    if (rc == 0 && json_array_size(list) == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no application %lld", id);
    if (rc == 0)
        *out = json_incref(json_array_get(list, 0));
    json_decref(list);
    return rc;
}

/* Why a case named in a re-submission cannot clear it, or 0 when it can. */
static int cleared_state(eyni_stmt *st, long long cid, const char *fin, eyni_error *err)
{
    const char *afin = eyni_stmt_text(st, 4), *astatus = eyni_stmt_text(st, 5);
    if (eyni_stmt_is_null(st, 3))
        return eyni_error_set(err, EYNI_EFORMAT,
                              "case %lld is an enrolment's case, not a document application's",
                              cid);
    if (strcmp(afin, fin) != 0)
        return eyni_error_set(err, EYNI_EFORMAT, "case %lld is the application of FIN %s, not %s",
                              cid, afin, fin);
    if (strcmp(eyni_stmt_text(st, 0), "open") == 0)
        return eyni_error_set(err, EYNI_ECONFLICT,
                              "case %lld is not decided yet: an adjudicator must decide it before "
                              "the application is submitted again (no document issued)",
                              cid);
    if (!strcmp(astatus, "same"))
        return eyni_error_set(err, EYNI_ECONFLICT,
                              "case %lld was decided 'same person': the applicant is registered "
                              "person %s too; the application is refused (no document issued)",
                              cid, eyni_stmt_text(st, 7));
    if (!strcmp(astatus, "issued"))
        return eyni_error_set(err, EYNI_ECONFLICT,
                              "case %lld cleared one application, already used for document %s",
                              cid, eyni_stmt_text(st, 6));
    return 0;
}

int reg_application_cleared(eyni_register *reg, long long cid, const char *fin, long long *app,
                            json_t **cleared, eyni_error *err)
{
    eyni_db *db = NULL;
    eyni_stmt *st = NULL;
    int rc = eyni_store_acquire(reg->store, &db, err);
    if (rc)
        return rc;
    rc = eyni_db_prepare(db,
                         "SELECT c.status, c.decision, c.candidates, c.application_id, a.fin,"
                         " a.status, a.document, a.same_as FROM cases c"
                         " LEFT JOIN applications a ON a.id = c.application_id WHERE c.id = ?",
                         &st, err);
    if (rc == 0)
        rc = eyni_stmt_bind_int64(st, 1, cid, err);
    if (rc == 0 && (rc = eyni_stmt_step(st, err)) == 0)
        rc = eyni_error_set(err, EYNI_ENOTFOUND, "no case %lld", cid);
    if (rc == 1)
        rc = cleared_state(st, cid, fin, err);
    if (rc == 0) {
        *app = eyni_stmt_int64(st, 3);
        *cleared = loads(eyni_stmt_text(st, 2));
    }
    eyni_stmt_free(st);
    eyni_store_release(reg->store, db);
    return rc;
}

static json_t *application_flag_row(eyni_stmt *st, void *ctx)
{
    return json_pack("{s:I, s:s?}", "case", (json_int_t)eyni_stmt_int64(st, 0), "same_as",
                     eyni_stmt_text(st, 1));
}

int reg_application_flagged(eyni_register *reg, const char *fin, eyni_error *err)
{
    const char *vals[] = {fin};
    json_t *list = NULL;
    int rc = reg_read_rows(reg,
                           "SELECT c.id, a.same_as FROM applications a"
                           " JOIN cases c ON c.application_id = a.id"
                           " WHERE a.fin = ? AND a.status = 'same' ORDER BY c.id",
                           vals, 1, application_flag_row, NULL, &list, err);
    const json_t *first = json_array_get(list, 0);
    if (rc == 0 && first)
        rc = eyni_error_set(err, EYNI_ECONFLICT,
                            "an adjudicator found the applicant for FIN %s to be registered "
                            "person %s as well (case %lld): no document is issued for FIN %s "
                            "until the two identities are resolved",
                            fin, json_string_value(json_object_get(first, "same_as")),
                            (long long)json_integer_value(json_object_get(first, "case")), fin);
    json_decref(list);
    return rc;
}

int reg_application_close(eyni_db *db, long long app, const char *decision, const char *same_as,
                          const char *now, eyni_error *err)
{
    char ids[32];
    snprintf(ids, sizeof ids, "%lld", app);
    const char *vals[] = {decision, same_as, now, ids};
    return reg_exec1(db,
                     "UPDATE applications SET status = ?, same_as = ?, decided_at = ?"
                     " WHERE id = CAST(? AS INTEGER) AND status = 'possible'",
                     vals, 4, err);
}
